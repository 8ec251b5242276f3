from __future__ import annotations

from typing import Any

import validators
from tests.validators.fakes import FakeView, endpoint_slice, pod, service, workload


def run(spec: dict[str, Any], view: FakeView) -> validators.Result:
    return validators.evaluate("service", spec, view)  # type: ignore[arg-type]


SPEC = {
    "name": "frontend-service",
    "workload": {"kind": "Deployment", "name": "frontend"},
    "ports": [{"port": 80, "targetPort": 8080}],
}
FRONTEND = {"app": "frontend"}


def world(
    *,
    selector: dict[str, str] | None = FRONTEND,
    svc_ports: Any = ({"port": 80, "targetPort": 8080},),
    type: str = "ClusterIP",
    container_ports: Any = ((None, 8080),),
    routed: Any = None,
    extra: Any = (),
) -> tuple[FakeView, list[dict[str, Any]]]:
    deploy, rs, pods = workload("frontend", FRONTEND, ports=container_ports)
    svc = service("frontend-service", selector, ports=svc_ports, type=type)
    slice_pods = pods if routed is None else routed(pods)
    return FakeView([deploy, rs, *pods, svc, endpoint_slice(svc, slice_pods), *extra]), pods


def test_it_passes_when_the_service_routes_to_every_ready_pod() -> None:
    view, _ = world()
    result = run(SPEC, view)
    assert result.passed, result.message
    assert (
        result.message
        == "Service frontend-service (ClusterIP) routes port 80 to all 2 ready pods of Deployment frontend."
    )


def test_it_fails_when_the_service_does_not_exist() -> None:
    deploy, rs, pods = workload("frontend", FRONTEND)
    assert (
        run(SPEC, FakeView([deploy, rs, *pods])).message == "There is no Service named frontend-service yet."
    )


def test_it_fails_on_the_wrong_type() -> None:
    view, _ = world(type="NodePort")
    assert run(SPEC, view).message == "Service frontend-service is of type NodePort; it should be ClusterIP."


def test_it_fails_without_a_selector_even_with_hand_made_endpoints() -> None:
    view, _ = world(selector=None)
    assert run(SPEC, view).message == (
        "Service frontend-service has no selector, so Kubernetes cannot keep its endpoints "
        "in step with the pods of Deployment frontend."
    )


def test_it_fails_when_the_port_is_not_exposed() -> None:
    view, _ = world(svc_ports=({"port": 8080, "targetPort": 8080},))
    assert (
        run(SPEC, view).message
        == "Service frontend-service does not expose port 80/TCP (it exposes 8080/TCP)."
    )


def test_it_fails_when_the_target_port_is_not_a_container_port() -> None:
    view, _ = world(svc_ports=({"port": 80, "targetPort": 80},))
    assert run(SPEC, view).message == (
        "Service frontend-service sends port 80 to port 80, "
        "but the containers of Deployment frontend listen on 8080."
    )


def test_it_resolves_a_named_target_port() -> None:
    view, _ = world(svc_ports=({"port": 80, "targetPort": "http"},), container_ports=(("http", 8080),))
    assert run(SPEC, view).passed


def test_it_accepts_an_expected_port_given_by_name() -> None:
    view, _ = world(container_ports=(("http", 8080),))
    spec = {**SPEC, "ports": [{"port": 80, "targetPort": "http"}]}
    assert run(spec, view).passed


def test_it_fails_on_a_named_target_port_nobody_declares() -> None:
    view, _ = world(svc_ports=({"port": 80, "targetPort": "web"},), container_ports=(("http", 8080),))
    assert run(SPEC, view).message == (
        "Service frontend-service sends port 80 to the port named web, which no container of "
        "Deployment frontend declares (they declare 8080 (http))."
    )


def test_it_fails_when_the_target_port_reaches_another_container_port() -> None:
    view, _ = world(
        svc_ports=({"port": 80, "targetPort": 9090},), container_ports=((None, 8080), ("metrics", 9090))
    )
    assert run(SPEC, view).message == (
        "Service frontend-service sends port 80 to container port 9090, "
        "but Deployment frontend serves on 8080."
    )


