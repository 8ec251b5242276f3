"""`ingress`: a request for host H and path P reaches Service S on port N, which has ready endpoints.

Routing follows the Ingress API: a rule whose host equals the request's host wins over
a wildcard rule (`*.example.com` stands for one label), which wins over rules without
a host, and only the winning host's paths are considered; among them the longest match
wins, Exact before Prefix; a Prefix path matches whole path elements (`/api` matches `/api/v1`, not
`/apis`); ImplementationSpecific is read as Prefix; with no match the defaultBackend
serves. The backend's port must be a port of the Service (by number or name), and
the Service's EndpointSlices must list a ready endpoint for that port, or the
controller has nowhere to send the request.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from validators import certs
from validators.endpoints import service_endpoints
from validators.registry import register
from validators.result import Result
from validators.spec import Spec
from validators.view import View

Obj = dict[str, Any]


class Route(Spec):
    """`host` (omit for a request no host rule catches), `path` (default /), and where it must
    go: `service` and `port` (the Service's port number or name)."""

    host: str | None = None
    path: str = "/"
    service: str = Field(min_length=1)
    port: int | str

    @field_validator("path")
    @classmethod
    def _absolute(cls, path: str) -> str:
        if not path.startswith("/"):
            raise ValueError(f"path {path!r} must start with /")
        return path

    def describe(self) -> str:
        return f"{self.host or '*'}{self.path}"


class IngressSpec(Spec):
    """`name`: the Ingress; `ingressClassName`: the class it must ask for (optional); one route
    (`host`, `path`, `service`, `port`) inline, or several under `routes`."""

    name: str = Field(min_length=1)
    ingress_class_name: str | None = None
    routes: list[Route] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _single_route(cls, data: Any) -> Any:
        if isinstance(data, dict) and "routes" not in data:
            route_keys = {"host", "path", "service", "port"}
            return {
                **{k: v for k, v in data.items() if k not in route_keys},
                "routes": [{k: v for k, v in data.items() if k in route_keys}],
            }
        return data


def _elements(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


def _match(rule_path: Obj, request: str) -> tuple[int, int] | None:
    """How well one Ingress path matches the request path: (length, exactness) or None."""
    path = str(rule_path.get("path") or "/")
    kind = rule_path.get("pathType") or "ImplementationSpecific"
    if kind == "Exact":
        return (len(path), 1) if path == request else None
    wanted, asked = _elements(path), _elements(request)
    if asked[: len(wanted)] == wanted:
        return (len("/".join(wanted)), 0)
    return None


def _host_rank(rule_host: str | None, host: str | None) -> int | None:
    if not rule_host:
        return 0
    if host is None:
        return None
    if rule_host.lower() == host.lower():
        return 2
    if rule_host.startswith("*.") and certs.covers(rule_host, host):
        return 1
    return None


def backend_for(ingress: Obj, host: str | None, path: str) -> Obj | None:
    """The backend the Ingress picks for a request, or None when it answers 404."""
    spec = ingress.get("spec") or {}
    ranked = [
        (rank, rule)
        for rule in spec.get("rules") or []
        if (rank := _host_rank(rule.get("host"), host)) is not None
    ]
    if ranked:
        # The best-matching host owns the request: its paths or nothing (controllers build one
        # server per host; a path it lacks goes to the default backend, not to other hosts' rules).
        top = max(rank for rank, _ in ranked)
        best: tuple[tuple[int, int], Obj] | None = None
        for rank, rule in ranked:
            if rank != top:
                continue
            for rule_path in (rule.get("http") or {}).get("paths") or []:
                score = _match(rule_path, path)
                if score is not None and (best is None or score > best[0]):
                    best = (score, rule_path.get("backend") or {})
        if best is not None:
            return best[1]
    default = spec.get("defaultBackend")
    return dict(default) if default else None


def _service_port(service: Obj, port: int | str) -> Obj | None:
    for candidate in (service.get("spec") or {}).get("ports") or []:
        if (isinstance(port, int) and candidate.get("port") == port) or (
            isinstance(port, str) and candidate.get("name") == port
        ):
            return dict(candidate)
    return None


def _ports(service: Obj) -> str:
    shown = [
        f"{p.get('port')}" + (f" ({p['name']})" if p.get("name") else "")
        for p in (service.get("spec") or {}).get("ports") or []
    ]
    return ", ".join(shown) or "no ports"


def _check_route(spec: IngressSpec, route: Route, ingress: Obj, view: View) -> Result:
    request = route.describe()
    backend = backend_for(ingress, route.host, route.path)
    if backend is None:
        return Result.fail(
            f"Ingress {spec.name} has no rule for {request} and no default backend, so the request gets 404."
        )
    target = backend.get("service")
    if not target:
        return Result.fail(f"Ingress {spec.name} sends {request} to a resource backend, not to a Service.")
    service_name = str(target.get("name") or "")
    port_ref = target.get("port") or {}
    number = port_ref.get("number")
    port: int | str = int(number) if isinstance(number, int) else str(port_ref.get("name") or "")
    if service_name != route.service:
        return Result.fail(
            f"Ingress {spec.name} sends {request} to Service {service_name}, not {route.service}."
        )
    service = view.get("Service", service_name)
    if service is None:
        return Result.fail(
            f"Ingress {spec.name} sends {request} to Service {service_name}, which does not exist."
        )
    if (service.get("spec") or {}).get("type") == "ExternalName":
        return Result.fail(
            f"Service {service_name} is an ExternalName alias: it has no endpoints inside the cluster."
        )
    used = _service_port(service, port)
    if used is None:
        return Result.fail(
            f"Ingress {spec.name} sends {request} to port {port} of Service {service_name}, "
            f"which exposes {_ports(service)}."
        )
    wanted = _service_port(service, route.port)
    if wanted is None or wanted.get("port") != used.get("port"):
        return Result.fail(
            f"Ingress {spec.name} sends {request} to port {used.get('port')} of Service {service_name}, "
            f"not to port {route.port}."
        )
    key = (str(used.get("name") or ""), str(used.get("protocol") or "TCP"))
    endpoints = [e for e in service_endpoints(view, service_name) if e.ready and key in e.ports]
    if not endpoints:
        return Result.fail(
            f"Ingress {spec.name} sends {request} to Service {service_name} port {used.get('port')}, "
            "which has no ready endpoints, so the request gets 503.",
            service=service_name,
        )
    count = f"{len(endpoints)} ready endpoint" + ("" if len(endpoints) == 1 else "s")
    return Result.ok(
        f"Ingress {spec.name} routes {request} to Service {service_name} port {used.get('port')}, "
        f"which has {count}.",
        service=service_name,
        endpoints=len(endpoints),
    )


def _class(ingress: Obj) -> str | None:
    annotations = (ingress.get("metadata") or {}).get("annotations") or {}
    return (ingress.get("spec") or {}).get("ingressClassName") or annotations.get(
        "kubernetes.io/ingress.class"
    )


@register("ingress", IngressSpec)
def check_ingress(spec: IngressSpec, view: View) -> Result:
    ingress = view.get("Ingress", spec.name)
    if ingress is None:
        return Result.fail(f"There is no Ingress named {spec.name} yet.")
    if spec.ingress_class_name and _class(ingress) != spec.ingress_class_name:
        return Result.fail(
            f"Ingress {spec.name} asks for class {_class(ingress) or '(none)'}; it should ask for "
            f"{spec.ingress_class_name}, or no controller serves it."
        )
    results = [_check_route(spec, route, ingress, view) for route in spec.routes]
    failed = next((result for result in results if not result.passed), None)
    if failed is not None:
        return failed
    if len(results) == 1:
        return results[0]
    return Result.ok(" ".join(r.message for r in results), routes=[r.details for r in results])
