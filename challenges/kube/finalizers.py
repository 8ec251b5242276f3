"""Release a namespace's objects from finalizers, so that deleting the namespace can finish.

A namespace stays Terminating until every object in it is gone, and an object stays until its
finalizers are removed. A finalizer nobody removes (one a learner typed in, one whose controller
is not installed) would keep the namespace forever. Any namespaced type can carry finalizers,
custom resources included, so the types come from discovery rather than from a list.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from kubernetes.client import ApiClient

from challenges.kube import rest

Obj = dict[str, Any]

logger = logging.getLogger(__name__)

# Only the metadata of each object: enough to see its finalizers, and no Secret's data travels.
METADATA_LIST = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json"
PAGE_SIZE = "500"
# Finalizers that Kubernetes' own controllers remove (the garbage collector, the volume and job
# controllers, the service controller): worth leaving to them while a deletion runs its course.
KUBERNETES_FINALIZERS = frozenset({"foregroundDeletion", "orphan"})
KUBERNETES_DOMAINS = ("kubernetes.io", "k8s.io")


def is_kubernetes_finalizer(name: str) -> bool:
    if name in KUBERNETES_FINALIZERS:
        return True
    domain, slash, _ = name.partition("/")
    return bool(slash) and any(domain == d or domain.endswith(f".{d}") for d in KUBERNETES_DOMAINS)


@dataclass(frozen=True)
class Collection:
    """A namespaced resource type, by the path of its collection in a namespace."""

    group_version: str
    plural: str

    def path(self, namespace: str) -> str:
        prefix = "/api/v1" if self.group_version == "v1" else f"/apis/{self.group_version}"
        return f"{prefix}/namespaces/{quote(namespace, safe='')}/{self.plural}"


def _get(
    api: ApiClient,
    path: str,
    *,
    what: str,
    query: list[tuple[str, str]] | None = None,
    accept: str = "application/json",
) -> Obj | None:
    """A JSON answer, or None (logged) when the API server refuses: one broken API group (an
    aggregated API that is down, say) must not stop the release of every other type."""
    status, data = rest.request(api, "GET", path, what=what, query=query, accept=accept)
    if not 200 <= status < 300:
        logger.warning("could not %s: %s", what, rest.status_message(data) or f"HTTP {status}")
        return None
    body = json.loads(data)
    return body if isinstance(body, dict) else None


def namespaced_collections(api: ApiClient) -> list[Collection]:
    """Every namespaced type the API server serves whose objects can be listed and deleted (so
    can carry finalizers that hold a deletion), in each group's preferred version."""
    versions = ["v1"]
    groups = _get(api, "/apis", what="discover the API groups") or {}
    for group in groups.get("groups") or []:
        preferred = (group.get("preferredVersion") or {}).get("groupVersion")
        if preferred:
            versions.append(str(preferred))
    found: dict[tuple[str, str], Collection] = {}
    for version in versions:
        path = "/api/v1" if version == "v1" else f"/apis/{version}"
        listing = _get(api, path, what=f"discover {version}") or {}
        for resource in listing.get("resources") or []:
            name = str(resource.get("name", ""))
            verbs = set(resource.get("verbs") or [])
            # Not "patch" alone: the resources of a CustomResourceDefinition being deleted are
            # listed without it, yet their finalizers can (and must) still be patched away.
            if "/" in name or not resource.get("namespaced") or "list" not in verbs or "delete" not in verbs:
                continue
            group = version.rpartition("/")[0]
            # The same objects served by two groups (events) need one pass.
            found.setdefault((group, name), Collection(version, name))
    return list(found.values())


def release_finalizers(api: ApiClient, namespace: str, *, keep: Callable[[str], bool]) -> list[str]:
    """Remove from every object in `namespace` the finalizers `keep` does not want kept.

    Returns what was released ("configmaps/held: example.com/hold"). Each patch first tests that
    the finalizers are still those read, so a change made meanwhile is never overwritten; an
    object that changed or went away is left for the next pass.
    """
    released: list[str] = []
    for collection in namespaced_collections(api):
        for name, finalizers in _finalized(api, collection, namespace):
            dropped = [f for f in finalizers if not keep(f)]
            if not dropped:
                continue
            kept = [f for f in finalizers if keep(f)]
            patch = [
                {"op": "test", "path": "/metadata/finalizers", "value": finalizers},
                {"op": "replace", "path": "/metadata/finalizers", "value": kept},
            ]
            what = f"remove the finalizers of {collection.plural}/{name} in {namespace}"
            status, data = rest.request(
                api,
                "PATCH",
                f"{collection.path(namespace)}/{quote(name, safe='')}",
                what=what,
                body=patch,
                content_type="application/json-patch+json",
            )
            if 200 <= status < 300:
                released.append(f"{collection.plural}/{name}: {', '.join(dropped)}")
            elif status not in (404, 409, 422):
                logger.warning("could not %s: %s", what, rest.status_message(data) or f"HTTP {status}")
    return released


def _finalized(api: ApiClient, collection: Collection, namespace: str) -> list[tuple[str, list[str]]]:
    """(name, finalizers) of each object of the collection that has finalizers."""
    found: list[tuple[str, list[str]]] = []
    token = ""
    while True:
        query = [("limit", PAGE_SIZE), *([("continue", token)] if token else [])]
        page = _get(
            api,
            collection.path(namespace),
            query=query,
            what=f"list {collection.plural} in {namespace}",
            accept=METADATA_LIST,
        )
        if page is None:
            return found
        for item in page.get("items") or []:
            metadata = item.get("metadata") or {}
            if metadata.get("finalizers"):
                found.append((str(metadata["name"]), [str(f) for f in metadata["finalizers"]]))
        token = str((page.get("metadata") or {}).get("continue") or "")
        if not token:
            return found
