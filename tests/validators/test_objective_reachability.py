from __future__ import annotations

from typing import Any

import validators
from tests.validators.fakes import FakeView, network_policy, pod, workload


def run(spec: dict[str, Any], view: FakeView) -> validators.Result:
    return validators.evaluate("reachability", spec, view)


def frontend_to_backend(expect: str = "allowed", port: int = 5678) -> dict[str, Any]:
    return {"from": {"workload": "frontend"}, "to": {"workload": "backend"}, "port": port, "expect": expect}


def shop(*policies: dict[str, Any], backend_replicas: int = 1) -> FakeView:
    front = workload("frontend", {"app": "frontend"}, replicas=2, first_ip=10)
    back = workload(
        "backend", {"app": "backend"}, replicas=backend_replicas, ports=(("http", 5678),), first_ip=20
    )
    objects = [front[0], front[1], *front[2], back[0], back[1], *back[2], *policies]
    return FakeView(objects)


DENY_ALL = network_policy("deny-all", {}, policyTypes=["Ingress"])
ALLOW_FRONTEND = network_policy(
    "allow-frontend",
    {"matchLabels": {"app": "backend"}},
    ingress=[{"from": [{"podSelector": {"matchLabels": {"app": "frontend"}}}], "ports": [{"port": 5678}]}],
)


def test_it_passes_when_no_policy_isolates_anything() -> None:
    result = run(frontend_to_backend(), shop())
    assert result.passed
    assert result.message == (
        "Traffic from Deployment frontend to Deployment backend on TCP 5678 is allowed: "
        "no policy selects app=backend for Ingress or app=frontend for Egress."
    )
    assert result.details["pairs"] == 2


def test_it_fails_and_names_the_blocking_policy() -> None:
    result = run(frontend_to_backend(), shop(DENY_ALL))
    assert not result.passed
    assert result.message.startswith(
        "Traffic from Deployment frontend to Deployment backend on TCP 5678 is blocked (pod "
    )
    assert result.message.endswith(
        "): policy `deny-all` selects app=backend for Ingress and no policy admits app=frontend on TCP 5678."
    )
    assert result.details["policies"] == ["deny-all"]
    assert result.details["decision"].startswith("blocked: policy `deny-all` selects app=backend for Ingress")


def test_it_passes_when_a_policy_beside_the_deny_admits_the_traffic() -> None:
    result = run(frontend_to_backend(), shop(DENY_ALL, ALLOW_FRONTEND))
    assert result.passed
    assert (
        "policy `allow-frontend` admits app=frontend into app=backend on TCP 5678 (ingress)" in result.message
    )


def test_it_passes_a_blocked_expectation_when_blocked() -> None:
    spec = {
        "from": {"labelSelector": {"app": "reporting"}},
        "to": {"workload": "backend"},
        "port": 5678,
        "expect": "blocked",
    }
    view = shop(DENY_ALL, ALLOW_FRONTEND)
    view.add(pod("reporting-0", {"app": "reporting"}, ip="10.0.0.40"))
    result = run(spec, view)
    assert result.passed
    assert result.message == (
        "Traffic from pods matching app=reporting to Deployment backend on TCP 5678 is blocked, "
        "as it should be: policies `allow-frontend`, `deny-all` select app=backend for Ingress "
        "and no policy admits app=reporting "
        "on TCP 5678."
    )


def test_it_fails_a_blocked_expectation_when_an_allow_all_policy_lets_traffic_in() -> None:
    spec = {
        "from": {"labelSelector": {"app": "reporting"}},
        "to": {"workload": "backend"},
        "port": 5678,
        "expect": "blocked",
    }
    allow_all = network_policy("allow-everything", {}, ingress=[{}])
    view = shop(DENY_ALL, allow_all)
    view.add(pod("reporting-0", {"app": "reporting"}, ip="10.0.0.40"))
    result = run(spec, view)
    assert not result.passed
    assert (
        "is still allowed (pod reporting-0 to pod backend-5d9f-0): policy `allow-everything` admits"
        in result.message
    )


def test_it_reports_the_first_pod_pair_that_differs() -> None:
    # Only v1 backends are admitted: a partial outage.
    v1_only = network_policy(
        "allow-v1",
        {"matchLabels": {"app": "backend", "version": "v1"}},
        ingress=[{"from": [{"podSelector": {"matchLabels": {"app": "frontend"}}}]}],
    )
    view = shop(DENY_ALL, v1_only, backend_replicas=2)
    backends = [o for o in view.objects if o["kind"] == "Pod" and o["metadata"]["labels"]["app"] == "backend"]
    backends[0]["metadata"]["labels"]["version"] = "v1"
    backends[1]["metadata"]["labels"]["version"] = "v2"
    result = run(frontend_to_backend(), view)
    assert not result.passed
    assert result.details["destination"] == backends[1]["metadata"]["name"]


