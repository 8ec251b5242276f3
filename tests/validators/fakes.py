"""An in-memory stand-in for NamespaceView, and builders for the API objects the checks read.

The fake implements validators.View, the protocol NamespaceView implements, over plain dicts
shaped like the API's JSON; mypy holds both to it (see _both_are_views), so they cannot drift.
It is for unit-testing the checks' logic; tests/live/test_validators_live.py runs the same
checks against a real API server.
"""

from __future__ import annotations

import base64
import builtins
import dataclasses
import itertools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from validators import selectors
from validators.errors import ObjectInvalid
from validators.namespace_view import KINDS, NamespaceView
from validators.view import AccessQuestion, LabelSelector, LogQuery, View

Obj = dict[str, Any]
NS = "attempt-1"
_uids = itertools.count(1)


def _uid() -> str:
    return f"uid-{next(_uids)}"


def _parse_query(query: str) -> dict[str, str]:
    labels = {}
    for term in query.split(","):
        key, sep, value = term.partition("=")
        if not sep or " " in term:
            raise NotImplementedError(f"the fake understands only key=value selectors, not {term!r}")
        labels[key] = value
    return labels


class FakeView:
    def __init__(
        self,
        objects: Iterable[Obj] = (),
        *,
        namespace: str = NS,
        namespace_labels: Mapping[str, str] | None = None,
        other_namespaces: Mapping[str, Mapping[str, str]] | None = None,
        logs: Mapping[tuple[str, str], str | Exception] | None = None,
        access: Callable[[Obj], Obj] | None = None,
    ) -> None:
        self.namespace = namespace
        self.objects: builtins.list[Obj] = list(objects)
        self._namespace_labels = dict(namespace_labels or {"kubernetes.io/metadata.name": namespace})
        # Other namespaces by name, with their labels; one not listed does not exist.
        self.other_namespaces = {k: dict(v) for k, v in (other_namespaces or {}).items()}
        self.logs = dict(logs or {})
        self.access = access
        self.log_calls: builtins.list[Obj] = []
        self.reviews: builtins.list[Obj] = []
        # What fresh() shows: the namespace a few seconds later (itself when a test sets nothing).
        self.later: FakeView | None = None
        self.fresh_calls = 0

    def fresh(self) -> FakeView:
        self.fresh_calls += 1
        return self.later or self

    def secret_value(self, name: str, key: str) -> bytes | None:
        secret = self.get("Secret", name)
        if secret is None:
            return None
        if key in (secret.get("stringData") or {}):
            return str(secret["stringData"][key]).encode()
        encoded = (secret.get("data") or {}).get(key)
        return None if encoded is None else base64.b64decode(encoded)

    def add(self, *objects: Obj) -> None:
        self.objects.extend(objects)

    def get(self, kind: str, name: str) -> Obj | None:
        if kind not in KINDS:
            raise ObjectInvalid(f"{kind!r} is not a kind the checks may read")
        return next((o for o in self.objects if o["kind"] == kind and o["metadata"]["name"] == name), None)

    def list(self, kind: str, label_selector: LabelSelector = None) -> builtins.list[Obj]:
        if kind not in KINDS:
            raise ObjectInvalid(f"{kind!r} is not a kind the checks may read")
        wanted = (
            _parse_query(label_selector) if isinstance(label_selector, str) else dict(label_selector or {})
        )
        return [
            o
            for o in self.objects
            if o["kind"] == kind and selectors.matches_labels(wanted, o["metadata"].get("labels") or {})
        ]

    def pods(self, label_selector: LabelSelector = None) -> builtins.list[Obj]:
        return self.list("Pod", label_selector)

    def nodes(self) -> builtins.list[Obj]:
        return [o for o in self.objects if o["kind"] == "Node"]

    def network_policies(self) -> builtins.list[Obj]:
        return self.list("NetworkPolicy")

    def events(self) -> builtins.list[Obj]:
        return self.list("Event")

    def namespace_labels(self, name: str | None = None) -> dict[str, str]:
        if name is None or name == self.namespace:
            return dict(self._namespace_labels)
        if name not in self.other_namespaces:
            raise ObjectInvalid(f"The namespace {name!r} does not exist.", status=404)
        return dict(self.other_namespaces[name])

    def pod_logs(self, query: LogQuery) -> str:
        self.log_calls.append(
            {
                "pod": query.pod,
                "container": query.container,
                "since_seconds": query.since_seconds,
                "previous": query.previous,
            }
        )
        text = self.logs.get((query.pod, query.container or ""), "")
        if isinstance(text, Exception):
            raise text
        return text

    def subject_access_review(self, question: AccessQuestion) -> Obj:
        attributes = dataclasses.asdict(question)
        self.reviews.append(attributes)
        assert self.access is not None, "this test did not expect access reviews"
        return self.access(attributes)


