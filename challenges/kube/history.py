"""Applying a starting state that has a history: the same object twice, an earlier and a later version.

A challenge about a rollout starts from a Deployment that already has revisions, e.g. release
3.1 running and release 3.2 rolling out (`kubectl rollout history` lists both, `kubectl rollout
undo` goes back). Its manifests say so plainly: the Deployment in one file, the same Deployment
with the new release in a later one. Applied back to back, the Deployment controller would only
ever see the last version, and no earlier revision would exist; so a repeated object is applied
only once its controller has acted on the version before: a new generation observed and, for a
Deployment, rolled out (its old ReplicaSet then holds the earlier revision's ready pods).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from kubernetes.client import ApiClient

from challenges.kube.apply import FIELD_MANAGER, apply_documents
from challenges.kube.discovery import Discovery
from validators.kube import Obj, call

# Enough for the simulation (well under a second) and for pulling a small image on a real node.
ROLLOUT_SECONDS = 90.0


def _identity(document: Mapping[str, Any]) -> tuple[str, str, str]:
    return (
        str(document.get("apiVersion")),
        str(document.get("kind")),
        str((document.get("metadata") or {}).get("name")),
    )


def _acted_on(applied: Obj) -> bool:
    """Its controller has seen this generation and, for a Deployment, finished rolling it out."""
    meta, status = applied.get("metadata") or {}, applied.get("status") or {}
    if int(status.get("observedGeneration") or 0) < int(meta.get("generation") or 0):
        return False
    if applied.get("kind") != "Deployment":
        return True
    wanted = int((applied.get("spec") or {}).get("replicas", 1))
    return all(int(status.get(field) or 0) >= wanted for field in ("updatedReplicas", "availableReplicas"))


def _wait_acted_on(
    api: ApiClient, namespace: str, document: Obj, discovery: Discovery, timeout: float
) -> None:
    api_version, kind, name = _identity(document)
    path = discovery.resolve(api_version, kind).item(name, namespace)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = call(api, "GET", path, what=f"read {kind} {name}", missing_ok=True)
        if current is None or _acted_on(current):
            return
        time.sleep(0.2)
    # A rollout that cannot finish (a real node too slow to pull) still leaves the revision: go on.


def apply_with_history(
    api: ApiClient,
    namespace: str,
    documents: Iterable[Mapping[str, Any]],
    field_manager: str = FIELD_MANAGER,
    *,
    cluster_scoped: bool = False,
    timeout: float = ROLLOUT_SECONDS,
) -> list[Obj]:
    """`apply_documents`, in order; an object met again waits for its controller to act on the last
    version first. Without repeated objects this is exactly one `apply_documents` call."""
    batch: list[Mapping[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    applied: list[Obj] = []
    discovery = Discovery(api)
    for document in documents:
        identity = _identity(document)
        if identity in seen:
            applied += apply_documents(
                api, namespace, batch, field_manager, cluster_scoped=cluster_scoped, discovery=discovery
            )
            last = next(a for a in reversed(applied) if _identity(a) == identity)
            _wait_acted_on(api, namespace, last, discovery, timeout)
            batch, seen = [], set()
        batch.append(document)
        seen.add(identity)
    return applied + apply_documents(
        api, namespace, batch, field_manager, cluster_scoped=cluster_scoped, discovery=discovery
    )