def test_it_uses_the_namespace_labels_for_namespace_selectors() -> None:
    from_team = network_policy(
        "from-team", {}, ingress=[{"from": [{"namespaceSelector": {"matchLabels": {"team": "shop"}}}]}]
    )
    view = shop(from_team)
    assert not run(frontend_to_backend(), view).passed
    view._namespace_labels["team"] = "shop"
    assert run(frontend_to_backend(), view).passed


def test_it_only_counts_pods_the_workload_owns() -> None:
    # A bare pod carrying the frontend's labels is not a frontend pod: it cannot stand in for one.
    view = shop(DENY_ALL, ALLOW_FRONTEND)
    view.add(pod("frontend-fake", {"app": "frontend"}, ip="10.0.0.99"))
    result = run(frontend_to_backend(), view)
    assert result.details["pairs"] == 2


def test_it_fails_when_a_workload_does_not_exist() -> None:
    assert run(frontend_to_backend(), FakeView()).message == "There is no Deployment frontend yet."


def test_it_fails_when_a_workload_has_no_pods() -> None:
    view = shop()
    view.objects = [
        o for o in view.objects if not (o["kind"] == "Pod" and o["metadata"]["labels"]["app"] == "backend")
    ]
    assert run(frontend_to_backend(), view).message == "Deployment backend has no pods yet."


def test_it_fails_when_no_pod_matches_a_selector() -> None:
    spec = {
        "from": {"labelSelector": {"app": "nobody"}},
        "to": {"workload": "backend"},
        "port": 80,
        "expect": "blocked",
    }
    assert run(spec, shop()).message == "No pod matches app=nobody yet."


def test_it_ignores_finished_pods() -> None:
    view = shop(DENY_ALL, ALLOW_FRONTEND)
    done = pod("reporting-0", {"app": "reporting"}, ip="10.0.0.40", phase="Succeeded")
    view.add(done)
    spec = {
        "from": {"labelSelector": {"app": "reporting"}},
        "to": {"workload": "backend"},
        "port": 5678,
        "expect": "blocked",
    }
    assert run(spec, view).message == "No pod matches app=reporting yet."


def test_it_rejects_a_peer_with_both_workload_and_selector() -> None:
    import pytest

    with pytest.raises(validators.SpecInvalid, match="from: give exactly one of workload and labelSelector"):
        validators.validate_spec(
            "reachability",
            {
                "from": {"workload": "a", "labelSelector": {"a": "b"}},
                "to": {"workload": "b"},
                "port": 80,
                "expect": "allowed",
            },
        )


FRONTEND_IN_NOBODY_ELSE = {
    "checks": [
        {"from": {"workload": "frontend"}, "to": {"workload": "backend"}, "port": 5678, "expect": "allowed"},
        {
            "from": {"labelSelector": {"app": "reporting"}},
            "to": {"workload": "backend"},
            "port": 5678,
            "expect": "blocked",
        },
    ]
}


def with_reporting(*policies: dict[str, Any]) -> FakeView:
    view = shop(*policies)
    view.add(pod("reporting-0", {"app": "reporting"}, ip="10.0.0.40"))
    return view


def test_it_passes_several_paths_when_every_one_holds() -> None:
    result = run(FRONTEND_IN_NOBODY_ELSE, with_reporting(DENY_ALL, ALLOW_FRONTEND))
    assert result.passed
    assert result.message.startswith(
        "Traffic from Deployment frontend to Deployment backend on TCP 5678 is allowed"
    )
    assert (
        "Traffic from pods matching app=reporting to Deployment backend on TCP 5678 is blocked"
        in result.message
    )
    assert len(result.details["paths"]) == 2


def test_it_fails_several_paths_before_the_fix() -> None:
    result = run(FRONTEND_IN_NOBODY_ELSE, with_reporting(DENY_ALL))
    assert not result.passed
    assert result.message.startswith(
        "Traffic from Deployment frontend to Deployment backend on TCP 5678 is blocked"
    )


def test_it_fails_several_paths_on_the_allow_all_shortcut() -> None:
    allow_all = network_policy("allow-everything", {}, ingress=[{}])
    result = run(FRONTEND_IN_NOBODY_ELSE, with_reporting(DENY_ALL, allow_all))
    assert not result.passed
    assert result.message.startswith(
        "Traffic from pods matching app=reporting to Deployment backend on TCP 5678 is still allowed"
    )


def test_it_names_the_path_of_an_invalid_check() -> None:
    import pytest

    spec = {"checks": [{**FRONTEND_IN_NOBODY_ELSE["checks"][0], "expect": "maybe"}]}
    with pytest.raises(
        validators.SpecInvalid, match=r"checks\[0\]\.expect: Input should be 'allowed' or 'blocked'"
    ):
        validators.validate_spec("reachability", spec)
