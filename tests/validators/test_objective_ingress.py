from __future__ import annotations

from typing import Any

import pytest

import validators
from tests.validators.fakes import FakeView, endpoint_slice, meta, service, workload
from validators import SpecInvalid


def run(spec: dict[str, Any], view: FakeView) -> validators.Result:
    return validators.evaluate("ingress", spec, view)


def path(p: str, svc: str, port: int | str, kind: str = "Prefix") -> dict[str, Any]:
    key = "number" if isinstance(port, int) else "name"
    return {"path": p, "pathType": kind, "backend": {"service": {"name": svc, "port": {key: port}}}}


def ingress(rules: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": meta("shop"),
        "spec": {"ingressClassName": "nginx", "rules": rules, **spec},
    }


def backend(name: str, *, ready: bool = True, first_ip: int = 10) -> list[dict[str, Any]]:
    deploy, rs, pods = workload(name, {"app": name}, ready=ready, ports=(("http", 8080),), first_ip=first_ip)
    svc = service(name, {"app": name}, ports=({"name": "http", "port": 80, "targetPort": "http"},))
    return [deploy, rs, *pods, svc, endpoint_slice(svc, pods)]


RULES = [
    {
        "host": "shop.example.com",
        "http": {"paths": [path("/", "web", 80), path("/api", "api", "http")]},
    }
]
API = {"name": "shop", "host": "shop.example.com", "path": "/api/orders", "service": "api", "port": 80}


def world(rules: list[dict[str, Any]] = RULES, *, api_ready: bool = True, **spec: Any) -> FakeView:
    return FakeView([ingress(rules, **spec), *backend("web"), *backend("api", ready=api_ready, first_ip=30)])


def test_it_passes_when_the_path_reaches_a_service_with_ready_endpoints() -> None:
    result = run(API, world())
    assert result.passed, result.message
    assert result.message == (
        "Ingress shop routes shop.example.com/api/orders to Service api port 80, which has 2 ready endpoints."
    )


def test_the_longest_prefix_wins_and_prefixes_match_whole_elements() -> None:
    view = world()
    assert run({**API, "path": "/apis"}, view).message == (
        "Ingress shop sends shop.example.com/apis to Service web, not api."
    )
    assert run({**API, "path": "/", "service": "web"}, view).passed


def test_exact_paths_match_only_themselves() -> None:
    rules = [{"host": "shop.example.com", "http": {"paths": [path("/api", "api", 80, kind="Exact")]}}]
    view = world(rules)
    assert run({**API, "path": "/api"}, view).passed
    assert run(API, view).message == (
        "Ingress shop has no rule for shop.example.com/api/orders and no default backend, "
        "so the request gets 404."
    )


def test_it_fails_the_wrong_service() -> None:
    rules = [{"host": "shop.example.com", "http": {"paths": [path("/api", "web", 80)]}}]
    assert run(API, world(rules)).message == (
        "Ingress shop sends shop.example.com/api/orders to Service web, not api."
    )


def test_it_fails_a_port_the_service_does_not_expose() -> None:
    rules = [{"host": "shop.example.com", "http": {"paths": [path("/api", "api", 8080)]}}]
    assert run(API, world(rules)).message == (
        "Ingress shop sends shop.example.com/api/orders to port 8080 of Service api, which exposes 80 (http)."
    )


def test_it_fails_a_service_without_ready_endpoints() -> None:
    assert run(API, world(api_ready=False)).message == (
        "Ingress shop sends shop.example.com/api/orders to Service api port 80, "
        "which has no ready endpoints, so the request gets 503."
    )


def test_a_wildcard_host_stands_for_one_label_and_an_exact_host_wins() -> None:
    rules = [
        {"host": "*.example.com", "http": {"paths": [path("/", "web", 80)]}},
        {"host": "api.example.com", "http": {"paths": [path("/", "api", 80)]}},
    ]
    view = world(rules)
    assert run({"name": "shop", "host": "api.example.com", "service": "api", "port": 80}, view).passed
    assert run({"name": "shop", "host": "www.example.com", "service": "web", "port": 80}, view).passed
    assert (
        "gets 404"
        in run({"name": "shop", "host": "a.b.example.com", "service": "web", "port": 80}, view).message
    )


def test_the_default_backend_serves_what_no_rule_matches() -> None:
    view = world(RULES, defaultBackend={"service": {"name": "web", "port": {"number": 80}}})
    assert run({"name": "shop", "host": "other.example.com", "service": "web", "port": 80}, view).passed


def test_it_checks_the_ingress_class() -> None:
    spec = {**API, "ingressClassName": "traefik"}
    assert run(spec, world()).message == (
        "Ingress shop asks for class nginx; it should ask for traefik, or no controller serves it."
    )


def test_several_routes_must_all_hold() -> None:
    spec = {
        "name": "shop",
        "routes": [
            {"host": "shop.example.com", "path": "/", "service": "web", "port": "http"},
            {"host": "shop.example.com", "path": "/api", "service": "api", "port": 80},
        ],
    }
    result = run(spec, world())
    assert result.passed, result.message
    assert result.message.count("Ingress shop routes") == 2


def test_it_rejects_a_relative_path() -> None:
    with pytest.raises(SpecInvalid, match="must start with /"):
        validators.validate_spec("ingress", {**API, "path": "api"})


def test_it_fails_a_missing_ingress() -> None:
    assert run(API, FakeView()).message == "There is no Ingress named shop yet."


def test_a_host_rule_owns_its_host_even_for_paths_it_lacks() -> None:
    rules: list[dict[str, Any]] = [
        {"host": "shop.example.com", "http": {"paths": [path("/", "web", 80, kind="Exact")]}},
        {"http": {"paths": [path("/api", "api", 80)]}},
    ]
    view = world(rules)
    assert "gets 404" in run(API, view).message
    assert run({**API, "host": "other.example.com"}, view).passed