def _both_are_views(fake: FakeView, real: NamespaceView) -> list[View]:
    """Never called: mypy checks here that the fake and the real view are both a validators.View."""
    return [fake, real]


# --- builders ----------------------------------------------------------------------------------


def meta(name: str, labels: Mapping[str, str] | None = None, **extra: Any) -> Obj:
    return {"name": name, "namespace": NS, "uid": _uid(), "labels": dict(labels or {}), **extra}


def owner(obj: Obj) -> list[Obj]:
    return [
        {
            "kind": obj["kind"],
            "name": obj["metadata"]["name"],
            "uid": obj["metadata"]["uid"],
            "controller": True,
        }
    ]


def pod(
    name: str,
    labels: Mapping[str, str] | None = None,
    *,
    ready: bool = True,
    ip: str | None = "10.0.0.10",
    owned_by: Obj | None = None,
    ports: Iterable[tuple[str | None, int]] = (),
    containers: Iterable[str] = ("app",),
    phase: str = "Running",
    deleting: bool = False,
    conditions: list[Obj] | None = None,
    status: Mapping[str, Any] | None = None,
) -> Obj:
    metadata = meta(name, labels)
    if owned_by is not None:
        metadata["ownerReferences"] = owner(owned_by)
    if deleting:
        metadata["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    port_list = [{"containerPort": p, "protocol": "TCP", **({"name": n} if n else {})} for n, p in ports]
    names = list(containers)
    spec = {
        "containers": [
            {"name": c, "image": "nginx", "ports": port_list if i == 0 else []} for i, c in enumerate(names)
        ]
    }
    if conditions is None:
        conditions = [{"type": "Ready", "status": "True" if ready else "False"}]
    pod_status: Obj = {"phase": phase, "conditions": conditions, **(status or {})}
    if ip:
        pod_status["podIP"] = ip
        pod_status["podIPs"] = [{"ip": ip}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": pod_status}


def deployment(
    name: str,
    labels: Mapping[str, str],
    *,
    ports: Iterable[tuple[str | None, int]] = ((None, 80),),
    status: Mapping[str, Any] | None = None,
    **spec_extra: Any,
) -> Obj:
    port_list = [{"containerPort": p, "protocol": "TCP", **({"name": n} if n else {})} for n, p in ports]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(name, labels),
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {"containers": [{"name": "app", "image": "nginx", "ports": port_list}]},
            },
            **spec_extra,
        },
        "status": dict(status or {}),
    }


def running(name: str = "app", *, restarts: int = 0, started: float = 3600, ready: bool = True) -> Obj:
    """A container status as a kubelet writes it for a running container; `started` is seconds ago."""
    status: Obj = {
        "name": name,
        "image": "nginx",
        "ready": ready,
        "restartCount": restarts,
        "state": {"running": {"startedAt": ago(started)}},
        "lastState": {},
    }
    return status


def waiting(name: str = "app", reason: str = "CrashLoopBackOff", message: str = "", **extra: Any) -> Obj:
    status = running(name, ready=False, **extra)
    status["state"] = {"waiting": {"reason": reason, **({"message": message} if message else {})}}
    return status


def terminated(reason: str, code: int, *, finished: float | None = 30) -> Obj:
    """A `state` or `lastState` value: a run that ended `finished` seconds ago."""
    ended: Obj = {"reason": reason, "exitCode": code}
    if finished is not None:
        ended["finishedAt"] = ago(finished)
        ended["startedAt"] = ago(finished + 5)
    return {"terminated": ended}


def with_containers(p: Obj, *statuses: Obj, ready: bool | None = None) -> Obj:
    """Give a pod these container statuses; its Ready condition follows them unless `ready` says."""
    p["status"]["containerStatuses"] = list(statuses)
    is_ready = all(s.get("ready") for s in statuses) if ready is None else ready
    p["status"]["conditions"] = [
        {"type": "PodScheduled", "status": "True"},
        {"type": "Ready", "status": "True" if is_ready else "False"},
    ]
    return p


