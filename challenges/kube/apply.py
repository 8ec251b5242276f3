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
from typing import Any

from kubernetes.client import ApiClient

from challenges.kube.discovery import Discovery
from validators.errors import ClusterUnavailable, ObjectInvalid
from validators.kube import Obj, Resource, call

FIELD_MANAGER = "breakfix"
MANAGED_BY = "app.kubernetes.io/managed-by"
# On each guard copy: the namespace it polices, so teardown and reap can find it.
GUARD_NAMESPACE = "breakfix.dev/namespace"
ADMISSION = "admissionregistration.k8s.io/v1"
POLICY = "ValidatingAdmissionPolicy"
BINDING = "ValidatingAdmissionPolicyBinding"
GUARD_RESOURCES = {
    POLICY: Resource(ADMISSION, "validatingadmissionpolicies", namespaced=False),
    BINDING: Resource(ADMISSION, "validatingadmissionpolicybindings", namespaced=False),
}
# An object name (RFC 1123 subdomain: lowercase labels joined by dots, 253 characters at most).
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
APPLY_PATCH = "application/apply-patch+yaml"


def _identity(document: Mapping[str, Any]) -> tuple[str, str, str]:
    api_version = document.get("apiVersion")
    kind = document.get("kind")
    name = (document.get("metadata") or {}).get("name")
    if not (isinstance(api_version, str) and isinstance(kind, str) and isinstance(name, str) and name):
        raise ObjectInvalid("Every object needs an apiVersion, a kind and a metadata.name.")
    return api_version, kind, name


def apply_documents(
    api_client: ApiClient,
    namespace: str,
    documents: Iterable[Mapping[str, Any]],
    field_manager: str = FIELD_MANAGER,
    *,
    dry_run: bool = False,
    cluster_scoped: bool = False,
    discovery: Discovery | None = None,
) -> list[Obj]:
    """Server-side apply each object in order and return what the API server stored (or, with
    `dry_run`, would store).

    Idempotent: applying the same objects again changes nothing. Conflicts are forced, so the
    field manager takes over fields another manager set. Namespaced objects always land in
    `namespace`, whatever they say. A cluster-scoped object reaches past any one namespace, so it
    is refused (ObjectInvalid, before anything of it is sent) unless it is a guard copy that
    scope_guards made for `namespace`, or the caller says `cluster_scoped`: the platform's own
    policies, or a challenge on a cluster of its own.
    Not kubernetes.dynamic's server_side_apply: it needs that module's discoverer (see
    discovery.py); this is the same PATCH, through the one transport.
    """
    discovery = discovery or Discovery(api_client)
    applied: list[Obj] = []
    query = [("fieldManager", field_manager), ("force", "true")]
    if dry_run:
        query.append(("dryRun", "All"))
    for document in documents:
        api_version, kind, name = _identity(document)
        resource = discovery.resolve(api_version, kind)
        if not resource.namespaced and not cluster_scoped and not _polices_only(document, namespace):
            raise ObjectInvalid(
                f"{kind} {name} is cluster-scoped: it would reach past this environment's namespace, "
                "so it is not applied here. Only a challenge whose environment is a whole cluster "
                "(the kind backend) may create it."
            )
        body: Obj = copy.deepcopy(dict(document))
        metadata = body.setdefault("metadata", {})
        if resource.namespaced:
            metadata["namespace"] = namespace
        else:
            metadata.pop("namespace", None)
        result = call(
            api_client,
            "PATCH",
            resource.item(name, namespace),
            what=f"apply {kind} {name}",
            query=query,
            body=body,
            content_type=APPLY_PATCH,
        )
        applied.append(result or {})
    return applied


