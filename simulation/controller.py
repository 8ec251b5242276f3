"""The process: watch the cluster, sync each pod when it or its namespace changes or a timer is
due, write what the kubelet would write (pod status, events, logs) and keep a Lease as proof of life.

One thread does all the syncing, so writes to one pod never race each other; status patches
carry the resourceVersion they were computed from, so a pod that changed meanwhile is synced
again from its new version instead of being overwritten.
"""

from __future__ import annotations

import heapq
import ipaddress
import logging
import os
import queue
import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import urllib3

from simulation import kubelet, resolve
from simulation.behaviour import Facts
from simulation.containers import Event, stamp, state_of
from simulation.events import Recorder
from simulation.informers import RESOURCES, Cache, Change, Informer
from simulation.kube import Kube
from simulation.lifecycle import Surroundings
from simulation.logfiles import LogStore
from simulation.memory import Memory
from simulation.provisioner import Provisioner
from simulation.simulations import Simulations

Obj = dict[str, Any]
PodKey = tuple[str, str]
logger = logging.getLogger(__name__)

LEASE_NAMESPACE = "kube-system"
LEASE_NAME = "breakfix-simulation"
LEASE_SECONDS = 15
RENEW_EVERY = timedelta(seconds=3)
# Every pod is looked at again this often, whatever happened: a missed event costs no more.
RESYNC = timedelta(seconds=60)
NAMESPACED_INPUTS = ("configmaps", "secrets", "services", "endpointslices")
STORAGE = ("persistentvolumeclaims", "persistentvolumes", "storageclasses")
RETRY_FAILED = timedelta(seconds=5)


