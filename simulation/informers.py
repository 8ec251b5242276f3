"""List-then-watch loops, one thread per resource, feeding one queue; and the cache they fill."""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

from simulation.kube import Gone, Kube

Obj = dict[str, Any]
logger = logging.getLogger(__name__)

RESOURCES = {
    "pods": "/api/v1/pods",
    "configmaps": "/api/v1/configmaps",
    "secrets": "/api/v1/secrets",
    "services": "/api/v1/services",
    "endpointslices": "/apis/discovery.k8s.io/v1/endpointslices",
    "nodes": "/api/v1/nodes",
    "simulations": "/apis/simulation.breakfix.dev/v1alpha1/simulations",
    # For the provisioner of the platform's StorageClass (provisioner.py).
    "persistentvolumeclaims": "/api/v1/persistentvolumeclaims",
    "persistentvolumes": "/api/v1/persistentvolumes",
    "storageclasses": "/apis/storage.k8s.io/v1/storageclasses",
}
RETRY_SECONDS = (0.2, 0.5, 1, 2, 5)


@dataclass(frozen=True)
class Change:
    resource: str
    kind: str  # ADDED, MODIFIED, DELETED, or LISTED for a whole new list
    obj: Obj | None = None
    items: tuple[Obj, ...] = ()


def key_of(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


class Informer(threading.Thread):
    def __init__(
        self, kube: Kube, resource: str, changes: queue.Queue[Change], stop: threading.Event
    ) -> None:
        super().__init__(name=f"watch-{resource}", daemon=True)
        self.kube, self.resource, self.changes, self.stop = kube, resource, changes, stop
        self.listed = threading.Event()

    def run(self) -> None:
        failures = 0
        path = RESOURCES[self.resource]
        while not self.stop.is_set():
            try:
                items, version = self.kube.list(path)
                self.changes.put(Change(self.resource, "LISTED", items=tuple(items)))
                self.listed.set()
                failures = 0
                while not self.stop.is_set():
                    for kind, obj in self.kube.watch(path, version):
                        if kind == "BOOKMARK":
                            version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                            continue
                        version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                        self.changes.put(Change(self.resource, kind, obj))
            except Gone:
                continue
            except Exception as exc:
                # Whatever ended the watch (the API server restarting, a CRD not installed yet, an
                # answer not understood), the cache must come back: keep trying, a little slower.
                pause = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
                failures += 1
                if failures in (1, 10) or failures % 60 == 0:
                    logger.warning("watching %s failed (%s); retrying", self.resource, exc)
                time.sleep(pause)


def _version(obj: Obj | None) -> int | None:
    value = str(((obj or {}).get("metadata") or {}).get("resourceVersion") or "")
    return int(value) if value.isdigit() else None


def _older(new: Obj, old: Obj | None) -> bool:
    """A watch event that was queued before the answer to our own write: do not go back to it."""
    a, b = _version(new), _version(old)
    return a is not None and b is not None and a < b


class Cache:
    """The objects of every watched resource, by namespace ("" for cluster-wide ones) and name."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[str, dict[str, Obj]]] = {name: {} for name in RESOURCES}

    def apply(self, change: Change) -> list[Obj]:
        """Apply one change; return the objects it touched (the old ones too, for a new list)."""
        table = self.objects[change.resource]
        if change.kind == "LISTED":
            touched = [obj for names in table.values() for obj in names.values()]
            table.clear()
            for obj in change.items:
                namespace, name = key_of(obj)
                table.setdefault(namespace, {})[name] = obj
            return touched + list(change.items)
        assert change.obj is not None
        namespace, name = key_of(change.obj)
        if change.kind == "DELETED":
            table.get(namespace, {}).pop(name, None)
        elif not _older(change.obj, table.get(namespace, {}).get(name)):
            table.setdefault(namespace, {})[name] = change.obj
        return [change.obj]

    def get(self, resource: str, namespace: str, name: str) -> Obj | None:
        return self.objects[resource].get(namespace, {}).get(name)

    def put(self, resource: str, obj: Obj) -> None:
        namespace, name = key_of(obj)
        self.objects[resource].setdefault(namespace, {})[name] = obj

    def in_namespace(self, resource: str, namespace: str) -> dict[str, Obj]:
        return self.objects[resource].get(namespace, {})

    def all(self, resource: str) -> list[Obj]:
        return [obj for names in self.objects[resource].values() for obj in names.values()]
