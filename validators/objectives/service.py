"""`service`: a Service of a given name and type that really fronts a given workload.

It must exist with the right type; each listed port must exist and reach a
container port of the workload; its EndpointSlices must list every ready pod of
the workload and no other pod.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator

from validators import selectors
from validators.namespace_view import NamespaceView
from validators.registry import register
from validators.result import Result
from validators.spec import Spec
from validators.target import name_of
from validators.workloads import is_ready, template_ports, workload_pods

Obj = dict[str, Any]
Protocol = Literal["TCP", "UDP", "SCTP"]
# IANA_SVC_NAME, the rule for container port names.
PORT_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


class WorkloadRef(Spec):
    kind: Literal["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"] = "Deployment"
    name: str = Field(min_length=1)


class PortCheck(Spec):
    port: int = Field(ge=1, le=65535)
    target_port: int | str | None = None
    protocol: Protocol = "TCP"

    @field_validator("target_port")
    @classmethod
    def _port_or_name(cls, value: int | str | None) -> int | str | None:
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, int) and not 1 <= value <= 65535:
            raise ValueError(f"targetPort {value} is not a port number")
        if isinstance(value, str) and (len(value) > 15 or not PORT_NAME.match(value)):
            raise ValueError(f"targetPort {value!r} is neither a port number nor a valid port name")
        return value


class ServiceSpec(Spec):
    name: str = Field(min_length=1)
    type: Literal["ClusterIP", "NodePort", "LoadBalancer"] = "ClusterIP"
    workload: WorkloadRef
    ports: list[PortCheck] = Field(min_length=1)


def _resolve(target: int | str, declared: list[Obj], protocol: str) -> int | None:
    """A targetPort (number or name) → the container port number; None when no container declares it."""
    candidates = [p for p in declared if (p.get("protocol") or "TCP") == protocol]
    if isinstance(target, str):
        return next((int(p["containerPort"]) for p in candidates if p.get("name") == target), None)
    if candidates and all(int(p.get("containerPort", 0)) != target for p in candidates):
        return None
    # Ports in a pod template are informational; with none declared, a number is taken at its word.
    return target


def _listening(declared: list[Obj]) -> str:
    shown = [f"{p['containerPort']}" + (f" ({p['name']})" if p.get("name") else "") for p in declared]
    return ", ".join(shown) if shown else "no declared ports"


def _check_ports(spec: ServiceSpec, service: Obj, workload: Obj) -> str | None:
    owner = f"{spec.workload.kind} {spec.workload.name}"
    declared = template_ports(workload)
    exposed = (service.get("spec") or {}).get("ports") or []
    for wanted in spec.ports:
        port = next(
            (
                p
                for p in exposed
                if p.get("port") == wanted.port and (p.get("protocol") or "TCP") == wanted.protocol
            ),
            None,
        )
        if port is None:
            listed = ", ".join(f"{p.get('port')}/{p.get('protocol') or 'TCP'}" for p in exposed) or "none"
            return (
                f"Service {spec.name} does not expose port {wanted.port}/{wanted.protocol} "
                f"(it exposes {listed})."
            )
        target = port.get("targetPort", port.get("port"))
        resolved = _resolve(target, declared, wanted.protocol)
        if resolved is None:
            if isinstance(target, str):
                return (
                    f"Service {spec.name} sends port {wanted.port} to the port named {target}, "
                    f"which no container of {owner} declares (they declare {_listening(declared)})."
                )
            return (
                f"Service {spec.name} sends port {wanted.port} to port {target}, "
                f"but the containers of {owner} listen on {_listening(declared)}."
            )
        if wanted.target_port is not None:
            expected = _resolve(wanted.target_port, declared, wanted.protocol)
            if expected is None:
                return f"{owner} declares no container port {wanted.target_port} for Service {spec.name}."
            if resolved != expected:
                return (
                    f"Service {spec.name} sends port {wanted.port} to container port {resolved}, "
                    f"but {owner} serves on {expected}."
                )
    return None


def _endpoints(slices: list[Obj]) -> list[tuple[Obj, str | None, list[str]]]:
    """(endpoint, pod name from targetRef, addresses) for every endpoint of every slice."""
    found = []
    for endpoint_slice in slices:
        if endpoint_slice.get("addressType") == "FQDN":
            continue
        for endpoint in endpoint_slice.get("endpoints") or []:
            ref = endpoint.get("targetRef") or {}
            pod = ref.get("name") if ref.get("kind") == "Pod" else None
            found.append((endpoint, pod, list(endpoint.get("addresses") or [])))
    return found


def _pod_ips(pod: Obj) -> set[str]:
    status = pod.get("status") or {}
    ips = {entry.get("ip") for entry in status.get("podIPs") or []}
    ips.add(status.get("podIP"))
    return {ip for ip in ips if ip}


def _names(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@register("service", ServiceSpec)
def check_service(spec: ServiceSpec, view: NamespaceView) -> Result:
    owner = f"{spec.workload.kind} {spec.workload.name}"
    service = view.get("Service", spec.name)
    if service is None:
        return Result.fail(f"There is no Service named {spec.name} yet.")
    service_spec = service.get("spec") or {}
    actual_type = service_spec.get("type") or "ClusterIP"
    if actual_type != spec.type:
        return Result.fail(f"Service {spec.name} is of type {actual_type}; it should be {spec.type}.")
    selector = service_spec.get("selector") or {}
    if not selector:
        return Result.fail(
            f"Service {spec.name} has no selector, so Kubernetes cannot keep its endpoints "
            f"in step with the pods of {owner}."
        )
    workload = view.get(spec.workload.kind, spec.workload.name)
    if workload is None:
        return Result.fail(f"There is no {owner}, so Service {spec.name} has nothing to route to.")
    problem = _check_ports(spec, service, workload)
    if problem:
        return Result.fail(problem)

    pods = workload_pods(view, workload)
    ready = [pod for pod in pods if is_ready(pod)]
    if not ready:
        return Result.fail(f"{owner} has no ready pods yet, so Service {spec.name} has nothing to route to.")
    by_name = {name_of(pod): pod for pod in pods}
    by_ip = {ip: name_of(pod) for pod in pods for ip in _pod_ips(pod)}

    routed: set[str] = set()
    strangers: list[str] = []
    slices = view.list("EndpointSlice", {"kubernetes.io/service-name": spec.name})
    for endpoint, pod_name, addresses in _endpoints(slices):
        ours = pod_name if pod_name in by_name else next((by_ip[a] for a in addresses if a in by_ip), None)
        if ours is None:
            stranger = f"pod {pod_name}" if pod_name else f"address {', '.join(addresses) or '?'}"
            if stranger not in strangers:
                strangers.append(stranger)
        elif (endpoint.get("conditions") or {}).get("ready") is not False:
            routed.add(ours)

    missing = [name_of(pod) for pod in ready if name_of(pod) not in routed]
    details = {
        "ready_pods": [name_of(pod) for pod in ready],
        "routed": sorted(routed),
        "strangers": strangers,
        "selector": selector,
    }
    sentences = []
    if strangers:
        which = "is" if len(strangers) == 1 else "are"
        sentences.append(
            f"Service {spec.name} routes to {_names(strangers)}, which {which} not part of {owner}."
        )
    if missing:
        subject = "It" if sentences else f"Service {spec.name}"
        if len(missing) == len(ready):
            matched = any(
                selectors.matches_labels(selector, (pod.get("metadata") or {}).get("labels") or {})
                for pod in ready
            )
            miss = "does not match it" if len(ready) == 1 else "matches none of them"
            because = f": its selector {selectors.format_labels(selector)} {miss}"
            some = "the ready pod" if len(ready) == 1 else f"any of the {len(ready)} ready pods"
            sentences.append(f"{subject} does not route to {some} of {owner}{'' if matched else because}.")
        else:
            sentences.append(
                f"{subject} does not route to {_names([f'pod {m}' for m in missing])} of {owner}."
            )
    if sentences:
        return Result.fail(" ".join(sentences), **details)
    ports = ", ".join(str(p.port) for p in spec.ports)
    noun = "port" if len(spec.ports) == 1 else "ports"
    pods_text = "the one ready pod" if len(ready) == 1 else f"all {len(ready)} ready pods"
    return Result.ok(
        f"Service {spec.name} ({spec.type}) routes {noun} {ports} to {pods_text} of {owner}.", **details
    )
