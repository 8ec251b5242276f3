from __future__ import annotations

from typing import Any

import validators
from tests.validators.fakes import FakeView, endpoint_slice, pod, service, workload


def run(spec: dict[str, Any], view: FakeView) -> validators.Result:
    return validators.evaluate("service", spec, view)


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


def headless(svc: dict[str, Any]) -> dict[str, Any]:
    svc["spec"]["clusterIP"] = "None"
    return svc


def test_it_fails_a_headless_service_whose_port_is_not_where_the_pods_listen() -> None:
    # No cluster IP means no translation: clients resolve webapp to pod IPs and connect on port 80.
    deploy, rs, pods = workload("frontend", FRONTEND, ports=(("http", 8080),))
    svc = headless(service("frontend-service", FRONTEND, ports=({"port": 80, "targetPort": 8080},)))
    view = FakeView([deploy, rs, *pods, svc, endpoint_slice(svc, pods)])
    result = run(SPEC, view)
    assert not result.passed
    assert result.message == (
        "Service frontend-service is headless (clusterIP: None), so a client connecting to "
        "frontend-service:80 reaches the pods directly on port 80 (its targetPort 8080 is not applied), "
        "but the containers of Deployment frontend listen on 8080 (http)."
    )


def test_it_passes_a_headless_service_on_the_port_the_pods_listen_on() -> None:
    deploy, rs, pods = workload("frontend", FRONTEND, ports=(("http", 8080),))
    svc = headless(service("frontend-service", FRONTEND, ports=({"port": 8080, "targetPort": 8080},)))
    view = FakeView([deploy, rs, *pods, svc, endpoint_slice(svc, pods)])
    result = run({**SPEC, "ports": [{"port": 8080}]}, view)
    assert result.passed, result.message
    assert result.message == (
        "Service frontend-service (ClusterIP, headless) routes port 8080 to all 2 ready pods "
        "of Deployment frontend."
    )
    assert not run({**SPEC, "ports": [{"port": 8080}], "headless": False}, view).passed


def test_it_can_require_a_headless_service() -> None:
    view, _ = world()
    assert run({**SPEC, "headless": True}, view).message == (
        "Service frontend-service has a cluster IP; it should be headless (clusterIP: None)."
    )


def test_it_says_an_external_name_service_routes_nowhere_inside_the_cluster() -> None:
    deploy, rs, pods = workload("frontend", FRONTEND, ports=((None, 8080),))
    svc = service("frontend-service", None, ports=(), type="ExternalName")
    svc["spec"]["externalName"] = "frontend.example.com"
    assert run(SPEC, FakeView([deploy, rs, *pods, svc])).message == (
        "Service frontend-service is of type ExternalName, a DNS alias for frontend.example.com: "
        "it routes nowhere inside the cluster, so it cannot reach the pods of Deployment frontend."
    )


def test_it_resolves_a_named_target_port_in_each_pod_not_in_the_template() -> None:
    # A pod left from an older template has no port named http: the controller gives it no port.
    deploy, rs, pods = workload("frontend", FRONTEND, ports=(("http", 8080),))
    old = pod(
        "frontend-5d9f-9", rs["metadata"]["labels"], owned_by=rs, ip="10.0.0.40", ports=(("web", 8080),)
    )
    svc = service("frontend-service", FRONTEND, ports=({"port": 80, "targetPort": "http"},))
    slices = [endpoint_slice(svc, pods), endpoint_slice(svc, [old], name="frontend-service-old")]
    assert slices[1]["ports"] == []
    result = run(SPEC, FakeView([deploy, rs, *pods, old, svc, *slices]))
    assert result.message == (
        "Through Service frontend-service, pod frontend-5d9f-9 gets no traffic on port 80: "
        "it declares no container port named http."
    )
    assert result.details["unreachable"] == ["frontend-5d9f-9"]


def test_it_takes_the_port_from_the_endpoint_slices_not_the_service_spec() -> None:
    # The slice says where traffic arrives; a slice that disagrees with the pods is the truth.
    view, pods = world(container_ports=((None, 8080),))
    [slice_] = view.list("EndpointSlice")
    slice_["ports"] = [{"name": "", "port": 9090, "protocol": "TCP"}]
    first = pods[0]["metadata"]["name"]
    assert run(SPEC, view).message.startswith(
        f"Through Service frontend-service, port 80 arrives on port 9090 of pod {first}, "
        "which listens on 8080"
    )
