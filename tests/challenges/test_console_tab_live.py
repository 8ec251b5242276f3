"""Tab completion: kubectl's own `__complete` as the learner, through the real runner and API server.

The attempt is a ready `wrong-selector` on the local control plane (three `frontend` pods); every
completion runs the pinned kubectl in the runner's bwrap sandbox with the learner's token, and
the console's allowlist filters what it offers.
"""

from __future__ import annotations

from unittest import mock

import pytest
from django.test import override_settings
from django.urls import reverse
from kubernetes import client

from challenges.console import runner
from challenges.console.services import console_complete
from challenges.console.tab import Completion
from challenges.models import Attempt
from tests.challenges.live_learner import live_attempt  # noqa: F401
from tests.fixtures.cluster import Cluster, eventually
from tests.fixtures.console import RunnerProcess

pytestmark = [pytest.mark.live, pytest.mark.django_db]

REFUSED_COMMANDS = {
    "proxy",
    "port-forward",
    "attach",
    "cp",
    "config",
    "edit",
    "debug",
    "kustomize",
    "plugin",
    "alpha",
}
REFUSED_FLAGS = {
    "--kubeconfig",
    "--as",
    "--as-group",
    "--token",
    "--server",
    "--client-key",
    "--client-certificate",
    "--context",
    "--cluster",
    "--user",
    "--cache-dir",
    "--insecure-skip-tls-verify",
    "--filename",
    "--kustomize",
    "--all-namespaces",
}


@pytest.fixture(autouse=True)
def _runner(console_runner: RunnerProcess) -> None:
    """Every completion goes through the session's runner, in its bwrap sandbox."""


def values(completion: Completion) -> list[str]:
    return [candidate.value for candidate in completion.candidates]


def frontend_pods(cluster: Cluster, namespace: str) -> list[str]:
    def three() -> list[str] | None:
        with cluster.api_client() as api:
            pods = client.CoreV1Api(api).list_namespaced_pod(namespace, label_selector="app=frontend").items
        names = sorted(str(pod.metadata.name) for pod in pods if pod.metadata)
        return names if len(names) == 3 else None

    return eventually(three, "three frontend pods")


def test_tab_completes_pod_names_from_the_live_api(live_attempt: Attempt, cluster: Cluster) -> None:  # noqa: F811
    pods = frontend_pods(cluster, live_attempt.environment)
    completion = console_complete(attempt=live_attempt, line="kubectl logs fr")
    assert completion.partial == "fr"
    assert values(completion) == pods
    one = pods[0]
    completion = console_complete(attempt=live_attempt, line=f"kubectl logs {one[:-1]}")
    assert values(completion) == [one]  # a single candidate: the browser completes it in place
    assert not completion.no_space


def test_tab_completes_a_flag_with_kubectls_description(live_attempt: Attempt) -> None:  # noqa: F811
    completion = console_complete(attempt=live_attempt, line="kubectl get pods --show-l")
    assert values(completion) == ["--show-labels"]
    assert "label" in completion.candidates[0].description.lower()
    completion = console_complete(attempt=live_attempt, line="kubectl get pods --wat")
    assert values(completion) == ["--watch", "--watch-only"]  # the console streams: they are offered


def test_tab_completes_verbs_and_resource_kinds(live_attempt: Attempt) -> None:  # noqa: F811
    assert values(console_complete(attempt=live_attempt, line="kubectl desc")) == ["describe"]
    assert values(console_complete(attempt=live_attempt, line="kubectl get deploy")) == ["deployments.apps"]
    assert values(console_complete(attempt=live_attempt, line="kubectl rollout st")) == ["status"]
    assert values(console_complete(attempt=live_attempt, line="kube")) == ["kubectl"]


