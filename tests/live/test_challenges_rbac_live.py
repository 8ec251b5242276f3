"""forbidden-report and least-privilege are fair both ways: the API server's own authorizer judges."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes.client import ApiClient, AppsV1Api, BatchV1Api, CoreV1Api, RbacAuthorizationV1Api

from tests.live.fairness import (
    Obj,
    apply,
    as_learner,
    assert_fails,
    assert_passes,
    broken,
    kubectl,
    load,
    refused,
    solve,
)

pytestmark = pytest.mark.live

Fix = Callable[[ApiClient, Any, str], object]  # what a fix returns (kubectl's output) is not used
GROUP = "rbac.authorization.k8s.io"


def role(name: str, *rules: Obj) -> Obj:
    return {"apiVersion": f"{GROUP}/v1", "kind": "Role", "metadata": {"name": name}, "rules": list(rules)}


def rule(groups: list[str], resources: list[str], verbs: list[str], names: list[str] | None = None) -> Obj:
    found: Obj = {"apiGroups": groups, "resources": resources, "verbs": verbs}
    if names:
        found["resourceNames"] = names
    return found


def binding(name: str, account: str, *, kind: str = "Role", role_name: str | None = None) -> Obj:
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "RoleBinding",
        "metadata": {"name": name},
        "roleRef": {"apiGroup": GROUP, "kind": kind, "name": role_name or name},
        "subjects": [{"kind": "ServiceAccount", "name": account}],
    }


# --- forbidden-report ----------------------------------------------------------------------------

REPORT = "forbidden-report"
READ_PODS = rule([""], ["pods"], ["get", "list"])


def kubectl_create(api: ApiClient, c: Any, ns: str) -> None:
    kubectl(c, ns, "create", "role", "pod-lister", "--verb=list", "--resource=pods")
    kubectl(
        c, ns, "create", "rolebinding", "pod-lister", "--role=pod-lister", f"--serviceaccount={ns}:reporter"
    )


def patch_both(api: ApiClient, c: Any, ns: str) -> None:
    rules = [rule([""], ["pods"], ["get", "list", "watch"])]
    replace_rules = json.dumps([{"op": "replace", "path": "/rules", "value": rules}])
    kubectl(c, ns, "patch", "role", "pod-report", "--type=json", "-p", replace_rules)
    subjects = [{"kind": "ServiceAccount", "name": "reporter", "namespace": ns}]
    replace_subjects = json.dumps([{"op": "replace", "path": "/subjects", "value": subjects}])
    kubectl(c, ns, "patch", "rolebinding", "pod-report", "--type=json", "-p", replace_subjects)


REPORT_HONEST: list[tuple[str, Fix]] = [
    ("the reference solution", lambda api, c, ns: solve(api, load(REPORT), ns)),
    ("kubectl create role and rolebinding", kubectl_create),
    ("patching the Role and the RoleBinding", patch_both),
]


@pytest.mark.parametrize(("label", "fix"), REPORT_HONEST, ids=[h[0] for h in REPORT_HONEST])
def test_forbidden_report_accepts_honest_fixes(cluster: Any, namespace: str, label: str, fix: Fix) -> None:
    api = cluster.api_client()
    challenge = broken(api, REPORT, namespace)
    fix(api, cluster, namespace)
    assert_passes(api, challenge, namespace)


def bind_cluster_role(name: str) -> Fix:
    return lambda api, c, ns: apply(
        api, ns, binding(f"reporter-{name}", "reporter", kind="ClusterRole", role_name=name)
    )


def fixed_role_only(api: ApiClient, c: Any, ns: str) -> None:
    apply(api, ns, role("pod-report", READ_PODS))


def fixed_binding_only(api: ApiClient, c: Any, ns: str) -> None:
    RbacAuthorizationV1Api(api).patch_namespaced_role_binding(
        "pod-report", ns, {"subjects": [{"kind": "ServiceAccount", "name": "reporter", "namespace": ns}]}
    )


def every_resource(api: ApiClient, c: Any, ns: str) -> None:
    apply(api, ns, role("list-anything", rule([""], ["*"], ["list"])), binding("list-anything", "reporter"))


def another_account(api: ApiClient, c: Any, ns: str) -> None:
    # The report runs as someone else who may list pods; reporter itself still cannot.
    CoreV1Api(api).create_namespaced_service_account(ns, {"metadata": {"name": "report-runner"}})
    apply(api, ns, role("runner", READ_PODS), binding("runner", "report-runner"))
    patch = {
        "spec": {"jobTemplate": {"spec": {"template": {"spec": {"serviceAccountName": "report-runner"}}}}}
    }
    BatchV1Api(api).patch_namespaced_cron_job("pod-report", ns, patch)


REPORT_SHORTCUTS: list[tuple[str, Fix, str, str]] = [
    ("the view ClusterRole", bind_cluster_role("view"), "reporter-only-reads-pods", "can get pods/log"),
    ("the edit ClusterRole", bind_cluster_role("edit"), "reporter-only-reads-pods", "can create pods"),
    ("list on every resource", every_resource, "reporter-only-reads-pods", "can list secrets"),
    ("the Role fixed, the binding not", fixed_role_only, "reporter-lists-pods", "cannot list pods"),
    ("the binding fixed, the Role not", fixed_binding_only, "reporter-lists-pods", "cannot list pods"),
    ("running the report as another account", another_account, "reporter-lists-pods", "cannot list pods"),
]


@pytest.mark.parametrize(
    ("label", "shortcut", "key", "fragment"), REPORT_SHORTCUTS, ids=[s[0] for s in REPORT_SHORTCUTS]
)
def test_forbidden_report_refuses_shortcuts(
    cluster: Any, namespace: str, label: str, shortcut: Fix, key: str, fragment: str
) -> None:
    api = cluster.api_client()
    challenge = broken(api, REPORT, namespace)
    shortcut(api, cluster, namespace)
    assert_fails(api, challenge, namespace, key, fragment)


def test_forbidden_report_refuses_a_cluster_wide_grant(cluster: Any, namespace: str) -> None:
    api = cluster.api_client()
    challenge = broken(api, REPORT, namespace)
    rbac = RbacAuthorizationV1Api(api)
    name = f"pod-lister-{namespace}"[:63]
    rbac.create_cluster_role({"metadata": {"name": name}, "rules": [READ_PODS]})
    try:
        rbac.create_cluster_role_binding(
            {
                "metadata": {"name": name},
                "roleRef": {"apiGroup": GROUP, "kind": "ClusterRole", "name": name},
                "subjects": [{"kind": "ServiceAccount", "name": "reporter", "namespace": namespace}],
            }
        )
        results = assert_fails(
            api, challenge, namespace, "reporter-only-reads-pods", "can list pods cluster-wide"
        )
        assert results["reporter-lists-pods"].passed
    finally:
        rbac.delete_cluster_role_binding(name)
        rbac.delete_cluster_role(name)


def test_guards_keep_the_report_and_refuse_built_in_roles(cluster: Any, namespace: str) -> None:
    api = cluster.api_client()
    broken(api, REPORT, namespace)
    # admin: a learner who may write RBAC at all (the API server's escalation check passes).
    learner = as_learner(cluster, namespace, cluster_role="admin")
    rbac = RbacAuthorizationV1Api(learner)
    body = refused(
        lambda: rbac.create_namespaced_role_binding(
            namespace,
            binding("reporter-edit", "reporter", kind="ClusterRole", role_name="edit"),
            dry_run="All",
        )
    )
    assert "write a Role that grants exactly what the report needs" in body
    patch = {"spec": {"jobTemplate": {"spec": {"template": {"spec": {"serviceAccountName": "default"}}}}}}
    body = refused(
        lambda: BatchV1Api(learner).patch_namespaced_cron_job("pod-report", namespace, patch, dry_run="All")
    )
    assert "grant reporter what the command needs" in body
    rbac.create_namespaced_role(namespace, role("pod-lister", READ_PODS))
    rbac.create_namespaced_role_binding(namespace, binding("pod-lister", "reporter"))


# --- least-privilege -----------------------------------------------------------------------------

BOT = "least-privilege"
RELEASE_RULES = [
    rule(["apps"], ["deployments"], ["get", "list", "watch", "patch"]),
    rule(["apps"], ["replicasets"], ["list"]),
    rule([""], ["pods"], ["list"]),
    rule([""], ["configmaps"], ["get", "update"], ["release-history"]),
]


def unbind_incident(api: ApiClient, c: Any, ns: str) -> None:
    kubectl(c, ns, "delete", "rolebinding", "incident-4412-debug")


def new_role_and_binding(api: ApiClient, c: Any, ns: str) -> None:
    apply(api, ns, role("release-bot-minimal", *RELEASE_RULES), binding("release-bot-minimal", "release-bot"))
    kubectl(c, ns, "delete", "rolebinding", "release-bot", "incident-4412-debug")


def kubectl_roles(api: ApiClient, c: Any, ns: str) -> None:
    kubectl(c, ns, "delete", "rolebinding", "release-bot", "incident-4412-debug")
    kubectl(c, ns, "create", "role", "rollouts", "--verb=get,list,watch,patch", "--resource=deployments.apps")
    kubectl(
        c, ns, "create", "role", "rollout-status", "--verb=get,list,watch", "--resource=replicasets.apps,pods"
    )
    kubectl(
        c,
        ns,
        "create",
        "role",
        "history",
        "--verb=get,update",
        "--resource=configmaps",
        "--resource-name=release-history",
    )
    for name in ("rollouts", "rollout-status", "history"):
        kubectl(c, ns, "create", "rolebinding", name, f"--role={name}", f"--serviceaccount={ns}:release-bot")


BOT_HONEST: list[tuple[str, Fix]] = [
    ("the reference solution", lambda api, c, ns: solve(api, load(BOT), ns)),
    ("a new Role and binding, the old bindings deleted", new_role_and_binding),
    ("three kubectl-made Roles", kubectl_roles),
]


@pytest.mark.parametrize(("label", "fix"), BOT_HONEST, ids=[h[0] for h in BOT_HONEST])
def test_least_privilege_accepts_honest_fixes(cluster: Any, namespace: str, label: str, fix: Fix) -> None:
    api = cluster.api_client()
    challenge = broken(api, BOT, namespace)
    fix(api, cluster, namespace)
    assert_passes(api, challenge, namespace)


def rewrite(*rules: Obj, unbind: bool = True) -> Fix:
    def shortcut(api: ApiClient, c: Any, ns: str) -> None:
        apply(api, ns, role("release-bot", *rules))
        if unbind:
            unbind_incident(api, c, ns)

    return shortcut


def unbind_everything(api: ApiClient, c: Any, ns: str) -> None:
    kubectl(c, ns, "delete", "rolebinding", "release-bot", "incident-4412-debug")


BOT_SHORTCUTS: list[tuple[str, Fix, str, str]] = [
    (
        "only the incident binding removed",
        unbind_incident,
        "releases-still-work",
        "can create deployments.apps",
    ),
    (
        "only the Role rewritten",
        rewrite(*RELEASE_RULES, unbind=False),
        "secrets-stay-secret",
        "incident-4412-debug",
    ),
    (
        "every ConfigMap",
        rewrite(*RELEASE_RULES[:3], rule([""], ["configmaps"], ["get", "update"])),
        "secrets-stay-secret",
        "configmaps web-config",
    ),
    (
        "every verb on Deployments",
        rewrite(rule(["apps"], ["deployments"], ["*"]), *RELEASE_RULES[1:]),
        "releases-still-work",
        "can create deployments.apps",
    ),
    (
        "the scale subresource too",
        rewrite(
            rule(["apps"], ["deployments", "deployments/scale"], ["get", "list", "watch", "patch"]),
            *RELEASE_RULES[1:],
        ),
        "releases-still-work",
        "can patch deployments/scale.apps",
    ),
    (
        "pods it may create",
        rewrite(*RELEASE_RULES[:2], rule([""], ["pods"], ["list", "create"]), RELEASE_RULES[3]),
        "secrets-stay-secret",
        "can create pods",
    ),
    ("nothing at all", unbind_everything, "releases-still-work", "cannot get deployments.apps"),
]


@pytest.mark.parametrize(
    ("label", "shortcut", "key", "fragment"), BOT_SHORTCUTS, ids=[s[0] for s in BOT_SHORTCUTS]
)
def test_least_privilege_refuses_shortcuts(
    cluster: Any, namespace: str, label: str, shortcut: Fix, key: str, fragment: str
) -> None:
    api = cluster.api_client()
    challenge = broken(api, BOT, namespace)
    shortcut(api, cluster, namespace)
    assert_fails(api, challenge, namespace, key, fragment)


def test_guards_keep_release_bot_running_as_itself(cluster: Any, namespace: str) -> None:
    api = cluster.api_client()
    broken(api, BOT, namespace)
    learner = as_learner(cluster, namespace, cluster_role="admin")
    patch = {"spec": {"template": {"spec": {"serviceAccountName": "default"}}}}
    body = refused(
        lambda: AppsV1Api(learner).patch_namespaced_deployment("release-bot", namespace, patch, dry_run="All")
    )
    assert "reduce what that account may do instead" in body
    body = refused(
        lambda: CoreV1Api(learner).delete_namespaced_service_account("release-bot", namespace, dry_run="All")
    )
    assert "cut its permissions down instead" in body
    rbac = RbacAuthorizationV1Api(learner)
    rbac.delete_namespaced_role_binding("incident-4412-debug", namespace)
    rbac.replace_namespaced_role("release-bot", namespace, role("release-bot", *RELEASE_RULES))
