"""Where a Service's traffic really goes: its EndpointSlices, and the ports the pods receive it on.

The EndpointSlice controller writes, for every pod a Service selects, the port each
Service port translates to *for that pod* (a named targetPort is looked up in that
pod's own containers; a pod without the name gets no port). kube-proxy routes from
those slices only, to endpoints that are ready. So the slices, not the Service spec,
are the truth for "which pods get traffic on which port".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from validators.view import View

Obj = dict[str, Any]


@dataclass(frozen=True)
class Endpoint:
    pod: str | None  # from targetRef; None for endpoints that name no pod
    addresses: tuple[str, ...]
    ready: bool
    # (service port name, protocol) -> the port number traffic arrives on at this endpoint
    ports: dict[tuple[str, str], int] = field(default_factory=dict)


def service_endpoints(view: View, service: str) -> list[Endpoint]:
    """Every endpoint of every EndpointSlice of the Service (FQDN slices route nowhere in-cluster)."""
    found = []
    for endpoint_slice in view.list("EndpointSlice", {"kubernetes.io/service-name": service}):
        if endpoint_slice.get("addressType") == "FQDN":
            continue
        ports = {
            (str(p.get("name") or ""), str(p.get("protocol") or "TCP")): int(p["port"])
            for p in endpoint_slice.get("ports") or []
            if isinstance(p.get("port"), int)
        }
        for endpoint in endpoint_slice.get("endpoints") or []:
            ref = endpoint.get("targetRef") or {}
            # The API says a missing `ready` means ready.
            ready = (endpoint.get("conditions") or {}).get("ready") is not False
            found.append(
                Endpoint(
                    pod=ref.get("name") if ref.get("kind") == "Pod" else None,
                    addresses=tuple(endpoint.get("addresses") or ()),
                    ready=ready,
                    ports=dict(ports),
                )
            )
    return found


def container_ports(pod_spec: Obj) -> list[Obj]:
    """The ports declared by the containers of a pod (or a pod template's) spec."""
    return [port for container in pod_spec.get("containers") or [] for port in container.get("ports") or []]


def find_port(declared: list[Obj], target: int | str, protocol: str) -> int | None:
    """What the EndpointSlice controller does with a targetPort for one pod (podutil.FindPort).

    A name is looked up among the pod's container ports of that protocol; a number is
    taken as it is, whatever the containers declare (declared ports are informational).
    """
    if isinstance(target, int):
        return target
    for port in declared:
        if port.get("name") == target and (port.get("protocol") or "TCP") == protocol:
            return int(port["containerPort"])
    return None


def listens_on(declared: list[Obj], port: int, protocol: str) -> bool:
    """Whether a port is one the containers declare; with nothing declared, any port is taken at its word."""
    candidates = [p for p in declared if (p.get("protocol") or "TCP") == protocol]
    return not candidates or any(int(p.get("containerPort", 0)) == port for p in candidates)


def describe_ports(declared: list[Obj]) -> str:
    shown = [f"{p['containerPort']}" + (f" ({p['name']})" if p.get("name") else "") for p in declared]
    return ", ".join(shown) if shown else "no declared ports"


def pod_ips(pod: Obj) -> set[str]:
    status = pod.get("status") or {}
    ips = {entry.get("ip") for entry in status.get("podIPs") or []}
    ips.add(status.get("podIP"))
    return {ip for ip in ips if ip}
