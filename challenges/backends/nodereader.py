"""The learner of a namespace environment may read the cluster's nodes, and nothing else beyond it.

Scheduling challenges are about nodes: their labels, zones, taints and free capacity, which
`kubectl get nodes --show-labels` and `kubectl describe node` show. A Role cannot grant that
(nodes are cluster-scoped), so the platform keeps one ClusterRole, `breakfix-node-reader`
(get, list and watch nodes: no status writes, no proxy, no other resource), and binds it to each
attempt's learner with a ClusterRoleBinding of its own, made at provisioning and deleted at
teardown. Like the guards, the binding is cluster-scoped and outlives the namespace, so it
carries the namespace and installation labels the reaper looks for.
"""

from __future__ import annotations

from collections.abc import Mapping

from kubernetes.client import ApiClient

from challenges.backends.base import LEARNER, MANAGED_BY, PLATFORM, Obj
from challenges.kube import apply_documents
from challenges.kube.apply import GUARD_NAMESPACE
from validators.kube import call

CLUSTER_ROLE = "breakfix-node-reader"
RBAC = "rbac.authorization.k8s.io/v1"
BINDINGS = f"/apis/{RBAC}/clusterrolebindings"
DESCRIPTION = (
    "Set by the Breakfix platform: learners may read the cluster's nodes (labels, taints, "
    "capacity) for scheduling challenges. Nothing else outside their namespace."
)


def cluster_role() -> Obj:
    return {
        "apiVersion": RBAC,
        "kind": "ClusterRole",
        "metadata": {
            "name": CLUSTER_ROLE,
            "labels": {MANAGED_BY: PLATFORM},
            "annotations": {"kubernetes.io/description": DESCRIPTION},
        },
        "rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]}],
    }


def binding_name(namespace: str) -> str:
    return f"{CLUSTER_ROLE}.{namespace}"


def binding(namespace: str, *, labels: Mapping[str, str]) -> Obj:
    return {
        "apiVersion": RBAC,
        "kind": "ClusterRoleBinding",
        "metadata": {
            "name": binding_name(namespace),
            "labels": {**labels, MANAGED_BY: PLATFORM, GUARD_NAMESPACE: namespace},
        },
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": CLUSTER_ROLE},
        "subjects": [{"kind": "ServiceAccount", "name": LEARNER, "namespace": namespace}],
    }


def node_reader_grant(api: ApiClient, namespace: str, *, labels: Mapping[str, str]) -> None:
    """Let the learner of `namespace` read nodes. Idempotent; puts the ClusterRole back if it is gone."""
    apply_documents(api, "", [cluster_role(), binding(namespace, labels=labels)], cluster_scoped=True)


def node_reader_revoke(api: ApiClient, namespace: str) -> None:
    """Delete the learner's node-reading binding of `namespace`. Idempotent."""
    selector = f"{MANAGED_BY}={PLATFORM},{GUARD_NAMESPACE}={namespace}"
    call(
        api,
        "DELETE",
        BINDINGS,
        what=f"delete the node reader binding of {namespace}",
        query=[("labelSelector", selector)],
        missing_ok=True,
    )


def node_reader_namespaces(api: ApiClient, *, labels: Mapping[str, str]) -> set[str]:
    """The namespaces that node-reading bindings (carrying `labels`) were made for, existing or not."""
    selector = ",".join(
        [f"{MANAGED_BY}={PLATFORM}", GUARD_NAMESPACE, *(f"{k}={v}" for k, v in labels.items())]
    )
    body = call(
        api, "GET", BINDINGS, what="list the node reader bindings", query=[("labelSelector", selector)]
    )
    return {
        str(value)
        for item in (body or {}).get("items") or []
        if (value := ((item.get("metadata") or {}).get("labels") or {}).get(GUARD_NAMESPACE))
        and ((item.get("roleRef") or {}).get("name") == CLUSTER_ROLE)
    }