def test_a_refused_verb_is_never_offered(live_attempt: Attempt) -> None:  # noqa: F811
    every = set(values(console_complete(attempt=live_attempt, line="kubectl ")))
    assert {"get", "describe", "logs", "rollout", "exec", "apply"} <= every
    assert not REFUSED_COMMANDS & every
    for partial in ("p", "po", "con", "c", "a", "e", "d"):
        offered = set(values(console_complete(attempt=live_attempt, line=f"kubectl {partial}")))
        assert not REFUSED_COMMANDS & offered, (partial, offered)
    assert values(console_complete(attempt=live_attempt, line="kubectl prox")) == []
    assert values(console_complete(attempt=live_attempt, line="kubectl apply edit")) == []


def test_a_refused_flag_is_never_offered(live_attempt: Attempt) -> None:  # noqa: F811
    for line in ("kubectl get pods --", "kubectl get pods -", "kubectl logs --", "kubectl exec -"):
        offered = set(values(console_complete(attempt=live_attempt, line=line)))
        assert offered, line
        assert not REFUSED_FLAGS & offered, (line, REFUSED_FLAGS & offered)
        assert not {"-f", "-k", "-A", "-s", "-i", "-t"} & offered, (line, offered)
    assert values(console_complete(attempt=live_attempt, line="kubectl get pods --kube")) == []
    assert values(console_complete(attempt=live_attempt, line="kubectl get pods --tok")) == []


def test_output_formats_are_the_allowlist(live_attempt: Attempt) -> None:  # noqa: F811
    offered = set(values(console_complete(attempt=live_attempt, line="kubectl get pods -o ")))
    assert {"json", "yaml", "wide", "name", "jsonpath", "custom-columns"} <= offered
    assert not {"go-template-file", "templatefile", "jsonpath-file", "custom-columns-file"} & offered
    assert values(console_complete(attempt=live_attempt, line="kubectl get pods --output=ya")) == [
        "--output=yaml"
    ]


def test_the_only_namespace_offered_is_the_learners(live_attempt: Attempt) -> None:  # noqa: F811
    completion = console_complete(attempt=live_attempt, line="kubectl get pods -n ")
    assert values(completion) == [live_attempt.environment]


def test_after_a_refused_flag_kubectl_is_not_even_asked(live_attempt: Attempt) -> None:  # noqa: F811
    with mock.patch("challenges.console.services.kubectl_complete", wraps=runner.kubectl_complete) as spy:
        completion = console_complete(
            attempt=live_attempt, line="kubectl --kubeconfig=/etc/kubernetes/admin.conf get pods "
        )
        assert completion.candidates == []
        assert "reads another kubeconfig" in completion.message
        completion = console_complete(attempt=live_attempt, line="kubectl proxy --www ")
        assert "kubectl proxy" in completion.message
        spy.assert_not_called()


def test_a_second_tab_is_answered_without_kubectl(live_attempt: Attempt) -> None:  # noqa: F811
    with mock.patch("challenges.console.services.kubectl_complete", wraps=runner.kubectl_complete) as spy:
        first = console_complete(attempt=live_attempt, line="kubectl get deployments ")
        again = console_complete(attempt=live_attempt, line="kubectl get deployments ")
    assert values(first) == values(again) == ["frontend"]
    assert spy.call_count == 1


@override_settings(BREAKFIX_CONSOLE_COMPLETE_RATE="3/m")
def test_tab_has_its_own_rate_limit(live_attempt: Attempt, client: object) -> None:  # noqa: F811
    from django.test import Client

    assert isinstance(client, Client)
    client.force_login(live_attempt.learner)
    url = reverse("attempt_console_complete", args=[live_attempt.pk])
    answers = [client.post(url, {"line": "kubectl desc"}).json() for _ in range(4)]
    assert [answer["candidates"] for answer in answers[:3]] == [
        [{"value": "describe", "description": answers[0]["candidates"][0]["description"]}]
    ] * 3
    assert answers[3]["candidates"] == []
    assert "faster" in answers[3]["message"]
    # Commands keep their own count.
    r = client.post(
        reverse("attempt_console", args=[live_attempt.pk]), {"line": "get pods"}, HTTP_HX_REQUEST="true"
    )
    assert "faster" not in r.content.decode()