def _polices_only(document: Mapping[str, Any], namespace: str) -> bool:
    """Whether `document` is a guard copy that scope_guards made for `namespace`: a policy (which
    does nothing unbound), or a binding that selects `namespace` alone."""
    labels = (document.get("metadata") or {}).get("labels") or {}
    if not (
        document.get("kind") in GUARD_RESOURCES
        and namespace
        and labels.get(GUARD_NAMESPACE) == namespace
        and labels.get(MANAGED_BY) == FIELD_MANAGER
    ):
        return False
    if document.get("kind") == POLICY:
        return True
    spec = document.get("spec") or {}
    selector = (spec.get("matchResources") or {}).get("namespaceSelector")
    return selector == _only(namespace) and str(spec.get("policyName", "")).endswith(f".{namespace}")


def _only(namespace: str) -> Obj:
    return {"matchLabels": {"kubernetes.io/metadata.name": namespace}}


def delete_documents(
    api_client: ApiClient,
    namespace: str,
    documents: Iterable[Mapping[str, Any]],
    *,
    wait: bool = False,
    timeout: float = 60.0,
    discovery: Discovery | None = None,
) -> int:
    """Delete each named object (in `namespace` when namespaced); one already gone is fine.

    Returns how many existed. Dependents go in the background, as kubectl deletes them; with
    `wait`, each object itself is waited for until it is gone (its finalizers done), as
    `kubectl delete` waits, so that one of the same name can be created again.
    """
    discovery = discovery or Discovery(api_client)
    deleted = 0
    options = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}
    for document in documents:
        api_version, kind, name = _identity(document)
        path = discovery.resolve(api_version, kind).item(name, namespace)
        gone = call(api_client, "DELETE", path, what=f"delete {kind} {name}", body=options, missing_ok=True)
        deleted += gone is not None
        if wait and gone is not None:
            # A DELETE answers with the object (still there, finalizers pending) or a Status.
            uid = (gone.get("metadata") or {}).get("uid") or (gone.get("details") or {}).get("uid")
            _wait_gone(api_client, path, str(uid), f"{kind} {name}", timeout)
    return deleted


def _wait_gone(api_client: ApiClient, path: str, uid: str, what: str, timeout: float) -> None:
    """Until the object with this uid is gone: one of the same name made since is another."""
    deadline = time.monotonic() + timeout
    while True:
        found = call(api_client, "GET", path, what=f"read {what}", missing_ok=True)
        if found is None or (found.get("metadata") or {}).get("uid") != uid:
            return
        if time.monotonic() > deadline:
            raise ClusterUnavailable(f"{what} was deleted but is still there after {timeout:.0f}s.")
        time.sleep(0.2)


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
        if kind not in GUARD_RESOURCES:
            raise ObjectInvalid(f"Guards hold only {POLICY} and {BINDING} objects, not {kind}.")
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
                raise ObjectInvalid(f"The guard binding {name} names no policy.")
            spec["policyName"] = _scoped_name(policy, namespace)
            match = spec.get("matchResources") or {}
            spec["matchResources"] = match
            match["namespaceSelector"] = _only(namespace)
        scoped.append(guard)
    return scoped


def _scoped_name(name: str, namespace: str) -> str:
    scoped = f"{name}.{namespace}"
    if len(scoped) > 253 or not DNS_SUBDOMAIN.match(scoped):
        raise ObjectInvalid(f"The guard name {scoped!r} is not a valid DNS name.")
    return scoped


def delete_guards(api_client: ApiClient, namespace: str) -> None:
    """Delete every guard copy that polices `namespace`. Idempotent."""
    selector = f"{MANAGED_BY}={FIELD_MANAGER},{GUARD_NAMESPACE}={namespace}"
    # Bindings first: a binding without its policy is harmless, but keep the order tidy.
    for kind in (BINDING, POLICY):
        call(
            api_client,
            "DELETE",
            GUARD_RESOURCES[kind].collection(),
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
        body = call(
            api_client,
            "GET",
            GUARD_RESOURCES[kind].collection(),
            what="list guards",
            query=[("labelSelector", selector)],
        )
        for item in (body or {}).get("items") or []:
            value = ((item.get("metadata") or {}).get("labels") or {}).get(GUARD_NAMESPACE)
            if value:
                found.add(str(value))
    return found
