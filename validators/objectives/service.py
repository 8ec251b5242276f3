"""`service`: a Service of a given name and type that really delivers traffic to a given workload.

Traffic is followed the way it flows. The Service must exist with the right type (an
ExternalName Service is only a DNS alias and routes nowhere inside the cluster); each
listed port must exist and arrive on a port the workload's containers listen on. A
ClusterIP, NodePort or LoadBalancer Service translates `port` to `targetPort`, a named
targetPort resolved in each pod's own containers; a headless Service (clusterIP: None)
translates nothing: clients get the pod IPs from DNS and connect to them on `port`
itself. Its EndpointSlices, which kube-proxy routes from, must list every ready pod of
the workload, with the port, and no other pod.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator

from validators import selectors
from validators.endpoints import (
    Endpoint,
    container_ports,
    describe_ports,
    find_port,
    listens_on,
    pod_ips,
    service_endpoints,
)
from validators.registry import register
from validators.result import Result
from validators.spec import Spec
from validators.target import name_of
from validators.view import View
from validators.workloads import is_ready, workload_pods

Obj = dict[str, Any]
Protocol = Literal["TCP", "UDP", "SCTP"]
# IANA_SVC_NAME, the rule for container port names.
PORT_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


class WorkloadRef(Spec):
    """The workload whose pods the Service must front."""

    kind: Literal["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"] = "Deployment"
    name: str = Field(min_length=1)


class PortCheck(Spec):
    """A port clients connect to (`port`), and optionally the container port it must arrive on."""

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
    """`name`: the Service; `type`: what spec.type must be; `workload`: the pods it must reach;
    `ports`: the ports clients use; `headless`: true to require clusterIP None, false to
    forbid it (default: either, judged by where its traffic really arrives)."""

    name: str = Field(min_length=1)
    type: Literal["ClusterIP", "NodePort", "LoadBalancer"] = "ClusterIP"
    workload: WorkloadRef
    ports: list[PortCheck] = Field(min_length=1)
    headless: bool | None = None


def _exposed(service: Obj, wanted: PortCheck) -> Obj | None:
    for port in (service.get("spec") or {}).get("ports") or []:
        if port.get("port") == wanted.port and (port.get("protocol") or "TCP") == wanted.protocol:
            return dict(port)
    return None


def _check_ports(spec: ServiceSpec, service: Obj, workload: Obj, headless: bool) -> str | None:
    """Against the workload's pod template: where each port's traffic arrives, before any pod exists."""
    owner = f"{spec.workload.kind} {spec.workload.name}"
    declared = container_ports(((workload.get("spec") or {}).get("template") or {}).get("spec") or {})
    exposed = (service.get("spec") or {}).get("ports") or []
    for wanted in spec.ports:
        port = _exposed(service, wanted)
        if port is None:
            listed = ", ".join(f"{p.get('port')}/{p.get('protocol') or 'TCP'}" for p in exposed) or "none"
            return (
                f"Service {spec.name} does not expose port {wanted.port}/{wanted.protocol} "
                f"(it exposes {listed})."
            )
        target: int | str = port.get("targetPort", wanted.port)
        arrival: int | None
        if headless:
            # No virtual IP, no kube-proxy rule: the client connects to podIP:port.
            arrival = wanted.port
            if not listens_on(declared, wanted.port, wanted.protocol):
                ignored = f" (its targetPort {target} is not applied)" if target != wanted.port else ""
                return (
                    f"Service {spec.name} is headless (clusterIP: None), so a client connecting to "
                    f"{spec.name}:{wanted.port} reaches the pods directly on port {wanted.port}{ignored}, "
                    f"but the containers of {owner} listen on {describe_ports(declared)}."
                )
        else:
            arrival = find_port(declared, target, wanted.protocol)
            if arrival is None:
                return (
                    f"Service {spec.name} sends port {wanted.port} to the port named {target}, "
                    f"which no container of {owner} declares (they declare {describe_ports(declared)})."
                )
            if not listens_on(declared, arrival, wanted.protocol):
                return (
                    f"Service {spec.name} sends port {wanted.port} to port {target}, "
                    f"but the containers of {owner} listen on {describe_ports(declared)}."
                )
        if wanted.target_port is not None:
            expected = find_port(declared, wanted.target_port, wanted.protocol)
            if expected is None:
                return f"{owner} declares no container port {wanted.target_port} for Service {spec.name}."
            if arrival != expected:
                return (
                    f"Service {spec.name} sends port {wanted.port} to container port {arrival}, "
                    f"but {owner} serves on {expected}."
                )
    return None


def _unreachable(spec: ServiceSpec, service: Obj, pod: Obj, endpoint: Endpoint, headless: bool) -> str | None:
    """Why this routed pod does not get a wanted port's traffic on a port it listens on."""
    declared = container_ports(pod.get("spec") or {})
    for wanted in spec.ports:
        port = _exposed(service, wanted) or {}
        found = endpoint.ports.get((str(port.get("name") or ""), wanted.protocol))
        arrival = wanted.port if headless else found
        if arrival is None:
            target = port.get("targetPort", wanted.port)
            return (
                f"pod {name_of(pod)} gets no traffic on port {wanted.port}: "
                f"it declares no container port named {target}"
            )
        if not listens_on(declared, arrival, wanted.protocol):
            return (
                f"port {wanted.port} arrives on port {arrival} of pod {name_of(pod)}, "
                f"which listens on {describe_ports(declared)}"
            )
    return None