def test_it_explains_a_selector_that_matches_no_pod() -> None:
    view, _ = world(selector={"app": "front-end"}, routed=lambda pods: [])
    assert run(SPEC, view).message == (
        "Service frontend-service does not route to any of the 2 ready pods of Deployment frontend: "
        "its selector app=front-end matches none of them."
    )


def test_it_fails_when_a_bare_pod_impersonates_the_workload() -> None:
    impostor = pod("frontend-fake", FRONTEND, ip="10.0.0.99")
    view, _ = world(routed=lambda pods: [*pods, impostor], extra=[impostor])
    result = run(SPEC, view)
    assert result.message == (
        "Service frontend-service routes to pod frontend-fake, which is not part of Deployment frontend."
    )
    assert result.details["strangers"] == ["pod frontend-fake"]


def test_it_reports_both_a_stranger_and_the_missing_pods() -> None:
    impostor = pod("front-end", {"app": "front-end"}, ip="10.0.0.99")
    view, _ = world(selector={"app": "front-end"}, routed=lambda pods: [impostor], extra=[impostor])
    assert run(SPEC, view).message == (
        "Service frontend-service routes to pod front-end, which is not part of Deployment frontend. "
        "It does not route to any of the 2 ready pods of Deployment frontend: "
        "its selector app=front-end matches none of them."
    )


def test_it_fails_when_another_workloads_pods_are_in_the_endpoints() -> None:
    other_deploy, other_rs, other_pods = workload(
        "admin", {"app": "admin", "tier": "web"}, replicas=1, first_ip=50
    )
    view, _ = world(routed=lambda pods: [*pods, *other_pods], extra=[other_deploy, other_rs, *other_pods])
    assert run(SPEC, view).message == (
        "Service frontend-service routes to pod admin-5d9f-0, which is not part of Deployment frontend."
    )


def test_it_fails_when_a_ready_pod_is_missing_from_the_endpoints() -> None:
    view, pods = world(routed=lambda pods: pods[:1])
    assert run(SPEC, view).message == (
        f"Service frontend-service does not route to pod {pods[1]['metadata']['name']} "
        "of Deployment frontend."
    )


def test_it_fails_while_the_workload_has_no_ready_pods() -> None:
    deploy, rs, pods = workload("frontend", FRONTEND, ready=False, ports=((None, 8080),))
    svc = service("frontend-service", FRONTEND, ports=({"port": 80, "targetPort": 8080},))
    view = FakeView([deploy, rs, *pods, svc, endpoint_slice(svc, pods)])
    assert run(SPEC, view).message == (
        "Deployment frontend has no ready pods yet, so Service frontend-service has nothing to route to."
    )


def test_it_matches_endpoints_by_address_when_they_carry_no_pod_reference() -> None:
    deploy, rs, pods = workload("frontend", FRONTEND, ports=((None, 8080),))
    svc = service("frontend-service", FRONTEND, ports=({"port": 80, "targetPort": 8080},))
    view = FakeView([deploy, rs, *pods, svc, endpoint_slice(svc, pods, with_refs=False)])
    assert run(SPEC, view).passed


def test_it_does_not_count_a_labelled_pod_the_workload_does_not_own() -> None:
    # Same labels, so the Deployment's selector matches it, but no ReplicaSet of the Deployment owns it.
    impostor = pod("frontend-fake", {**FRONTEND, "pod-template-hash": "5d9f"}, ip="10.0.0.99")
    view, _ = world(routed=lambda pods: [*pods, impostor], extra=[impostor])
    assert not run(SPEC, view).passed


def test_it_accepts_not_ready_workload_pods_in_the_endpoints() -> None:
    deploy, rs, pods = workload("frontend", FRONTEND, ports=((None, 8080),))
    starting = pod("frontend-5d9f-9", rs["metadata"]["labels"], ready=False, owned_by=rs, ip="10.0.0.30")
    svc = service("frontend-service", FRONTEND, ports=({"port": 80, "targetPort": 8080},))
    view = FakeView([deploy, rs, *pods, starting, svc, endpoint_slice(svc, [*pods, starting])])
    assert run(SPEC, view).passed


def test_it_fails_when_the_workload_does_not_exist() -> None:
    svc = service("frontend-service", FRONTEND, ports=({"port": 80, "targetPort": 8080},))
    assert run(SPEC, FakeView([svc])).message == (
        "There is no Deployment frontend, so Service frontend-service has nothing to route to."
    )
