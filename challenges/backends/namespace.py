"""The namespace backend: one namespace per attempt on a shared cluster.

The learner is the ServiceAccount `learner`, bound to a Role that covers what the challenges
need (workloads, Services, NetworkPolicies, logs) inside its own namespace and nothing
cluster-wide. The namespace is a tenant (see tenancy.py): platform-wide admission policies, an
egress policy the learner cannot change, a ResourceQuota and a LimitRange that keep one learner
from starving the others, and Pod Security admission (`baseline`) that keeps workloads off the
nodes' host namespaces and files. The learner may also read the cluster's nodes, through a
ClusterRoleBinding of its own (nodereader.py). Teardown releases finalizers nobody would remove, so a
namespace never stays Terminating.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from kubernetes.client import ApiClient

from challenges.backends.base import (
    INSTALLATION_LABEL,
    LEARNER,
    MANAGED_BY,
    NAMESPACES,
    PLATFORM,
    ClusterBackend,
    Obj,
)
from challenges.backends.nodereader import node_reader_grant, node_reader_namespaces, node_reader_revoke
from challenges.backends.tenancy import EGRESS_POLICY, egress_policy, protect, tenancy_apply
from challenges.kube import delete_guards, delete_simulations, guarded_namespaces, simulated_namespaces
from challenges.kube.finalizers import is_kubernetes_finalizer, release_finalizers
from validators.kube import call, client_from_config, client_from_file, request

ALL_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]
READ_VERBS = ["get", "list", "watch"]

# What a tenant may write is what the challenges need inside the namespace, and nothing whose
# effect reaches past it. Read only, on purpose:
# - endpoints (and endpointslices): hand-made endpoints send a Service's traffic to any address,
#   another tenant's pods or the node's own services included; the controllers keep them.
# - resourcequotas, limitranges, pods/status, events: the platform's and the controllers'.
LEARNER_RULES: list[Obj] = [
    {
        "apiGroups": [""],
        "resources": [
            "pods",
            "services",
            "configmaps",
            "secrets",
            "serviceaccounts",
            "persistentvolumeclaims",
            "replicationcontrollers",
        ],
        "verbs": ALL_VERBS,
    },
    {
        "apiGroups": [""],
        "resources": ["pods/log", "pods/status", "events", "endpoints", "resourcequotas", "limitranges"],
        "verbs": READ_VERBS,
    },
    {
        "apiGroups": [""],
        "resources": ["pods/exec", "pods/attach", "pods/portforward", "pods/eviction"],
        "verbs": ["get", "create"],
    },
    {
        "apiGroups": ["apps"],
        "resources": [
            "deployments",
            "replicasets",
            "statefulsets",
            "daemonsets",
            "deployments/scale",
            "statefulsets/scale",
            "replicasets/scale",
        ],
        "verbs": ALL_VERBS,
    },
    {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": ALL_VERBS},
    {"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"], "verbs": ALL_VERBS},
    # Ingresses: only hosts under .test and no controller annotations (tenancy-policies.yaml).
    {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses"], "verbs": ALL_VERBS},
    {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": READ_VERBS},
    {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": READ_VERBS},
    {"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"], "verbs": ALL_VERBS},
    {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": ALL_VERBS},
    # RBAC challenges: the API server refuses a Role granting more than the learner holds, and
    # tenancy-policies.yaml refuses bindings of anyone outside the namespace.
    {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"], "verbs": ALL_VERBS},
]

logger = logging.getLogger(__name__)

QUOTA = {
    "pods": "40",
    "services": "20",
    "services.nodeports": "0",
    "services.loadbalancers": "0",
    "secrets": "30",
    "configmaps": "30",
    "persistentvolumeclaims": "5",
    "requests.storage": "5Gi",
    "requests.cpu": "4",
    "requests.memory": "4Gi",
    "limits.cpu": "8",
    "limits.memory": "8Gi",
    # Container logs, writable layers and emptyDirs all land on the node's disk.
    "requests.ephemeral-storage": "4Gi",
    "limits.ephemeral-storage": "16Gi",
    # Object counts: every object is space in the cluster's etcd, shared by every tenant.
    "replicationcontrollers": "10",
    "count/deployments.apps": "30",
    "count/replicasets.apps": "200",
    "count/statefulsets.apps": "10",
    "count/daemonsets.apps": "5",
    "count/jobs.batch": "30",
    "count/cronjobs.batch": "10",
    "count/serviceaccounts": "20",
    "count/roles.rbac.authorization.k8s.io": "20",
    "count/rolebindings.rbac.authorization.k8s.io": "20",
    "count/networkpolicies.networking.k8s.io": "30",
    "count/ingresses.networking.k8s.io": "10",
    "count/horizontalpodautoscalers.autoscaling": "10",
    "count/poddisruptionbudgets.policy": "10",
}
# Defaults for containers that state no resources, so they start under the quota all the same.
CONTAINER_LIMITS = {
    "type": "Container",
    "defaultRequest": {"cpu": "10m", "memory": "16Mi", "ephemeral-storage": "32Mi"},
    "default": {"cpu": "200m", "memory": "128Mi", "ephemeral-storage": "256Mi"},
    "max": {"cpu": "1", "memory": "1Gi", "ephemeral-storage": "2Gi"},
}
# A terminating namespace found again after this long gets every finalizer released, not only
# the ones Kubernetes' controllers would not remove themselves.
TERMINATING_RETRY_SECONDS = 60.0


def _keep_none(finalizer: str) -> bool:
    return False


class NamespaceBackend(ClusterBackend):
    name: ClassVar[str] = "namespace"
    whole_cluster: ClassVar[bool] = False

    def __init__(
        self,
        *,
        prefix: str,
        kubeconfig: str | Path | Mapping[str, Any],
        terminating_retry_seconds: float = TERMINATING_RETRY_SECONDS,
    ) -> None:
        """`kubeconfig`: a file (the one cluster of BREAKFIX_KUBECONFIG) or a parsed kubeconfig
        (a registered cluster's, from the database)."""
        super().__init__(prefix=prefix)
        self.kubeconfig = kubeconfig if isinstance(kubeconfig, Mapping) else Path(kubeconfig)
        self.terminating_retry_seconds = terminating_retry_seconds

    def platform_client(self, environment: str) -> ApiClient:
        if isinstance(self.kubeconfig, Mapping):
            return client_from_config(self.kubeconfig)
        return client_from_file(self.kubeconfig)

    def platform_objects(self) -> set[tuple[str, str]]:
        return {("NetworkPolicy", EGRESS_POLICY)}

    def namespace_labels(self, attempt_id: int) -> dict[str, str]:
        return {
            **super().namespace_labels(attempt_id),
            # The nodes are shared: no privileged pods, host paths or host networking.
            "pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/warn": "baseline",
        }

    def create(self, environment: str, *, attempt_id: int) -> None:
        with self.platform_client(environment) as api:
            # Before the namespace exists: its learner never acts without the policies.
            tenancy_apply(api, self.prefix)
            self.prepare_namespace(api, environment, attempt_id=attempt_id)
            # Nodes are cluster-scoped: a Role cannot let the learner read them (nodereader.py).
            node_reader_grant(api, environment, labels={INSTALLATION_LABEL: self.prefix})

    def access_documents(self, namespace: str) -> list[Obj]:
        documents: list[Obj] = [
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": LEARNER}},
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": {"name": LEARNER},
                "rules": LEARNER_RULES,
            },
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": LEARNER},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": LEARNER},
                "subjects": [{"kind": "ServiceAccount", "name": LEARNER, "namespace": namespace}],
            },
            {
                "apiVersion": "v1",
                "kind": "ResourceQuota",
                "metadata": {"name": "breakfix"},
                "spec": {"hard": QUOTA},
            },
            {
                "apiVersion": "v1",
                "kind": "LimitRange",
                "metadata": {"name": "breakfix"},
                "spec": {"limits": [CONTAINER_LIMITS]},
            },
            egress_policy(),
        ]
        return [protect(document) for document in documents]

    def destroy(self, environment: str) -> None:
        namespace = environment
        path = NAMESPACES.item(namespace)
        with self.platform_client(environment) as api:
            # Guards and simulations are cluster-scoped: deleting the namespace would leave them.
            delete_guards(api, namespace)
            delete_simulations(api, namespace)
            node_reader_revoke(api, namespace)
            existing = call(api, "GET", path, what=f"read namespace {namespace}", missing_ok=True)
            if existing is None:
                return
            metadata = existing.get("metadata") or {}
            labels = metadata.get("labels") or {}
            if labels.get(MANAGED_BY) != PLATFORM or labels.get(INSTALLATION_LABEL) != self.prefix:
                # Someone else's namespace with this name (provisioning failed on it): not ours.
                logger.warning("not deleting namespace %s: it lacks this installation's labels", namespace)
                return
            if metadata.get("deletionTimestamp"):
                stuck = self._terminating_seconds(metadata) >= self.terminating_retry_seconds
            else:
                self._delete_namespace(api, namespace, metadata)
                stuck = False
            # Finalizers nobody will remove go now; Kubernetes' own are left to their controllers
            # unless the namespace is still there long after, when nothing may hold it any more.
            keep = _keep_none if stuck else is_kubernetes_finalizer
            released = release_finalizers(api, namespace, keep=keep)
            if released:
                logger.info("released finalizers in namespace %s: %s", namespace, "; ".join(released))
            if stuck:
                self._log_why_stuck(namespace, existing)

    def _delete_namespace(self, api: ApiClient, namespace: str, metadata: Obj) -> None:
        options = {
            "apiVersion": "v1",
            "kind": "DeleteOptions",
            "propagationPolicy": "Background",
            # Delete the namespace just read, not one that replaced it meanwhile.
            "preconditions": {"uid": metadata.get("uid")},
        }
        what = f"delete namespace {namespace}"
        answer = request(api, "DELETE", NAMESPACES.item(namespace), what=what, body=options)
        # 409: it started terminating since we read it (or was replaced): nothing more to do.
        if not (answer.ok or answer.status in (404, 409)):
            raise answer.error(what)

    @staticmethod
    def _terminating_seconds(metadata: Obj) -> float:
        try:
            since = datetime.fromisoformat(str(metadata["deletionTimestamp"]).replace("Z", "+00:00"))
        except (KeyError, ValueError):
            return 0.0
        return (datetime.now(UTC) - since).total_seconds()

    @staticmethod
    def _log_why_stuck(namespace: str, existing: Obj) -> None:
        # The namespace controller says what holds it (a broken API service, say) in conditions.
        conditions = [
            f"{c.get('type')}: {c.get('message')}"
            for c in (existing.get("status") or {}).get("conditions") or []
            if c.get("status") == "True"
        ]
        reason = "; ".join(conditions) or "no reason given"
        logger.warning("namespace %s is still terminating; its controller said: %s", namespace, reason)

    def list_environments(self) -> set[str]:
        selector = f"{MANAGED_BY}={PLATFORM},{INSTALLATION_LABEL}={self.prefix}"
        with self.platform_client("") as api:
            body = call(
                api,
                "GET",
                NAMESPACES.collection(),
                what="list namespaces",
                query=[("labelSelector", selector)],
            )
            found = {
                str(item["metadata"]["name"])
                for item in (body or {}).get("items") or []
                # One being deleted needs nothing more from us, unless it has been at it so long
                # that something holds it: then teardown has to run again.
                if not item["metadata"].get("deletionTimestamp")
                or self._terminating_seconds(item["metadata"]) >= self.terminating_retry_seconds
            }
            found |= guarded_namespaces(api, labels={INSTALLATION_LABEL: self.prefix})
            found |= simulated_namespaces(api, labels={INSTALLATION_LABEL: self.prefix})
            found |= node_reader_namespaces(api, labels={INSTALLATION_LABEL: self.prefix})
        return {name for name in found if self.owns(name)}
