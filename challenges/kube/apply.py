"""Server-side apply of challenge objects, and the scoping of guards to one attempt's namespace.

Guards are ValidatingAdmissionPolicies and their Bindings: cluster-scoped objects. Applied as
written, one attempt's guards would police every namespace of a shared cluster and collide with
the next attempt's copy of the same challenge. `scope_guards` gives each attempt its own copies,
named after the namespace and bound to it alone; `delete_guards` removes them again, since
deleting the namespace does not.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from kubernetes.client import ApiClient

from challenges.kube import rest
from challenges.kube.errors import KubeRejected, KubeUnavailable

Obj = dict[str, Any]

FIELD_MANAGER = "breakfix"
MANAGED_BY = "app.kubernetes.io/managed-by"
# On each guard copy: the namespace it polices, so teardown and reap can find it.
GUARD_NAMESPACE = "breakfix.dev/namespace"
ADMISSION = "admissionregistration.k8s.io/v1"
POLICY = "ValidatingAdmissionPolicy"
BINDING = "ValidatingAdmissionPolicyBinding"
GUARD_PLURALS = {POLICY: "validatingadmissionpolicies", BINDING: "validatingadmissionpolicybindings"}
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


@dataclass(frozen=True)
class ResourceType:
    api_version: str
    plural: str
    namespaced: bool

    def collection(self, namespace: str) -> str:
        prefix = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        if self.namespaced:
            return f"{prefix}/namespaces/{quote(namespace, safe='')}/{self.plural}"
        return f"{prefix}/{self.plural}"


class Discovery:
    """Kind → resource lookups, one discovery request per API group version, cached for one apply."""

    def __init__(self, api_client: ApiClient) -> None:
        self._api = api_client
        self._resources: dict[str, list[Obj]] = {}

    def resolve(self, api_version: str, kind: str) -> ResourceType:
        if api_version not in self._resources:
            path = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            body = rest.call(self._api, "GET", path, what=f"discover {api_version}", missing_ok=True)
            if body is None:
                raise KubeRejected(
                    f"The cluster does not serve {api_version}, which {kind} needs.", status=404
                )
            self._resources[api_version] = list(body.get("resources") or [])
        for resource in self._resources[api_version]:
            # Subresources (pods/log, deployments/scale) share their parent's kind.
            if resource.get("kind") == kind and "/" not in str(resource.get("name", "")):
                return ResourceType(api_version, str(resource["name"]), bool(resource.get("namespaced")))
        raise KubeRejected(f"The cluster has no kind {kind} in {api_version}.", status=404)


def _identity(document: Mapping[str, Any]) -> tuple[str, str, str]:
    api_version = document.get("apiVersion")
    kind = document.get("kind")
    name = (document.get("metadata") or {}).get("name")
    if not (isinstance(api_version, str) and isinstance(kind, str) and isinstance(name, str) and name):
        raise KubeRejected("Every object needs an apiVersion, a kind and a metadata.name.")
    return api_version, kind, name


def apply_documents(
    api_client: ApiClient,
    namespace: str,
    documents: Iterable[Mapping[str, Any]],
    field_manager: str = FIELD_MANAGER,
    *,
    dry_run: bool = False,
) -> list[Obj]:
    """Server-side apply each object in order and return what the API server stored.

    Idempotent: applying the same objects again changes nothing. Conflicts are forced, so the
    field manager takes over fields another manager set. Namespaced objects always land in
    `namespace`, whatever they say; cluster-scoped ones carry no namespace.
    """
    discovery = Discovery(api_client)
    applied: list[Obj] = []
    query = [("fieldManager", field_manager), ("force", "true")]
    if dry_run:
        query.append(("dryRun", "All"))
    for document in documents:
        api_version, kind, name = _identity(document)
        resource = discovery.resolve(api_version, kind)
        body: Obj = copy.deepcopy(dict(document))
        metadata = body.setdefault("metadata", {})
        if resource.namespaced:
            metadata["namespace"] = namespace
        else:
            metadata.pop("namespace", None)
        path = f"{resource.collection(namespace)}/{quote(name, safe='')}"
        result = rest.call(
            api_client,
            "PATCH",
            path,
            what=f"apply {kind} {name}",
            query=query,
            body=body,
            content_type="application/apply-patch+yaml",
        )
        applied.append(result or {})
    return applied


def delete_documents(
    api_client: ApiClient,
    namespace: str,
    documents: Iterable[Mapping[str, Any]],
    *,
    wait: bool = False,
    timeout: float = 60.0,
) -> int:
    """Delete each named object (in `namespace` when namespaced); one already gone is fine.

    Returns how many existed. Dependents go in the background, as kubectl deletes them; with
    `wait`, each object itself is waited for until it is gone (its finalizers done), as
    `kubectl delete` waits, so that one of the same name can be created again.
    """
    discovery = Discovery(api_client)
    deleted = 0
    options = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}
    for document in documents:
        api_version, kind, name = _identity(document)
        resource = discovery.resolve(api_version, kind)
        path = f"{resource.collection(namespace)}/{quote(name, safe='')}"
        gone = rest.call(
            api_client, "DELETE", path, what=f"delete {kind} {name}", body=options, missing_ok=True
        )
        deleted += gone is not None
        deadline = time.monotonic() + timeout
        while wait and gone is not None:
            if rest.call(api_client, "GET", path, what=f"read {kind} {name}", missing_ok=True) is None:
                break
            if time.monotonic() > deadline:
                raise KubeUnavailable(f"{kind} {name} was deleted but is still there after {timeout:.0f}s.")
            time.sleep(0.2)
    return deleted


def scope_guards(
    documents: Iterable[Mapping[str, Any]], namespace: str, *, labels: Mapping[str, str] | None = None
) -> list[Obj]:
    """Copies of a challenge's guards that police `namespace` only.

    Each policy and binding is renamed `<name>.<namespace>`, each binding points at its renamed
    policy and selects `namespace` by its `kubernetes.io/metadata.name` label. The policies'
    own matchConditions keep them to ServiceAccounts of the request's namespace (the learner),
    so the platform and the cluster's controllers are never refused.
    """
    scoped: list[Obj] = []
    for document in documents:
        _, kind, name = _identity(document)
        if kind not in GUARD_PLURALS:
            raise KubeRejected(f"Guards hold only {POLICY} and {BINDING} objects, not {kind}.")
        guard: Obj = copy.deepcopy(dict(document))
        metadata = guard.setdefault("metadata", {})
        metadata.pop("namespace", None)
        metadata["name"] = _scoped_name(name, namespace)
        metadata["labels"] = {
            **(metadata.get("labels") or {}),
            **(labels or {}),
            MANAGED_BY: FIELD_MANAGER,
            GUARD_NAMESPACE: namespace,
        }
        if kind == BINDING:
            spec = guard.get("spec") or {}
            guard["spec"] = spec
            policy = spec.get("policyName")
            if not isinstance(policy, str) or not policy:
                raise KubeRejected(f"The guard binding {name} names no policy.")
            spec["policyName"] = _scoped_name(policy, namespace)
            match = spec.get("matchResources") or {}
            spec["matchResources"] = match
            match["namespaceSelector"] = {"matchLabels": {"kubernetes.io/metadata.name": namespace}}
        scoped.append(guard)
    return scoped


def _scoped_name(name: str, namespace: str) -> str:
    scoped = f"{name}.{namespace}"
    if len(scoped) > 253 or not DNS_SUBDOMAIN.match(scoped):
        raise KubeRejected(f"The guard name {scoped!r} is not a valid DNS name.")
    return scoped


def delete_guards(api_client: ApiClient, namespace: str) -> None:
    """Delete every guard copy that polices `namespace`. Idempotent."""
    selector = f"{MANAGED_BY}={FIELD_MANAGER},{GUARD_NAMESPACE}={namespace}"
    # Bindings first: a binding without its policy is harmless, but keep the order tidy.
    for kind in (BINDING, POLICY):
        rest.call(
            api_client,
            "DELETE",
            f"/apis/{ADMISSION}/{GUARD_PLURALS[kind]}",
            what=f"delete the guards of {namespace}",
            query=[("labelSelector", selector)],
            missing_ok=True,
        )


def guarded_namespaces(api_client: ApiClient, *, labels: Mapping[str, str] | None = None) -> set[str]:
    """The namespaces that guard copies (carrying `labels`) police, whether those namespaces exist or not."""
    selector = ",".join(
        [f"{MANAGED_BY}={FIELD_MANAGER}", GUARD_NAMESPACE, *(f"{k}={v}" for k, v in (labels or {}).items())]
    )
    found: set[str] = set()
    for kind in (POLICY, BINDING):
        body = rest.call(
            api_client,
            "GET",
            f"/apis/{ADMISSION}/{GUARD_PLURALS[kind]}",
            what="list guards",
            query=[("labelSelector", selector)],
        )
        for item in (body or {}).get("items") or []:
            value = ((item.get("metadata") or {}).get("labels") or {}).get(GUARD_NAMESPACE)
            if value:
                found.add(str(value))
    return found
