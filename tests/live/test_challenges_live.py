"""The launch challenges are fair both ways, against a real API server.

Every honest fix passes; every shortcut that does not fix the real problem fails with a message
that teaches. Shortcuts are applied with the platform's credentials, past the guards: a guard is a
courtesy, the check is the judge. The guards themselves are tested as the learner.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from kubernetes.client import ApiClient, AppsV1Api, CoreV1Api, RbacAuthorizationV1Api
from kubernetes.client.exceptions import ApiException

import validators
from challenges.kube.apply import apply_documents
from challenges.services import authoring
from tests.fixtures.worker import wait_until
from validators.namespace_view import NamespaceView
from validators.view import AccessQuestion

pytestmark = pytest.mark.live


def load(slug: str) -> authoring.LoadedChallenge:
    return authoring.challenge_load(content_dir=settings.BREAKFIX_CONTENT_DIR, slug=slug)


def broken(api: ApiClient, slug: str, namespace: str) -> authoring.LoadedChallenge:
    challenge = load(slug)
    authoring.challenge_apply(api_client=api, challenge=challenge, namespace=namespace)
    deadline = time.monotonic() + 60
    while not authoring.workloads_ready(api_client=api, challenge=challenge, namespace=namespace):
        assert time.monotonic() < deadline, "the broken state's workloads never became ready"
        time.sleep(0.3)
    return challenge


def results_after(
    api: ApiClient,
    challenge: authoring.LoadedChallenge,
    namespace: str,
    *,
    want_pass: bool,
    key: str = "",
    fragment: str = "",
    settled: Callable[[dict[str, validators.ObjectiveResult]], bool] | None = None,
) -> dict[str, validators.ObjectiveResult]:
    """Check until the outcome settles: all pass, or `key` fails naming `fragment`.

    The broken state already fails, so a shortcut is judged only once its own effect shows in
    the message (EndpointSlices and pod readiness lag a change by a moment).
    """
    deadline = time.monotonic() + 20
    while True:
        results = {
            r.key: r
            for r in authoring.challenge_check(api_client=api, challenge=challenge, namespace=namespace)
        }
        if settled is not None:
            done = settled(results)
        elif want_pass:
            done = all(r.passed for r in results.values())
        else:
            done = not results[key].passed and fragment in results[key].message
        if done or time.monotonic() > deadline:
            return results
        time.sleep(0.5)


def kubectl(cluster: Any, namespace: str, *args: str) -> str:
    out = subprocess.run(
        ["kubectl", "--kubeconfig", str(cluster.kubeconfig), "-n", namespace, *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ},
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def apply(api: ApiClient, namespace: str, *documents: dict[str, Any]) -> None:
    apply_documents(api, namespace, list(documents), field_manager="test-learner")


def service(name: str, selector: dict[str, str], port: int, target: int | str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {
            "selector": selector,
            "ports": [{"name": "web", "port": port, "targetPort": target}],
            **spec,
        },
    }


def policy(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name},
        "spec": spec,
    }


def frontend_to_payments(port: int | str = 8443, peers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "podSelector": {"matchLabels": {"app": "payments"}},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": peers
                if peers is not None
                else [{"podSelector": {"matchLabels": {"app": "frontend"}}}],
                "ports": [{"protocol": "TCP", "port": port}],
            }
        ],
    }


# --- expose-internally -------------------------------------------------------------------------

EXPOSE_HONEST: list[tuple[str, Callable[[ApiClient, Any, str], object]]] = [
    (
        "kubectl expose",
        lambda api, c, ns: kubectl(
            c,
            ns,
            "expose",
            "deployment",
            "webapp",
            "--name",
            "webapp",
            "--port",
            "80",
            "--target-port",
            "8080",
        ),
    ),
    (
        "kubectl create service",
        lambda api, c, ns: kubectl(c, ns, "create", "service", "clusterip", "webapp", "--tcp=80:8080"),
    ),
    (
        "named target port",
        lambda api, c, ns: apply(api, ns, service("webapp", {"app": "webapp"}, 80, "http")),
    ),
]


@pytest.mark.parametrize(("label", "fix"), EXPOSE_HONEST, ids=[h[0] for h in EXPOSE_HONEST])
def test_expose_internally_accepts_honest_fixes(cluster: Any, namespace: str, label: str, fix: Any) -> None:
    api = cluster.api_client()
    challenge = broken(api, "expose-internally", namespace)
    fix(api, cluster, namespace)
    results = results_after(api, challenge, namespace, want_pass=True)
    assert all(r.passed for r in results.values()), {k: r.message for k, r in results.items()}


EXPOSE_SHORTCUTS = [
    (
        "a NodePort Service",
        service("webapp", {"app": "webapp"}, 80, 8080, type="NodePort"),
        "stays-internal",
        "ClusterIP",
    ),
    (
        "a LoadBalancer Service",
        service("webapp", {"app": "webapp"}, 80, 8080, type="LoadBalancer"),
        "service-routes-to-webapp",
        "LoadBalancer",
    ),
    (
        "external IPs",
        service("webapp", {"app": "webapp"}, 80, 8080, externalIPs=["192.0.2.10"]),
        "stays-internal",
        "externalIPs",
    ),
    ("the wrong port", service("webapp", {"app": "webapp"}, 8080, 8080), "service-routes-to-webapp", "80"),
    (
        "the client's pods",
        service("webapp", {"app": "client"}, 80, 8080),
        "service-routes-to-webapp",
        "client",
    ),
]


@pytest.mark.parametrize(
    ("label", "document", "key", "fragment"), EXPOSE_SHORTCUTS, ids=[s[0] for s in EXPOSE_SHORTCUTS]
)
def test_expose_internally_refuses_shortcuts(
    cluster: Any, namespace: str, label: str, document: dict[str, Any], key: str, fragment: str
) -> None:
    api = cluster.api_client()
    challenge = broken(api, "expose-internally", namespace)
    apply(api, namespace, document)
    results = results_after(api, challenge, namespace, want_pass=False, key=key, fragment=fragment)
    assert not results[key].passed
    assert fragment in results[key].message, results[key].message


# --- wrong-selector ----------------------------------------------------------------------------

WRONG_SELECTOR_HONEST: list[tuple[str, Callable[[ApiClient, Any, str], object]]] = [
    (
        "kubectl set selector",
        lambda api, c, ns: kubectl(c, ns, "set", "selector", "service", "frontend", "app=frontend"),
    ),
    (
        "kubectl patch",
        lambda api, c, ns: kubectl(
            c,
            ns,
            "patch",
            "service",
            "frontend",
            "--type=merge",
            "-p",
            '{"spec":{"selector":{"app":"frontend"}}}',
        ),
    ),
    (
        "both labels",
        lambda api, c, ns: apply(
            api, ns, service("frontend", {"app": "frontend", "tier": "web"}, 80, "http")
        ),
    ),
]


@pytest.mark.parametrize(("label", "fix"), WRONG_SELECTOR_HONEST, ids=[h[0] for h in WRONG_SELECTOR_HONEST])
def test_wrong_selector_accepts_honest_fixes(cluster: Any, namespace: str, label: str, fix: Any) -> None:
    api = cluster.api_client()
    challenge = broken(api, "wrong-selector", namespace)
    fix(api, cluster, namespace)
    results = results_after(api, challenge, namespace, want_pass=True)
    assert all(r.passed for r in results.values()), {k: r.message for k, r in results.items()}


def bare_pod(name: str, labels: dict[str, str]) -> Any:  # a body for the typed client, which takes dicts
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "containers": [{"name": "web", "image": "nginx:1.27-alpine", "ports": [{"containerPort": 80}]}]
        },
    }


def test_wrong_selector_refuses_a_bare_pod_that_matches_the_broken_selector(
    cluster: Any, namespace: str
) -> None:
    api = cluster.api_client()
    challenge = broken(api, "wrong-selector", namespace)
    apply(api, namespace, bare_pod("impostor", {"app": "front-end"}))
    results = results_after(
        api, challenge, namespace, want_pass=False, key="service-routes-to-frontend", fragment="impostor"
    )
    message = results["service-routes-to-frontend"].message
    assert not results["service-routes-to-frontend"].passed
    assert "impostor" in message, message


def test_wrong_selector_refuses_a_bare_pod_beside_the_real_fix(cluster: Any, namespace: str) -> None:
    api = cluster.api_client()
    challenge = broken(api, "wrong-selector", namespace)
    apply(api, namespace, bare_pod("extra-frontend", {"app": "frontend", "tier": "web"}))
    kubectl(cluster, namespace, "set", "selector", "service", "frontend", "app=frontend")
    results = results_after(
        api,
        challenge,
        namespace,
        want_pass=False,
        key="service-routes-to-frontend",
        fragment="extra-frontend",
    )
    assert "extra-frontend" in results["service-routes-to-frontend"].message


def test_wrong_selector_refuses_a_selector_on_the_tier_alone(cluster: Any, namespace: str) -> None:
    api = cluster.api_client()
    challenge = broken(api, "wrong-selector", namespace)
    kubectl(cluster, namespace, "set", "selector", "service", "frontend", "tier=web")
    results = results_after(
        api, challenge, namespace, want_pass=False, settled=lambda r: r["service-routes-to-frontend"].passed
    )
    assert results["service-routes-to-frontend"].passed
    assert not results["selector-uses-app-label"].passed
    assert "label that names the application" in results["selector-uses-app-label"].message


def test_wrong_selector_refuses_a_nodeport_service(cluster: Any, namespace: str) -> None:
    api = cluster.api_client()
    challenge = broken(api, "wrong-selector", namespace)
    kubectl(
        cluster,
        namespace,
        "patch",
        "service",
        "frontend",
        "--type=merge",
        "-p",
        '{"spec":{"type":"NodePort","selector":{"app":"frontend"}}}',
    )
    results = results_after(
        api, challenge, namespace, want_pass=False, key="service-routes-to-frontend", fragment="NodePort"
    )
    assert "NodePort" in results["service-routes-to-frontend"].message


# --- partial-outage ----------------------------------------------------------------------------

OUTAGE_HONEST: list[tuple[str, list[dict[str, Any]], list[str]]] = [
    ("fix the port", [policy("allow-payments", frontend_to_payments(8443))], []),
    ("use the named port", [policy("allow-payments", frontend_to_payments("https"))], []),
    ("a new policy beside the broken one", [policy("frontend-to-payments", frontend_to_payments(8443))], []),
    (
        "replace the broken policy",
        [policy("payments-ingress", frontend_to_payments(8443))],
        ["allow-payments"],
    ),
]


@pytest.mark.parametrize(("label", "documents", "delete"), OUTAGE_HONEST, ids=[h[0] for h in OUTAGE_HONEST])
def test_partial_outage_accepts_honest_fixes(
    cluster: Any, namespace: str, label: str, documents: list[dict[str, Any]], delete: list[str]
) -> None:
    api = cluster.api_client()
    challenge = broken(api, "partial-outage", namespace)
    for name in delete:
        kubectl(cluster, namespace, "delete", "networkpolicy", name)
    apply(api, namespace, *documents)
    results = results_after(api, challenge, namespace, want_pass=True)
    assert all(r.passed for r in results.values()), {k: r.message for k, r in results.items()}


ALL_PODS: dict[str, Any] = {"podSelector": {}}
OUTAGE_SHORTCUTS: list[tuple[str, list[dict[str, Any]], list[str], str, str]] = [
    (
        "an allow-all ingress policy",
        [policy("allow-all", {"podSelector": {}, "ingress": [{}]})],
        [],
        "payments-stays-private",
        "reporting",
    ),
    (
        "deleting default-deny-ingress",
        [policy("allow-payments", frontend_to_payments(8443))],
        ["default-deny-ingress"],
        "payments-stays-private",
        "reporting",
    ),
    (
        "payments open to every pod",
        [policy("allow-payments", frontend_to_payments(8443, [ALL_PODS]))],
        [],
        "payments-stays-private",
        "reporting",
    ),
    (
        "payments open to every namespace",
        [policy("allow-payments", frontend_to_payments(8443, [{"namespaceSelector": {}}]))],
        [],
        "payments-stays-private",
        "reporting",
    ),
    (
        "letting reporting in beside the frontend",
        [
            policy(
                "allow-payments",
                frontend_to_payments(
                    8443,
                    [
                        {"podSelector": {"matchLabels": {"app": "frontend"}}},
                        {"podSelector": {"matchLabels": {"app": "reporting"}}},
                    ],
                ),
            )
        ],
        [],
        "payments-stays-private",
        "reporting",
    ),
    (
        "the wrong port again",
        [policy("allow-payments", frontend_to_payments(443))],
        [],
        "frontend-reaches-backends",
        "payments",
    ),
]


@pytest.mark.parametrize(
    ("label", "documents", "delete", "key", "fragment"),
    OUTAGE_SHORTCUTS,
    ids=[s[0] for s in OUTAGE_SHORTCUTS],
)
def test_partial_outage_refuses_shortcuts(
    cluster: Any,
    namespace: str,
    label: str,
    documents: list[dict[str, Any]],
    delete: list[str],
    key: str,
    fragment: str,
) -> None:
    api = cluster.api_client()
    challenge = broken(api, "partial-outage", namespace)
    for name in delete:
        kubectl(cluster, namespace, "delete", "networkpolicy", name)
    apply(api, namespace, *documents)
    results = results_after(api, challenge, namespace, want_pass=False, key=key, fragment=fragment)
    assert not results[key].passed
    assert fragment in results[key].message, results[key].message


# --- guards, as the learner --------------------------------------------------------------------


def as_learner(
    cluster: Any, namespace: str, *, cluster_role: str = "edit", rules: list[dict[str, Any]] | None = None
) -> ApiClient:
    """An ApiClient that impersonates the attempt's learner ServiceAccount, with `cluster_role` rights
    there (a kind backend's learner is cluster-admin; `admin` lets one write RBAC), plus `rules`."""
    api = cluster.api_client()
    # The typed client takes plain dicts as bodies too; its annotations name only its models.
    account: Any = {"metadata": {"name": "learner"}}
    CoreV1Api(api).create_namespaced_service_account(namespace, account)
    subjects = [{"kind": "ServiceAccount", "name": "learner", "namespace": namespace}]
    rbac = RbacAuthorizationV1Api(api)
    binding: Any = {
        "metadata": {"name": "learner-edit"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": cluster_role},
        "subjects": subjects,
    }
    rbac.create_namespaced_role_binding(namespace, binding)
    if rules:
        role: Any = {"metadata": {"name": "learner-extra"}, "rules": rules}
        rbac.create_namespaced_role(namespace, role)
        extra: Any = {
            "metadata": {"name": "learner-extra"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "learner-extra"},
            "subjects": subjects,
        }
        rbac.create_namespaced_role_binding(namespace, extra)
    user = f"system:serviceaccount:{namespace}:learner"
    # The authorizer reads bindings from its informer, which lags their creation (by up to a
    # second under load): wait until it grants what each binding gives, or the first request is
    # refused for no reason the test is about.
    granted = [("get", "", "pods")]
    if rules:
        first = rules[0]
        granted.append((first["verbs"][0], first.get("apiGroups", [""])[0], first["resources"][0]))
    for verb, group, resource in granted:
        wait_until(
            partial(allowed, api, user, namespace, verb, group, resource),
            timeout=30,
            what=f"RBAC to let {user} {verb} {resource}",
        )
    learner = cluster.api_client()
    learner.set_default_header("Impersonate-User", user)
    return learner


def allowed(api: ApiClient, user: str, namespace: str, verb: str, group: str, resource: str) -> bool:
    """The authorizer's answer now, asked the way the `rbac` objective asks it."""
    groups = ["system:serviceaccounts", f"system:serviceaccounts:{namespace}"]
    question = AccessQuestion(user=user, groups=groups, verb=verb, resource=resource, group=group)
    return bool(NamespaceView(api, namespace).subject_access_review(question).get("allowed"))


def refused(call: Callable[[], object]) -> str:
    """The body of the API server's refusal. Calls are dry runs: admission policies take a moment
    to reach the API server's admission chain after they are created, so the call is retried."""
    deadline = time.monotonic() + 15
    while True:
        try:
            call()
        except ApiException as error:
            assert error.status in (403, 422), error.body
            return str(error.body)
        assert time.monotonic() < deadline, "the guard never refused the call"
        time.sleep(0.5)


def test_guards_stop_a_learner_impersonating_the_frontend_with_a_bare_pod(
    cluster: Any, namespace: str
) -> None:
    api = cluster.api_client()
    broken(api, "wrong-selector", namespace)
    learner = as_learner(cluster, namespace)
    body = refused(
        lambda: CoreV1Api(learner).create_namespaced_pod(
            namespace, bare_pod("impostor", {"app": "front-end"}), dry_run="All"
        )
    )
    assert "pretend to be the application" in body
    # A debugging pod without an app label is fine.
    CoreV1Api(learner).create_namespaced_pod(namespace, bare_pod("debug", {"run": "debug"}))


def test_guards_stop_a_learner_relabelling_the_frontend(cluster: Any, namespace: str) -> None:
    from kubernetes.client import AppsV1Api

    api = cluster.api_client()
    broken(api, "wrong-selector", namespace)
    learner = as_learner(cluster, namespace)
    patch = {"spec": {"template": {"metadata": {"labels": {"version": "v2"}}}}}
    body = refused(
        lambda: AppsV1Api(learner).patch_namespaced_deployment("frontend", namespace, patch, dry_run="All")
    )
    assert "leave the pod labels as they are" in body
    # The platform itself is never blocked by a guard.
    AppsV1Api(api).patch_namespaced_deployment("frontend", namespace, patch)


def test_guards_stop_a_learner_deleting_default_deny(cluster: Any, namespace: str) -> None:
    from kubernetes.client import NetworkingV1Api

    api = cluster.api_client()
    broken(api, "partial-outage", namespace)
    learner = as_learner(cluster, namespace)
    body = refused(
        lambda: NetworkingV1Api(learner).delete_namespaced_network_policy(
            "default-deny-ingress", namespace, dry_run="All"
        )
    )
    assert "leave it in place" in body
    # ...but may fix the broken policy.
    NetworkingV1Api(learner).patch_namespaced_network_policy(
        "allow-payments", namespace, {"spec": frontend_to_payments(8443)}
    )


def test_guards_police_only_their_own_namespace(cluster: Any, namespace: str) -> None:
    api = cluster.api_client()
    broken(api, "wrong-selector", namespace)
    other = f"{namespace}-other"[:63]
    authoring.namespace_create(api, name=other, labels={"breakfix.dev/test": "true"})
    try:
        learner = as_learner(cluster, other)
        CoreV1Api(learner).create_namespaced_pod(other, bare_pod("lookalike", {"app": "front-end"}))
    finally:
        authoring.namespace_delete(api, name=other)


def test_prove_all_passes(cluster: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    from challenges.loader import load_all

    out = StringIO()
    call_command("challenge", "--kubeconfig", str(cluster.kubeconfig), "prove", "--all", stdout=out)
    slugs = {challenge.slug for challenge in load_all(settings.BREAKFIX_CONTENT_DIR)}
    assert {"expose-internally", "wrong-selector", "partial-outage"} <= slugs
    for slug in sorted(slugs):
        assert f"{slug}: proven" in out.getvalue(), out.getvalue()


def test_prove_judges_a_deployment_the_api_refuses_pods_to_once_it_says_so(
    cluster: Any, namespace: str
) -> None:
    # quota-blocks-rollout: team-budget admits two of invoice-api's three pods and refuses the
    # third, which never exists: the broken state has settled once the Deployment reports that.
    api = cluster.api_client()
    challenge = load("quota-blocks-rollout")
    authoring.challenge_apply(api_client=api, challenge=challenge, namespace=namespace)
    deadline = time.monotonic() + 30
    while not authoring.workloads_settled(api_client=api, challenge=challenge, namespace=namespace):
        assert time.monotonic() < deadline, "the refused Deployment never counted as settled"
        time.sleep(0.3)
    status = AppsV1Api(api).read_namespaced_deployment_status("invoice-api", namespace).status
    refusal = next(c for c in status.conditions if c.type == "ReplicaFailure")
    assert refusal.status == "True" and "exceeded quota: team-budget" in refusal.message
    assert status.replicas == 2
    results = {
        r.key: r for r in authoring.challenge_check(api_client=api, challenge=challenge, namespace=namespace)
    }
    assert results["rollout-complete"].message.startswith("The rollout of invoice-api has not finished")


def test_a_scaffolded_challenge_is_proven_as_written(cluster: Any, tmp_path: Path) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    common = ["challenge", "--content-dir", str(tmp_path), "--kubeconfig", str(cluster.kubeconfig)]
    call_command(*common, "new", "scaffolded", stdout=out)
    call_command(*common, "prove", "scaffolded", stdout=out)
    assert "scaffolded: proven" in out.getvalue(), out.getvalue()