def _names(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _service_problem(spec: ServiceSpec, service: Obj) -> str | None:
    service_spec = service.get("spec") or {}
    actual_type = service_spec.get("type") or "ClusterIP"
    if actual_type == "ExternalName":
        alias = service_spec.get("externalName") or "another DNS name"
        return (
            f"Service {spec.name} is of type ExternalName, a DNS alias for {alias}: it routes nowhere "
            f"inside the cluster, so it cannot reach the pods of {spec.workload.kind} {spec.workload.name}."
        )
    if actual_type != spec.type:
        return f"Service {spec.name} is of type {actual_type}; it should be {spec.type}."
    headless = service_spec.get("clusterIP") == "None"
    if spec.headless is True and not headless:
        return f"Service {spec.name} has a cluster IP; it should be headless (clusterIP: None)."
    if spec.headless is False and headless:
        return f"Service {spec.name} is headless (clusterIP: None); it should have a cluster IP."
    if not service_spec.get("selector"):
        return (
            f"Service {spec.name} has no selector, so Kubernetes cannot keep its endpoints "
            f"in step with the pods of {spec.workload.kind} {spec.workload.name}."
        )
    return None


@register("service", ServiceSpec)
def check_service(spec: ServiceSpec, view: View) -> Result:
    owner = f"{spec.workload.kind} {spec.workload.name}"
    service = view.get("Service", spec.name)
    if service is None:
        return Result.fail(f"There is no Service named {spec.name} yet.")
    problem = _service_problem(spec, service)
    if problem:
        return Result.fail(problem)
    service_spec = service.get("spec") or {}
    selector = service_spec.get("selector") or {}
    headless = service_spec.get("clusterIP") == "None"
    workload = view.get(spec.workload.kind, spec.workload.name)
    if workload is None:
        return Result.fail(f"There is no {owner}, so Service {spec.name} has nothing to route to.")
    problem = _check_ports(spec, service, workload, headless)
    if problem:
        return Result.fail(problem)

    pods = workload_pods(view, workload)
    ready = [pod for pod in pods if is_ready(pod)]
    if not ready:
        return Result.fail(f"{owner} has no ready pods yet, so Service {spec.name} has nothing to route to.")
    by_name = {name_of(pod): pod for pod in pods}
    by_ip = {ip: name_of(pod) for pod in pods for ip in pod_ips(pod)}

    routed: set[str] = set()
    unreachable: dict[str, str] = {}  # pod -> why its endpoint gets no usable traffic
    strangers: list[str] = []
    for endpoint in service_endpoints(view, spec.name):
        pod_name = endpoint.pod
        ours = (
            pod_name
            if pod_name in by_name
            else next((by_ip[a] for a in endpoint.addresses if a in by_ip), None)
        )
        if ours is None:
            stranger = f"pod {pod_name}" if pod_name else f"address {', '.join(endpoint.addresses) or '?'}"
            if stranger not in strangers:
                strangers.append(stranger)
        elif endpoint.ready and ours not in routed:
            why = _unreachable(spec, service, by_name[ours], endpoint, headless)
            if why is None:
                routed.add(ours)
                unreachable.pop(ours, None)
            else:
                unreachable.setdefault(ours, why)

    missing = [name_of(pod) for pod in ready if name_of(pod) not in routed]
    details = {
        "ready_pods": [name_of(pod) for pod in ready],
        "routed": sorted(routed),
        "strangers": strangers,
        "unreachable": sorted(unreachable),
        "selector": selector,
        "headless": headless,
    }
    sentences = []
    if strangers:
        which = "is" if len(strangers) == 1 else "are"
        sentences.append(
            f"Service {spec.name} routes to {_names(strangers)}, which {which} not part of {owner}."
        )
    if unreachable:
        subject = "Through it" if sentences else f"Through Service {spec.name}"
        sentences.append(f"{subject}, {_names(list(unreachable.values()))}.")
    missing = [m for m in missing if m not in unreachable]
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
    kind = f"{spec.type}, headless" if headless else spec.type
    return Result.ok(
        f"Service {spec.name} ({kind}) routes {noun} {ports} to {pods_text} of {owner}.", **details
    )