def ago(seconds: float) -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def replicaset(deploy: Obj, suffix: str = "5d9f") -> Obj:
    labels = {**deploy["spec"]["selector"]["matchLabels"], "pod-template-hash": suffix}
    metadata = meta(f"{deploy['metadata']['name']}-{suffix}", labels, ownerReferences=owner(deploy))
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": metadata,
        "spec": {"selector": {"matchLabels": labels}},
    }


def workload(
    name: str,
    labels: Mapping[str, str],
    *,
    replicas: int = 2,
    ready: bool = True,
    ports: Iterable[tuple[str | None, int]] = ((None, 80),),
    first_ip: int = 10,
) -> tuple[Obj, Obj, list[Obj]]:
    """A Deployment, its ReplicaSet and its pods, as the controllers would leave them."""
    ports = list(ports)
    deploy = deployment(name, labels, ports=ports)
    deploy["spec"]["replicas"] = replicas
    deploy["metadata"]["generation"] = 1
    up = replicas if ready else 0
    deploy["status"] = {
        "observedGeneration": 1,
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": up,
        "availableReplicas": up,
    }
    rs = replicaset(deploy)
    pods = [
        pod(
            f"{rs['metadata']['name']}-{i}",
            rs["metadata"]["labels"],
            ready=ready,
            owned_by=rs,
            ports=ports,
            ip=f"10.0.0.{first_ip + i}",
        )
        for i in range(replicas)
    ]
    return deploy, rs, pods


def service(
    name: str,
    selector: Mapping[str, str] | None,
    *,
    ports: Iterable[Obj] = ({"port": 80, "targetPort": 80},),
    type: str = "ClusterIP",
) -> Obj:
    spec: Obj = {"type": type, "ports": [{"protocol": "TCP", **p} for p in ports]}
    if selector is not None:
        spec["selector"] = dict(selector)
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta(name), "spec": spec}


def _slice_ports(svc: Obj, p: Obj) -> list[Obj]:
    """The ports the EndpointSlice controller writes for one pod: each Service port, translated."""
    declared = [port for c in p["spec"]["containers"] for port in c.get("ports") or []]
    found = []
    for service_port in svc["spec"]["ports"]:
        target = service_port.get("targetPort", service_port["port"])
        protocol = service_port.get("protocol", "TCP")
        if isinstance(target, str):
            number = next(
                (
                    d["containerPort"]
                    for d in declared
                    if d.get("name") == target and d["protocol"] == protocol
                ),
                None,
            )
            if number is None:
                continue  # the controller skips a port the pod cannot resolve
        else:
            number = target
        found.append({"name": service_port.get("name", ""), "port": number, "protocol": protocol})
    return found


def endpoint_slice(svc: Obj, pods: Iterable[Obj], *, name: str | None = None, with_refs: bool = True) -> Obj:
    """One slice, as the controller writes it for pods whose ports translate alike."""
    pods = list(pods)
    port_sets = {repr(_slice_ports(svc, p)) for p in pods}
    if len(port_sets) > 1:
        raise ValueError("these pods translate the Service's ports differently: give each its own slice")
    endpoints = []
    for p in pods:
        ready = any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"]["conditions"])
        endpoint: Obj = {"addresses": [p["status"]["podIP"]], "conditions": {"ready": ready}}
        if with_refs:
            endpoint["targetRef"] = {"kind": "Pod", "name": p["metadata"]["name"], "namespace": NS}
        endpoints.append(endpoint)
    svc_name = svc["metadata"]["name"]
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": meta(name or f"{svc_name}-abcde", {"kubernetes.io/service-name": svc_name}),
        "addressType": "IPv4",
        "endpoints": endpoints,
        "ports": _slice_ports(svc, pods[0]) if pods else None,
    }


def network_policy(
    name: str,
    pod_selector: Mapping[str, Any] | None = None,
    *,
    namespace: str = NS,
    **spec: Any,
) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace, "uid": _uid()},
        "spec": {"podSelector": dict(pod_selector or {}), **spec},
    }


def event(
    involved: Obj, reason: str, *, seconds_ago: float = 10, message: str = "", type: str = "Normal"
) -> Obj:
    from datetime import UTC, datetime, timedelta

    when = (datetime.now(UTC) - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": meta(f"{involved['metadata']['name']}.{_uid()}"),
        "involvedObject": {
            "kind": involved["kind"],
            "name": involved["metadata"]["name"],
            "uid": involved["metadata"]["uid"],
            "namespace": NS,
        },
        "reason": reason,
        "message": message,
        "type": type,
        "firstTimestamp": when,
        "lastTimestamp": when,
    }
