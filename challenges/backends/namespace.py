"""The namespace backend: one namespace per attempt on a shared cluster.

The learner is the ServiceAccount `learner`, bound to a Role that covers what the challenges
need (workloads, Services, NetworkPolicies, logs) inside its own namespace and nothing
cluster-wide. A ResourceQuota and a LimitRange keep one learner from starving the others, and
Pod Security admission (`baseline`) keeps workloads off the nodes' host namespaces and files.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote

from kubernetes.client import ApiClient

from challenges.backends.base import (
    INSTALLATION_LABEL,
    LEARNER,
    MANAGED_BY,
    PLATFORM,
    ClusterBackend,
    Obj,
)
from challenges.kube import delete_guards, delete_simulations, guarded_namespaces, rest, simulated_namespaces
from challenges.kube.kubeconfig import client_from_file

ALL_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]
READ_VERBS = ["get", "list", "watch"]

LEARNER_RULES: list[Obj] = [
    {
        "apiGroups": [""],
        "resources": [
            "pods",
            "services",
            "endpoints",
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
        "resources": ["pods/log", "pods/status", "events", "resourcequotas", "limitranges"],
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
    {"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies", "ingresses"], "verbs": ALL_VERBS},
    {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": READ_VERBS},
    {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": READ_VERBS},
    {"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"], "verbs": ALL_VERBS},
    {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": ALL_VERBS},
    # RBAC challenges: the API server refuses a Role granting more than the learner holds.
    {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"], "verbs": ALL_VERBS},
]

logger = logging.getLogger(__name__)

QUOTA = {
    "pods": "40",
    "services": "20",
    "services.nodeports": "0",
    "services.loadbalancers": "0",
    "persistentvolumeclaims": "5",
    "requests.storage": "5Gi",
    "requests.cpu": "4",
    "requests.memory": "4Gi",
    "limits.cpu": "8",
    "limits.memory": "8Gi",
}


class NamespaceBackend(ClusterBackend):
    name: ClassVar[str] = "namespace"

    def __init__(self, *, prefix: str, kubeconfig: str | Path) -> None:
        super().__init__(prefix=prefix)
        self.kubeconfig = Path(kubeconfig)

    def platform_client(self, environment: str) -> ApiClient:
        return client_from_file(self.kubeconfig)

    def namespace_labels(self, attempt_id: int) -> dict[str, str]:
        return {
            **super().namespace_labels(attempt_id),
            # The nodes are shared: no privileged pods, host paths or host networking.
            "pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/warn": "baseline",
        }

    def create(self, environment: str, *, attempt_id: int) -> None:
        with self.platform_client(environment) as api:
            self.prepare_namespace(api, environment, attempt_id=attempt_id)

    def access_documents(self, namespace: str) -> list[Obj]:
        return [
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
                "spec": {
                    "limits": [
                        {
                            "type": "Container",
                            "defaultRequest": {"cpu": "10m", "memory": "16Mi"},
                            "default": {"cpu": "200m", "memory": "128Mi"},
                            "max": {"cpu": "1", "memory": "1Gi"},
                        }
                    ]
                },
            },
        ]

    def destroy(self, environment: str) -> None:
        namespace = self.namespace(environment)
        path = f"/api/v1/namespaces/{quote(namespace)}"
        with self.platform_client(environment) as api:
            # Guards and simulations are cluster-scoped: deleting the namespace would leave them.
            delete_guards(api, namespace)
            delete_simulations(api, namespace)
            existing = rest.call(api, "GET", path, what=f"read namespace {namespace}", missing_ok=True)
            if existing is None:
                return
            metadata = existing.get("metadata") or {}
            if metadata.get("deletionTimestamp"):
                return  # already on its way out; the namespace controller finishes the job
            labels = metadata.get("labels") or {}
            if labels.get(MANAGED_BY) != PLATFORM or labels.get(INSTALLATION_LABEL) != self.prefix:
                # Someone else's namespace with this name (provisioning failed on it): not ours.
                logger.warning("not deleting namespace %s: it lacks this installation's labels", namespace)
                return
            options = {
                "apiVersion": "v1",
                "kind": "DeleteOptions",
                "propagationPolicy": "Background",
                # Delete the namespace just read, not one that replaced it meanwhile.
                "preconditions": {"uid": metadata.get("uid")},
            }
            what = f"delete namespace {namespace}"
            status, data = rest.request(api, "DELETE", path, what=what, body=options)
            # 409: it started terminating since we read it (or was replaced): nothing more to do.
            if not (200 <= status < 300 or status in (404, 409)):
                raise rest.error(status, data, what)

    def list_environments(self) -> set[str]:
        selector = f"{MANAGED_BY}={PLATFORM},{INSTALLATION_LABEL}={self.prefix}"
        with self.platform_client("") as api:
            body = rest.call(
                api, "GET", "/api/v1/namespaces", what="list namespaces", query=[("labelSelector", selector)]
            )
            found = {
                str(item["metadata"]["name"])
                for item in (body or {}).get("items") or []
                # One already being deleted needs nothing more from us: its guards went first.
                if not item["metadata"].get("deletionTimestamp")
            }
            found |= guarded_namespaces(api, labels={INSTALLATION_LABEL: self.prefix})
            found |= simulated_namespaces(api, labels={INSTALLATION_LABEL: self.prefix})
        return {name for name in found if self.owns(name)}
