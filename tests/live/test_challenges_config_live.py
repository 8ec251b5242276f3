"""password-in-configmap and quota-blocks-rollout are fair both ways, against a real API server.

The quota's verdicts are the real admission plugin's, and the rollout the real Deployment
controller's: a size that fits three pods but not the rolling update really deadlocks here.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes.client import ApiClient, AppsV1Api, CoreV1Api

from tests.live.fairness import (
    Obj,
    apply,
    as_learner,
    assert_fails,
    assert_passes,
    broken,
    document,
    kubectl,
    load,
    refused,
    solve,
)

pytestmark = pytest.mark.live

Fix = Callable[[ApiClient, Any, str], object]  # what a fix returns (kubectl's output) is not used

# --- password-in-configmap -----------------------------------------------------------------------

VAULT = "password-in-configmap"
PASSWORD = "Tr0ub4dor&3-orders"
NO_PASSWORD_IN_CONFIG = '[{"op":"remove","path":"/data/DB_PASSWORD"}]'


def credentials(value: bytes = PASSWORD.encode(), *, key: str = "password", raw: bool = False) -> Obj:
    """The Secret, its value under `data` (base64 once), or under `stringData` as given (`raw`)."""
    body: Obj = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "orders-db-credentials"},
        "type": "Opaque",
    }
    if raw:
        body["stringData"] = {key: value.decode()}
    else:
        body["data"] = {key: base64.b64encode(value).decode()}
    return body


def secret_ref(name: str = "orders-db-credentials", key: str = "password") -> Obj:
    return {"secretKeyRef": {"name": name, "key": key}}


def env_patch(c: Any, ns: str, deployment: str, index: int, value_from: Obj) -> None:
    ops = [
        {
            "op": "replace",
            "path": f"/spec/template/spec/containers/0/env/{index}/valueFrom",
            "value": value_from,
        }
    ]
    kubectl(c, ns, "patch", "deployment", deployment, "--type=json", "-p", json.dumps(ops))


def add_orders_env(c: Any, ns: str, entry: Obj) -> None:
    ops = [{"op": "add", "path": "/spec/template/spec/containers/0/env", "value": [entry]}]
    kubectl(c, ns, "patch", "deployment", "orders", "--type=json", "-p", json.dumps(ops))


def with_kubectl(api: ApiClient, c: Any, ns: str) -> None:
    kubectl(
        c, ns, "create", "secret", "generic", "orders-db-credentials", f"--from-literal=password={PASSWORD}"
    )
    secret = "--from=secret/orders-db-credentials"
    kubectl(c, ns, "set", "env", "deployment/orders", secret, "--keys=password", "--prefix=DB_")
    kubectl(c, ns, "set", "env", "deployment/orders-db", secret, "--keys=password", "--prefix=POSTGRES_")
    kubectl(c, ns, "patch", "configmap", "orders-config", "--type=json", "-p", NO_PASSWORD_IN_CONFIG)


def with_patches(api: ApiClient, c: Any, ns: str) -> None:
    apply(api, ns, credentials())
    add_orders_env(c, ns, {"name": "DB_PASSWORD", "valueFrom": secret_ref()})
    env_patch(c, ns, "orders-db", 2, secret_ref())
    kubectl(c, ns, "patch", "configmap", "orders-config", "--type=json", "-p", NO_PASSWORD_IN_CONFIG)


VAULT_HONEST: list[tuple[str, Fix]] = [
    ("the reference solution", lambda api, c, ns: solve(api, load(VAULT), ns)),
    ("kubectl create secret and set env", with_kubectl),
    ("a base64 Secret and JSON patches", with_patches),
]


@pytest.mark.parametrize(("label", "fix"), VAULT_HONEST, ids=[h[0] for h in VAULT_HONEST])
def test_password_in_configmap_accepts_honest_builds(
    cluster: Any, namespace: str, label: str, fix: Fix
) -> None:
    api = cluster.api_client()
    challenge = broken(api, VAULT, namespace)
    fix(api, cluster, namespace)
    assert_passes(api, challenge, namespace)


def everything_but(secret: Obj) -> Fix:
    """The wiring done right, around a Secret that is not."""

    def shortcut(api: ApiClient, c: Any, ns: str) -> None:
        apply(api, ns, secret)
        add_orders_env(c, ns, {"name": "DB_PASSWORD", "valueFrom": secret_ref()})
        env_patch(c, ns, "orders-db", 2, secret_ref())
        kubectl(c, ns, "patch", "configmap", "orders-config", "--type=json", "-p", NO_PASSWORD_IN_CONFIG)

    return shortcut


def literal_values(api: ApiClient, c: Any, ns: str) -> None:
    add_orders_env(c, ns, {"name": "DB_PASSWORD", "value": PASSWORD})
    ops = [
        {
            "op": "replace",
            "path": "/spec/template/spec/containers/0/env/2",
            "value": {"name": "POSTGRES_PASSWORD", "value": PASSWORD},
        }
    ]
    kubectl(c, ns, "patch", "deployment", "orders-db", "--type=json", "-p", json.dumps(ops))
    kubectl(c, ns, "patch", "configmap", "orders-config", "--type=json", "-p", NO_PASSWORD_IN_CONFIG)


def another_configmap(api: ApiClient, c: Any, ns: str) -> None:
    apply(
        api,
        ns,
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "orders-private"},
            "data": {"password": PASSWORD},
        },
    )
    ref = {"configMapKeyRef": {"name": "orders-private", "key": "password"}}
    add_orders_env(c, ns, {"name": "DB_PASSWORD", "valueFrom": ref})
    env_patch(c, ns, "orders-db", 2, ref)
    kubectl(c, ns, "patch", "configmap", "orders-config", "--type=json", "-p", NO_PASSWORD_IN_CONFIG)


def secret_beside_the_config(api: ApiClient, c: Any, ns: str) -> None:
    apply(api, ns, credentials())
    add_orders_env(c, ns, {"name": "DB_PASSWORD", "valueFrom": secret_ref()})
    env_patch(c, ns, "orders-db", 2, secret_ref())


def config_deleted(api: ApiClient, c: Any, ns: str) -> None:
    everything_but(credentials())(api, c, ns)
    CoreV1Api(api).delete_namespaced_config_map("orders-config", ns)


VAULT_SHORTCUTS: list[tuple[str, Fix, str, str]] = [
    ("the password written into the Deployments", literal_values, "orders-reads-the-secret", "secretKeyRef"),
    ("a second ConfigMap", another_configmap, "database-reads-the-secret", "secretKeyRef"),
    (
        "the password left in the ConfigMap too",
        secret_beside_the_config,
        "configmap-without-password",
        "DB_PASSWORD",
    ),
    (
        "a trailing newline",
        everything_but(credentials(PASSWORD.encode() + b"\n")),
        "secret-holds-password",
        "ends with a newline",
    ),
    (
        "base64 under stringData",
        everything_but(credentials(base64.b64encode(PASSWORD.encode()), raw=True)),
        "secret-holds-password",
        "base64-encoded twice",
    ),
    (
        "another key",
        everything_but(credentials(key="DB_PASSWORD")),
        "secret-holds-password",
        "has no key password (it holds DB_PASSWORD)",
    ),
    (
        "a new password",
        everything_but(credentials(b"s0mething-new")),
        "secret-holds-password",
        "is not the value the check expects",
    ),
    ("the whole ConfigMap deleted", config_deleted, "configmap-without-password", "orders-config"),
]


@pytest.mark.parametrize(
    ("label", "shortcut", "key", "fragment"), VAULT_SHORTCUTS, ids=[s[0] for s in VAULT_SHORTCUTS]
)
def test_password_in_configmap_refuses_shortcuts(
    cluster: Any, namespace: str, label: str, shortcut: Fix, key: str, fragment: str
) -> None:
    api = cluster.api_client()
    challenge = broken(api, VAULT, namespace)
    shortcut(api, cluster, namespace)
    assert_fails(api, challenge, namespace, key, fragment)


def test_password_in_configmap_never_shows_a_secret_value(cluster: Any, namespace: str) -> None:
    api = cluster.api_client()
    challenge = broken(api, VAULT, namespace)
    everything_but(credentials(b"an-attempt-to-guess"))(api, cluster, namespace)
    results = assert_fails(api, challenge, namespace, "secret-holds-password", "not the value")
    assert "an-attempt-to-guess" not in json.dumps(
        [(r.message, r.details) for r in results.values()], default=str
    )


def test_guards_keep_the_orders_config_and_images(cluster: Any, namespace: str) -> None:
    api = cluster.api_client()
    broken(api, VAULT, namespace)
    learner = as_learner(cluster, namespace)
    body = refused(
        lambda: CoreV1Api(learner).delete_namespaced_config_map("orders-config", namespace, dry_run="All")
    )
    assert "move only the password" in body
    image = {"spec": {"template": {"spec": {"containers": [{"name": "postgres", "image": "postgres:16"}]}}}}
    body = refused(
        lambda: AppsV1Api(learner).patch_namespaced_deployment("orders-db", namespace, image, dry_run="All")
    )
    assert "change only where they read the password from" in body
    CoreV1Api(learner).create_namespaced_secret(namespace, credentials())


# --- quota-blocks-rollout ------------------------------------------------------------------------

BUDGET = "quota-blocks-rollout"


def resources(requests: str, limits: str) -> Fix:
    return lambda api, c, ns: kubectl(
        c,
        ns,
        "set",
        "resources",
        "deployment",
        "invoice-api",
        "-c",
        "api",
        f"--requests=memory={requests}",
        f"--limits=memory={limits}",
    )


def recreate(api: ApiClient, c: Any, ns: str) -> None:
    patch = {
        "spec": {
            "strategy": {"type": "Recreate", "rollingUpdate": None},
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "api",
                            "resources": {"requests": {"memory": "512Mi"}, "limits": {"memory": "1Gi"}},
                        }
                    ]
                }
            },
        }
    }
    AppsV1Api(api).patch_namespaced_deployment("invoice-api", ns, patch)


BUDGET_HONEST: list[tuple[str, Fix]] = [
    ("the reference solution", lambda api, c, ns: solve(api, load(BUDGET), ns)),
    ("exactly what the load test measured", resources("192Mi", "384Mi")),
    ("Recreate, with room for three larger pods", recreate),
]


@pytest.mark.parametrize(("label", "fix"), BUDGET_HONEST, ids=[h[0] for h in BUDGET_HONEST])
def test_quota_blocks_rollout_accepts_honest_fixes(
    cluster: Any, namespace: str, label: str, fix: Fix
) -> None:
    api = cluster.api_client()
    challenge = broken(api, BUDGET, namespace)
    fix(api, cluster, namespace)
    assert_passes(api, challenge, namespace)


def quota(hard: Obj) -> Fix:
    def shortcut(api: ApiClient, c: Any, ns: str) -> None:
        body = document(load(BUDGET), "manifests", "ResourceQuota", "team-budget")
        body["spec"]["hard"].update(hard)
        apply(api, ns, body)

    return shortcut


def quota_deleted(api: ApiClient, c: Any, ns: str) -> None:
    CoreV1Api(api).delete_namespaced_resource_quota("team-budget", ns)


def rolled_back(api: ApiClient, c: Any, ns: str) -> None:
    kubectl(c, ns, "set", "image", "deployment/invoice-api", "api=ghcr.io/breakfix-labs/invoice-api:1.9.3")
    resources("256Mi", "512Mi")(api, c, ns)


def rollout_done(results: dict[str, Any]) -> bool:
    return bool(results["rollout-complete"].passed)


BUDGET_SHORTCUTS: list[tuple[str, Fix, str, str]] = [
    ("raising the quota", quota({"requests.memory": "4Gi"}), "sized-to-fit", "above what the check expects"),
    ("deleting the quota", quota_deleted, "sized-to-fit", "above what the check expects"),
    (
        "two replicas",
        lambda api, c, ns: kubectl(c, ns, "scale", "deployment/invoice-api", "--replicas=2"),
        "sized-to-fit",
        "spec.replicas = 2",
    ),
    (
        "less memory than the app needs",
        resources("64Mi", "384Mi"),
        "sized-to-fit",
        "below what the check expects",
    ),
    (
        "a limit below the measured one",
        resources("192Mi", "256Mi"),
        "sized-to-fit",
        "expected at least 384Mi",
    ),
    ("the previous release", rolled_back, "sized-to-fit", "invoice-api:1.9.3"),
]


@pytest.mark.parametrize(
    ("label", "shortcut", "key", "fragment"), BUDGET_SHORTCUTS, ids=[s[0] for s in BUDGET_SHORTCUTS]
)
def test_quota_blocks_rollout_refuses_shortcuts(
    cluster: Any, namespace: str, label: str, shortcut: Fix, key: str, fragment: str
) -> None:
    api = cluster.api_client()
    challenge = broken(api, BUDGET, namespace)
    shortcut(api, cluster, namespace)
    # Each shortcut finishes the rollout: the sizing check alone must catch it.
    results = assert_fails(api, challenge, namespace, key, fragment, settled=rollout_done)
    assert results["rollout-complete"].passed, results["rollout-complete"].message


def test_quota_blocks_rollout_sees_a_rolling_update_the_quota_deadlocks(cluster: Any, namespace: str) -> None:
    api = cluster.api_client()
    challenge = broken(api, BUDGET, namespace)
    # Three pods of 300Mi fit the quota, but not two of them beside the two old 768Mi pods.
    resources("300Mi", "512Mi")(api, cluster, namespace)
    results = assert_fails(api, challenge, namespace, "rollout-complete", "exceeded quota: team-budget")
    assert results["sized-to-fit"].passed, results["sized-to-fit"].message


def test_guards_keep_the_budget_and_the_release(cluster: Any, namespace: str) -> None:
    api = cluster.api_client()
    broken(api, BUDGET, namespace)
    learner = as_learner(
        cluster,
        namespace,
        rules=[{"apiGroups": [""], "resources": ["resourcequotas"], "verbs": ["update", "patch", "delete"]}],
    )
    core = CoreV1Api(learner)
    body = refused(lambda: core.delete_namespaced_resource_quota("team-budget", namespace, dry_run="All"))
    assert "make the release fit into it" in body
    bigger = {"spec": {"hard": {"requests.memory": "8Gi"}}}
    body = refused(
        lambda: core.patch_namespaced_resource_quota("team-budget", namespace, bigger, dry_run="All")
    )
    assert "does not grow" in body
    old = {
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "api", "image": "ghcr.io/breakfix-labs/invoice-api:1.9.3"}]}
            }
        }
    }
    body = refused(
        lambda: AppsV1Api(learner).patch_namespaced_deployment("invoice-api", namespace, old, dry_run="All")
    )
    assert "instead of rolling back" in body
    sized = {
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "api", "resources": {"requests": {"memory": "256Mi"}}}]}
            }
        }
    }
    AppsV1Api(learner).patch_namespaced_deployment("invoice-api", namespace, sized)
