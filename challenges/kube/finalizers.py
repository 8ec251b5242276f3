"""Release a namespace's objects from finalizers, so that deleting the namespace can finish.

A namespace stays Terminating until every object in it is gone, and an object stays until its
finalizers are removed. A finalizer nobody removes (one a learner typed in, one whose controller
is not installed) would keep the namespace forever. Any namespaced type can carry finalizers,
custom resources included, so the types come from discovery rather than from a list.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from kubernetes.client import ApiClient

from challenges.kube.discovery import Discovery
from validators.errors import KubeError
from validators.kube import Resource, call, request

logger = logging.getLogger(__name__)

# Only the metadata of each object: enough to see its finalizers, and no Secret's data travels.
METADATA_LIST = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json"
PAGE_SIZE = "500"
# Finalizers that Kubernetes' own controllers remove (the garbage collector, the volume and job
# controllers, the service controller): worth leaving to them while a deletion runs its course.
KUBERNETES_FINALIZERS = frozenset({"foregroundDeletion", "orphan"})
KUBERNETES_DOMAINS = ("kubernetes.io", "k8s.io")
# Not "patch": the resources of a CustomResourceDefinition being deleted are listed without it,
# yet their finalizers can (and must) still be patched away.
RELEASABLE = frozenset({"list", "delete"})


def is_kubernetes_finalizer(name: str) -> bool:
    if name in KUBERNETES_FINALIZERS:
        return True
    domain, slash, _ = name.partition("/")
    return bool(slash) and any(domain == d or domain.endswith(f".{d}") for d in KUBERNETES_DOMAINS)


def namespaced_collections(api: ApiClient) -> list[Resource]:
    """Every namespaced type the API server serves whose objects can be listed and deleted (so
    can carry finalizers that hold a deletion), in each group's preferred version."""
    return Discovery(api).namespaced_collections(verbs=RELEASABLE)


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
            answer = request(
                api,
                "PATCH",
                collection.item(name, namespace),
                what=what,
                body=patch,
                content_type="application/json-patch+json",
            )
            if answer.ok:
                released.append(f"{collection.plural}/{name}: {', '.join(dropped)}")
            elif answer.status not in (404, 409, 422):
                logger.warning("%s", answer.error(what))
    return released


def _finalized(api: ApiClient, collection: Resource, namespace: str) -> list[tuple[str, list[str]]]:
    """(name, finalizers) of each object of the collection that has finalizers."""
    found: list[tuple[str, list[str]]] = []
    token = ""
    while True:
        query = [("limit", PAGE_SIZE), *([("continue", token)] if token else [])]
        what = f"list {collection.plural} in {namespace}"
        try:
            page = call(
                api, "GET", collection.collection(namespace), query=query, what=what, accept=METADATA_LIST
            )
        except KubeError as exc:
            # One type that cannot be listed (an aggregated API that is down) must not stop the
            # release of every other type.
            logger.warning("%s", exc)
            return found
        if page is None:
            return found
        for item in page.get("items") or []:
            metadata = item.get("metadata") or {}
            if metadata.get("finalizers"):
                found.append((str(metadata["name"]), [str(f) for f in metadata["finalizers"]]))
        token = str((page.get("metadata") or {}).get("continue") or "")
        if not token:
            return found
