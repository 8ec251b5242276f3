"""The kinds a challenge may create, by folder and by what an attempt's environment is.

Manifests and solutions create namespaced objects, and the platform applies them into the
attempt's namespace with its own credentials, so the list is what the challenges need and no
more. Cluster-scoped objects outlive a namespace and reach every tenant of a shared cluster:
they are allowed only where each attempt gets a cluster of its own (the kind backend), which is
deleted with everything in it. Guards are the one exception: the platform scopes each copy to the
attempt's namespace itself (challenges/kube/apply.py).

Every kind listed here has its schema in the committed OpenAPI table (see openapi.py); a test
holds the two together, and holds NAMESPACED to what the API server says is namespaced.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

ADMISSION = "admissionregistration.k8s.io/v1"
RBAC = "rbac.authorization.k8s.io/v1"

type KindRef = tuple[str, str]  # (apiVersion, kind)

NAMESPACED: frozenset[KindRef] = frozenset(
    {
        ("v1", "ConfigMap"),
        ("v1", "LimitRange"),
        ("v1", "PersistentVolumeClaim"),
        ("v1", "Pod"),
        ("v1", "ReplicationController"),
        ("v1", "ResourceQuota"),
        ("v1", "Secret"),
        ("v1", "Service"),
        ("v1", "ServiceAccount"),
        ("apps/v1", "DaemonSet"),
        ("apps/v1", "Deployment"),
        ("apps/v1", "ReplicaSet"),
        ("apps/v1", "StatefulSet"),
        ("autoscaling/v2", "HorizontalPodAutoscaler"),
        ("batch/v1", "CronJob"),
        ("batch/v1", "Job"),
        ("discovery.k8s.io/v1", "EndpointSlice"),
        ("networking.k8s.io/v1", "Ingress"),
        ("networking.k8s.io/v1", "NetworkPolicy"),
        ("policy/v1", "PodDisruptionBudget"),
        (RBAC, "Role"),
        (RBAC, "RoleBinding"),
    }
)
# Only where an attempt's environment is a whole cluster, thrown away with it.
WHOLE_CLUSTER: frozenset[KindRef] = frozenset(
    {
        ("v1", "PersistentVolume"),
        ("networking.k8s.io/v1", "IngressClass"),
        ("scheduling.k8s.io/v1", "PriorityClass"),
        ("storage.k8s.io/v1", "StorageClass"),
        (RBAC, "ClusterRole"),
        (RBAC, "ClusterRoleBinding"),
    }
)
GUARDS: frozenset[KindRef] = frozenset(
    {(ADMISSION, "ValidatingAdmissionPolicy"), (ADMISSION, "ValidatingAdmissionPolicyBinding")}
)
EVERY: frozenset[KindRef] = NAMESPACED | WHOLE_CLUSTER | GUARDS

# Why the kinds people reach for most often are not on the list, said to the author.
NEVER = {
    "Namespace": "the platform makes the attempt's namespace; every object goes into it",
    "Node": "nodes are the cluster's, never a challenge's",
    "CustomResourceDefinition": (
        "a new API type would outlive the attempt and change the cluster for everyone"
    ),
    "ValidatingWebhookConfiguration": (
        "a webhook makes the API server call out to any address, and polices every namespace; "
        "to block a shortcut, write a ValidatingAdmissionPolicy in guards/"
    ),
    "MutatingWebhookConfiguration": (
        "a webhook makes the API server call out to any address and rewrites every namespace's objects"
    ),
    "ValidatingAdmissionPolicy": "policies belong in guards/, which the platform scopes to the attempt",
    "ValidatingAdmissionPolicyBinding": "bindings belong in guards/, scoped there to the attempt",
    "MutatingAdmissionPolicy": "it would rewrite objects in every namespace",
    "APIService": "it would hand part of the cluster's API to a server of the challenge's choosing",
}


def refusal(api_version: str, kind: str, *, folder: str) -> tuple[str, str] | None:
    """(the field at fault, why) when `kind` in `api_version` may not be in `folder` at all; None
    when it may be (maybe only on a whole cluster: see needs_whole_cluster)."""
    allowed = GUARDS if folder == "guards" else NAMESPACED | WHOLE_CLUSTER
    if (api_version, kind) in allowed:
        return None
    versions = sorted(v for v, k in allowed if k == kind)
    if versions:
        served = " or ".join(versions)
        return (
            "apiVersion",
            f"{kind} is served as {served}, not {api_version}: write apiVersion: {versions[0]}",
        )
    if folder == "guards":
        return "kind", (
            "guards/ holds only ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding "
            f"objects, not {kind}"
        )
    if kind in NEVER:
        return "kind", f"a {kind} may not be created by a challenge: {NEVER[kind]}"
    known = (k for _, k in allowed)
    return "kind", f"{kind} is not a kind a challenge may create{_did_you_mean(kind, known)}"


def needs_whole_cluster(api_version: str, kind: str) -> bool:
    return (api_version, kind) in WHOLE_CLUSTER


def _did_you_mean(kind: str, known: Iterable[str]) -> str:
    names = sorted(set(known))
    close = difflib.get_close_matches(kind, names, n=1, cutoff=0.75)
    if close:
        return f": did you mean {close[0]}?"
    return f"; the kinds it may create are {', '.join(names)}"