class Controller:
    def __init__(self, kube: Kube, state_dir: Path) -> None:
        self.kube = kube
        self.cache = Cache()
        self.changes: queue.Queue[Change] = queue.Queue()
        self.stop = threading.Event()
        self.memory = Memory()
        self.recorder = Recorder(kube, started=datetime.now(UTC))
        self.logs = LogStore(state_dir / "logs")
        self.simulations = Simulations(kube)
        self.provisioner = Provisioner(kube)
        self.storage_changed = True
        self.timers: list[tuple[datetime, PodKey]] = []
        self.dirty: set[PodKey] = set()
        self.assigned: dict[str, tuple[str, str]] = {}  # pod uid → (node, IP) handed out
        self.logs_listed: dict[str, frozenset[str]] = {}  # pod uid → containers its Logs object names
        self.stopping: set[str] = set()  # pod uids whose deletion was noted
        self.identity = f"{socket.gethostname()}-{os.getpid()}"
        self.next_renew = datetime.now(UTC)
        self.next_resync = datetime.now(UTC) + RESYNC
        self.informers = [Informer(kube, name, self.changes, self.stop) for name in RESOURCES]

    # --- the loop ---------------------------------------------------------------------------

    def run(self) -> None:
        for informer in self.informers:
            informer.start()
        logger.info("simulation controller %s started", self.identity)
        while not self.stop.is_set():
            self._receive(self._timeout())
            now = datetime.now(UTC)
            while self.timers and self.timers[0][0] <= now:
                self.dirty.add(heapq.heappop(self.timers)[1])
            if now >= self.next_resync:
                self.next_resync = now + RESYNC
                self.dirty.update(self._pod_keys())
                self.storage_changed = True
            if not all(i.listed.is_set() for i in self.informers if i.resource != "simulations"):
                continue  # judge no pod before its namespace's objects are known
            self._renew_if_due()
            for key in sorted(self.dirty):
                self.dirty.discard(key)
                try:
                    self._sync(key)
                except Exception:
                    # One pod the simulation gets wrong must not stop the kubelet of all the others.
                    logger.exception(
                        "syncing pod %s/%s failed; trying again in %ss", *key, RETRY_FAILED.seconds
                    )
                    heapq.heappush(self.timers, (datetime.now(UTC) + RETRY_FAILED, key))
                # Between pods too: syncing hundreds of them (a fresh start on a full cluster, a
                # busy API server) must not look like a hang to whoever reads the Lease.
                self._renew_if_due()
            if self.storage_changed:
                self.storage_changed = False
                self._provision()

    def _timeout(self) -> float:
        now = datetime.now(UTC)
        until = min([self.next_renew, self.next_resync, *(at for at, _ in self.timers[:1])])
        return 0.0 if self.dirty else max(0.0, min((until - now).total_seconds(), 1.0))

    def _receive(self, timeout: float) -> None:
        try:
            change = self.changes.get(timeout=timeout) if timeout > 0 else self.changes.get_nowait()
        except queue.Empty:
            return
        while True:
            self._apply(change)
            try:
                change = self.changes.get_nowait()
            except queue.Empty:
                return

    def _apply(self, change: Change) -> None:
        touched = self.cache.apply(change)
        if change.resource == "pods":
            for pod in touched:
                meta = pod.get("metadata") or {}
                key = (str(meta.get("namespace")), str(meta.get("name")))
                if change.kind == "DELETED":
                    self._forget(pod)
                else:
                    self.dirty.add(key)
        elif change.resource == "simulations":
            self.simulations.update(self.cache.all("simulations"))
            for obj in touched:
                self._namespace_changed(self.simulations.namespace_of(obj))
        elif change.resource in NAMESPACED_INPUTS:
            for obj in touched:
                self._namespace_changed(str((obj.get("metadata") or {}).get("namespace") or ""))
        elif change.resource == "nodes" and change.kind == "LISTED":
            self.dirty.update(self._pod_keys())
        if change.resource in STORAGE or change.resource == "nodes":
            self.storage_changed = True
        if change.resource == "pods" and change.kind == "LISTED":
            live = {
                (str(p["metadata"].get("namespace")), str(p["metadata"].get("uid"))) for p in change.items
            }
            self.logs.sweep(live)

    def _namespace_changed(self, namespace: str) -> None:
        if namespace:
            self.dirty.update((namespace, name) for name in self.cache.in_namespace("pods", namespace))

    def _pod_keys(self) -> list[PodKey]:
        return [(ns, name) for ns, names in self.cache.objects["pods"].items() for name in names]

    def _forget(self, pod: Obj) -> None:
        meta = pod.get("metadata") or {}
        uid, namespace = str(meta.get("uid")), str(meta.get("namespace"))
        self.memory.forget(uid)
        self.assigned.pop(uid, None)
        self.logs_listed.pop(uid, None)
        self.stopping.discard(uid)
        self.recorder.forget(uid)
        self.logs.remove(namespace, uid)

    # --- one pod ----------------------------------------------------------------------------

    def _sync(self, key: PodKey) -> None:
        pod = self.cache.get("pods", *key)
        if pod is None:
            return
        node_name = str((pod.get("spec") or {}).get("nodeName") or "")
        node = self.cache.get("nodes", "", node_name) if node_name else None
        if node is None:
            return
        if (pod.get("metadata") or {}).get("deletionTimestamp"):
            self._note_stopping(pod, node_name)
            return
        namespace = key[0]
        around = Surroundings(
            objects=resolve.Objects(
                namespace,
                self.cache.in_namespace("configmaps", namespace),
                self.cache.in_namespace("secrets", namespace),
            ),
            facts=self._facts(namespace),
            simulation=self.simulations.for_namespace(namespace),
            images_on_node=self._images_on(node_name),
        )
        host_ip = _internal_ip(node)
        uid = str(pod["metadata"].get("uid"))
        result = kubelet.sync(
            pod, around, kubelet.Node(host_ip, lambda: self._allocate(uid, node)), self.memory
        )
        # Logs first: what a container prints is there before the kubelet reports it running.
        self._write_logs(pod, result.logs)
        if result.status is not None and not self._patch(pod, result.status):
            return  # it changed meanwhile: its watch event brings it back with the new version
        for event in result.events:
            self.recorder.record(pod, event, node=node_name)
        if result.wake_at is not None:
            heapq.heappush(self.timers, (result.wake_at, key))

    def _provision(self) -> None:
        try:
            self.provisioner.sync(
                self.cache.all("persistentvolumeclaims"),
                self.cache.in_namespace("persistentvolumes", ""),
                self.cache.in_namespace("storageclasses", ""),
                self.cache.in_namespace("nodes", ""),
            )
        except Exception:
            # The kubelet's part goes on whatever the provisioner's does; the resync tries again.
            logger.exception("provisioning failed; trying again at the next resync")

    def _patch(self, pod: Obj, status: Obj) -> bool:
        meta = pod["metadata"]
        path = f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}/status"
        # The whole status, conditions and container lists included, replaces the old one.
        body = {"metadata": {"resourceVersion": meta.get("resourceVersion")}, "status": status}
        try:
            code, answer = self.kube.request(
                "PATCH", path, body=body, content_type="application/merge-patch+json"
            )
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            logger.warning("status of %s/%s not written: %s", meta["namespace"], meta["name"], exc)
            heapq.heappush(
                self.timers, (datetime.now(UTC) + timedelta(seconds=1), (meta["namespace"], meta["name"]))
            )
            return False
        if code == 200:
            self.cache.put("pods", answer)
            return True
        if code not in (404, 409):
            logger.warning(
                "status of %s/%s refused: HTTP %s %s",
                meta["namespace"],
                meta["name"],
                code,
                answer.get("message"),
            )
        return False

    def _note_stopping(self, pod: Obj, node: str) -> None:
        uid = str(pod["metadata"].get("uid"))
        if uid in self.stopping:
            return
        self.stopping.add(uid)
        for status in (pod.get("status") or {}).get("containerStatuses") or []:
            if state_of(status)[0] == "running":
                name = str(status.get("name"))
                event = Event(
                    "Killing",
                    f"Stopping container {name}",
                    field_path=f"spec.containers{{{name}}}",
                    at=datetime.now(UTC),
                )
                self.recorder.record(pod, event, node=node)

    def _facts(self, namespace: str) -> Facts:
        services = frozenset(self.cache.in_namespace("services", namespace))
        ready: set[str] = set()
        for piece in self.cache.in_namespace("endpointslices", namespace).values():
            owner = ((piece.get("metadata") or {}).get("labels") or {}).get("kubernetes.io/service-name")
            for endpoint in piece.get("endpoints") or []:
                if (
                    owner
                    and endpoint.get("addresses")
                    and (endpoint.get("conditions") or {}).get("ready") is not False
                ):
                    ready.add(str(owner))
        return Facts(services=services, endpoints=frozenset(ready))

    def _images_on(self, node: str) -> frozenset[str]:
        found: set[str] = set()
        for pod in self.cache.all("pods"):
            if (pod.get("spec") or {}).get("nodeName") != node:
                continue
            status = pod.get("status") or {}
            for item in [
                *(status.get("containerStatuses") or []),
                *(status.get("initContainerStatuses") or []),
            ]:
                if item.get("imageID"):
                    found.add(str(item.get("image")))
        return frozenset(found)

    def _allocate(self, uid: str, node: Obj) -> str:
        node_name = str(node["metadata"]["name"])
        if uid in self.assigned and self.assigned[uid][0] == node_name:
            return self.assigned[uid][1]
        used = {ip for n, ip in self.assigned.values() if n == node_name}
        for pod in self.cache.all("pods"):
            status = pod.get("status") or {}
            if (pod.get("spec") or {}).get("nodeName") == node_name and status.get("phase") not in (
                "Succeeded",
                "Failed",
            ):
                used.add(str(status.get("podIP") or ""))
        for cidr in (node.get("spec") or {}).get("podCIDRs") or [(node.get("spec") or {}).get("podCIDR")]:
            if not cidr:
                continue
            network = ipaddress.ip_network(str(cidr), strict=False)
            for address in network.hosts():
                if int(address) - int(network.network_address) < 2 or str(address) in used:
                    continue  # .1 is the bridge on a real node
                self.assigned[uid] = (node_name, str(address))
                return str(address)
        logger.warning("node %s has no pod IP left", node_name)
        return ""

    def _write_logs(self, pod: Obj, logs: dict[str, tuple[int, list[tuple[datetime, str]] | None]]) -> None:
        if not logs:
            return
        meta = pod["metadata"]
        namespace, uid = str(meta.get("namespace")), str(meta.get("uid"))
        for container, (run, lines) in logs.items():
            self.logs.write(namespace, uid, container, run, lines)
        listed = self.logs_listed.get(uid, frozenset()) | frozenset(logs)
        if listed == self.logs_listed.get(uid):
            return
        path = f"/apis/kwok.x-k8s.io/v1alpha1/namespaces/{namespace}/logs/{meta.get('name')}"
        document = self.logs.logs_object(pod, listed)
        try:
            code, answer = self.kube.request(
                "PATCH",
                path,
                body=document,
                query=[("fieldManager", "breakfix-simulation"), ("force", "true")],
                content_type="application/apply-patch+yaml",
            )
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            logger.warning("logs of %s/%s not served: %s", namespace, meta.get("name"), exc)
            return
        if 200 <= code < 300:
            self.logs_listed[uid] = listed
        elif code != 403:
            logger.warning(
                "logs of %s/%s not served: HTTP %s %s",
                namespace,
                meta.get("name"),
                code,
                answer.get("message"),
            )

    def _renew_if_due(self) -> None:
        now = datetime.now(UTC)
        if now >= self.next_renew:
            self.next_renew = now + RENEW_EVERY
            self._renew_lease(now)

    def _renew_lease(self, now: datetime) -> None:
        path = f"/apis/coordination.k8s.io/v1/namespaces/{LEASE_NAMESPACE}/leases/{LEASE_NAME}"
        micro = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        document = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": LEASE_NAME, "namespace": LEASE_NAMESPACE},
            "spec": {
                "holderIdentity": self.identity,
                "leaseDurationSeconds": LEASE_SECONDS,
                "renewTime": micro,
            },
        }
        try:
            self.kube.request(
                "PATCH",
                path,
                body=document,
                query=[("fieldManager", "breakfix-simulation"), ("force", "true")],
                content_type="application/apply-patch+yaml",
            )
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            logger.warning("lease not renewed: %s", exc)


def _internal_ip(node: Obj) -> str:
    for address in (node.get("status") or {}).get("addresses") or []:
        if address.get("type") == "InternalIP":
            return str(address.get("address"))
    return ""


__all__ = ["Controller", "stamp"]
