"""`crashloop-config-key` end to end on the local control plane, with the simulation loaded.

Through the console, as the learner: the pods crash-loop with their restarts climbing, the
previous logs say why, describe shows the back-off; after the learner's fix the pods run and
log a clean start, and every objective passes. Then fairness: honest fixes pass, shortcuts
(applied with the platform's credentials, past the guards) fail with a message that teaches.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from kubernetes.client import ApiClient

import validators
from challenges.console.services import console_run
from challenges.models import Attempt
from challenges.services import authoring
from tests.challenges.live_learner import make_live_attempt
from tests.fixtures.cluster import Cluster, eventually
from tests.live.simulated import apply

pytestmark = pytest.mark.live
SLUG = "crashloop-config-key"
DATABASE = "postgres://orders@orders-db:5432/orders"


def restarts(output: str) -> list[int]:
    return [int(n) for n in re.findall(r"CrashLoopBackOff\s+(\d+)", output)]


@pytest.mark.django_db
@pytest.mark.usefixtures("console_runner")
def test_the_learner_sees_the_crash_loop_reads_why_fixes_it_and_it_runs(
    cluster: Cluster, namespace: str, django_user_model: type[User]
) -> None:
    alice = django_user_model.objects.create_user("alice", "alice@example.org", "password-alice")
    attempt: Attempt = make_live_attempt(cluster, namespace, slug=SLUG, learner=alice)

    def run(line: str) -> str:
        command = console_run(attempt=attempt, line=line)
        assert command.exit_code == 0, command.output
        return command.output

    def looping(more_than: int) -> str | None:
        output = run("kubectl get pods")
        return output if max(restarts(output), default=-1) > more_than else None

    first = eventually(lambda: looping(-1), "CrashLoopBackOff")
    climbed = eventually(lambda: looping(max(restarts(first))), "the restarts to climb", timeout=30)
    pod_name = re.search(r"(orders-api-\S+)\s+0/1\s+CrashLoopBackOff", climbed)
    assert pod_name, climbed
    previous = run(f"kubectl logs {pod_name.group(1)} --previous")
    assert "FATAL config: required setting DATABASE_URL is not set" in previous
    described = run(f"kubectl describe pod {pod_name.group(1)}")
    assert "CrashLoopBackOff" in described and "Back-off restarting failed container api" in described
    assert "Exit Code:    1" in described

    refused = console_run(attempt=attempt, line="kubectl scale deployment orders-api --replicas=1")
    assert refused.exit_code != 0 and "Keep two replicas" in refused.output

    run(f"""kubectl patch configmap orders-api-config -p '{{"data":{{"DATABASE_URL":"{DATABASE}"}}}}'""")
    run("kubectl rollout restart deployment orders-api")
    fixed = time.monotonic()

    def two_running() -> str | None:
        output = run("kubectl get pods")
        lines = [line for line in output.splitlines() if line.startswith("orders-api-")]
        healthy = [line for line in lines if re.search(r"\s1/1\s+Running\s", line)]
        return output if len(healthy) == 2 and len(lines) == 2 else None

    eventually(two_running, "both replicas to run", timeout=60)
    print(f"{SLUG}: both replicas Running {time.monotonic() - fixed:.1f}s after the fix")
    assert "listening on :8080" in run("kubectl logs deployment/orders-api")
    with cluster.api_client() as api:
        results = authoring.challenge_check(api_client=api, challenge=load(), namespace=namespace)
    assert all(r.passed for r in results), {r.key: r.message for r in results}


# --- fairness ------------------------------------------------------------------------------------


def load() -> authoring.LoadedChallenge:
    return authoring.challenge_load(content_dir=settings.BREAKFIX_CONTENT_DIR, slug=SLUG)


def broken(api: ApiClient, namespace: str) -> authoring.LoadedChallenge:
    challenge = load()
    authoring.challenge_apply(api_client=api, challenge=challenge, namespace=namespace)
    eventually(
        lambda: authoring.workloads_settled(api_client=api, challenge=challenge, namespace=namespace) or None,
        "the broken state to show",
    )
    results = check(api, challenge, namespace)
    assert not any(r.passed for r in results), {r.key: r.message for r in results}
    return challenge


def check(
    api: ApiClient, challenge: authoring.LoadedChallenge, namespace: str
) -> list[validators.ObjectiveResult]:
    return authoring.challenge_check(api_client=api, challenge=challenge, namespace=namespace)


def orders_api(**container: Any) -> dict[str, Any]:
    """The broken Deployment of the challenge, with its container changed."""
    challenge = load()
    deployment = next(d for d in authoring._documents(challenge, "manifests") if d["kind"] == "Deployment")
    document: dict[str, Any] = {
        **deployment,
        "metadata": {"name": "orders-api", "labels": {"app": "orders-api"}},
    }
    template = document["spec"]["template"]
    (original,) = template["spec"]["containers"]
    template["spec"] = {**template["spec"], "containers": [{**original, **container}]}
    return document


def restarted(document: dict[str, Any]) -> dict[str, Any]:
    template = document["spec"]["template"]
    template["metadata"] = {
        **template["metadata"],
        "annotations": {"kubectl.kubernetes.io/restartedAt": str(time.time())},
    }
    return document


def configmap(data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "orders-api-config"}, "data": data}


HONEST: list[tuple[str, Callable[[], list[dict[str, Any]]]]] = [
    (
        "the ConfigMap gets the key the API reads",
        lambda: [
            configmap({"DATABASE_URL": DATABASE, "LOG_LEVEL": "info", "HTTP_PORT": "8080"}),
            restarted(orders_api()),
        ],
    ),
    (
        "the Deployment maps the existing key",
        lambda: [
            restarted(
                orders_api(
                    env=[
                        {
                            "name": "DATABASE_URL",
                            "valueFrom": {"configMapKeyRef": {"name": "orders-api-config", "key": "DB_URL"}},
                        }
                    ]
                )
            )
        ],
    ),
]


@pytest.mark.parametrize(("label", "fix"), HONEST, ids=[h[0] for h in HONEST])
def test_honest_fixes_pass(
    cluster: Cluster, namespace: str, label: str, fix: Callable[[], list[dict[str, Any]]]
) -> None:
    with cluster.api_client() as api:
        challenge = broken(api, namespace)
        apply(api, namespace, *fix())

        def passing() -> list[validators.ObjectiveResult] | None:
            results = check(api, challenge, namespace)
            return results if all(r.passed for r in results) else None

        eventually(passing, f"every objective to pass after: {label}", timeout=60)


SHORTCUTS: list[tuple[str, Callable[[], list[dict[str, Any]]], str, str]] = [
    (
        "a wrong database address",
        lambda: [restarted(orders_api(env=[{"name": "DATABASE_URL", "value": "x"}]))],
        "orders-api-started",
        "not logged a clean start",
    ),
    (
        "a start command that only sleeps",
        lambda: [restarted(orders_api(args=["sleep 3600"]))],
        "orders-api-started",
        "not logged a clean start",
    ),
    (
        "one replica",
        lambda: [{**orders_api(), "spec": {**orders_api()["spec"], "replicas": 1}}],
        "orders-api-ready",
        "two ready replicas",
    ),
]


@pytest.mark.parametrize(("label", "shortcut", "key", "fragment"), SHORTCUTS, ids=[s[0] for s in SHORTCUTS])
def test_shortcuts_fail(
    cluster: Cluster,
    namespace: str,
    label: str,
    shortcut: Callable[[], list[dict[str, Any]]],
    key: str,
    fragment: str,
) -> None:
    with cluster.api_client() as api:
        challenge = broken(api, namespace)
        apply(api, namespace, *shortcut())
        time.sleep(6)  # long enough for the shortcut's pods to start and show what they do
        results = {r.key: r for r in check(api, challenge, namespace)}
        assert not results[key].passed, label
        assert fragment in results[key].message


CONTAINER = "/spec/template/spec/containers/0"
GUARDED = [
    ("kubectl set image deployment/orders-api api=busybox:1.37", "image is the build team's"),
    (
        "kubectl patch deployment orders-api --type=json -p "
        f"""'[{{"op":"replace","path":"{CONTAINER}/args","value":["sleep 3600"]}}]'""",
        "start command of orders-api",
    ),
    (
        "kubectl patch deployment orders-api --type=json -p "
        f"""'[{{"op":"remove","path":"{CONTAINER}/readinessProbe"}}]'""",
        "Keep the readiness probe",
    ),
    ("kubectl delete deployment orders-api", "instead of deleting it"),
    ("kubectl run stand-in --image=busybox:1.36 --labels=app=orders-api -- sleep 3600", "would only pretend"),
]


@pytest.mark.django_db
@pytest.mark.usefixtures("console_runner")
def test_the_guards_refuse_the_shortcuts_as_the_learner(
    cluster: Cluster, namespace: str, django_user_model: type[User]
) -> None:
    bob = django_user_model.objects.create_user("bob", "bob@example.org", "password-bob")
    attempt: Attempt = make_live_attempt(cluster, namespace, slug=SLUG, learner=bob)
    # At once and once each: the guards are in force when the attempt is ready, and a shortcut
    # let through would change the state for good (a second try would have nothing to refuse).
    for line, message in GUARDED:
        command = console_run(attempt=attempt, line=line)
        assert command.exit_code != 0 and message in command.output, (line, command.output)
