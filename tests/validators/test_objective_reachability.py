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

    with pytest.raises(
        validators.SpecInvalid, match="from: give exactly one of workload, labelSelector, labels and address"
    ):
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


# --- peers described by labels in another namespace, and addresses outside the cluster ----------

DNS = {"namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}}
DENY_EGRESS = network_policy("default-deny-egress", {}, policyTypes=["Egress"])


def dns_rule(ports: list[dict[str, Any]] | None = None, **peer: Any) -> dict[str, Any]:
    to = peer or {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
    }
    return {
        "to": [to],
        "ports": ports
        if ports is not None
        else [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    }


def allow_dns(*rules: dict[str, Any]) -> dict[str, Any]:
    return network_policy("allow-dns", {}, policyTypes=["Egress"], egress=list(rules) or [dns_rule()])


def to_dns(protocol: str = "UDP", expect: str = "allowed", **peer: Any) -> dict[str, Any]:
    return {
        "from": {"workload": "frontend"},
        "to": peer or DNS,
        "port": 53,
        "protocol": protocol,
        "expect": expect,
    }


def test_a_path_to_a_described_pod_elsewhere_is_judged_by_this_namespaces_egress() -> None:
    result = run(to_dns(), shop(DENY_EGRESS))
    assert not result.passed
    assert result.message.startswith(
        "Traffic from Deployment frontend to pods labelled k8s-app=kube-dns in namespace kube-system "
        "on UDP 53 is blocked (pod "
    )
    assert result.message.endswith(
        "to a pod labelled k8s-app=kube-dns in namespace kube-system): policy `default-deny-egress` "
        "selects app=frontend for Egress and no policy lets it reach k8s-app=kube-dns in namespace "
        "kube-system on UDP 53."
    )


def test_a_dns_rule_admits_both_protocols_and_the_message_leaves_the_other_namespace_out() -> None:
    view = shop(DENY_EGRESS, allow_dns())
    for protocol in ("UDP", "TCP"):
        result = run(to_dns(protocol), view)
        assert result.passed, result.message
        assert "Ingress" not in result.message
        assert (
            "policy `allow-dns` lets app=frontend reach k8s-app=kube-dns in namespace kube-system "
            f"on {protocol} 53" in result.message
        )


def test_the_other_namespaces_labels_are_read_from_the_api() -> None:
    by_team = dns_rule(
        namespaceSelector={"matchLabels": {"team": "platform"}},
        podSelector={"matchLabels": {"k8s-app": "kube-dns"}},
    )
    view = shop(DENY_EGRESS, allow_dns(by_team))
    assert not run(to_dns(), view).passed  # kube-system unreadable: only its automatic name label
    view.other_namespaces["kube-system"] = {"kubernetes.io/metadata.name": "kube-system", "team": "platform"}
    assert run(to_dns(), view).passed


def test_a_rule_for_every_pod_of_kube_system_also_admits_pods_that_are_not_dns() -> None:
    whole_namespace = dns_rule(
        namespaceSelector={"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}
    )
    view = shop(DENY_EGRESS, allow_dns(whole_namespace))
    other: dict[str, Any] = {"namespace": "kube-system", "labels": {"k8s-app": "metrics-server"}}
    result = run(to_dns(expect="blocked", **other), view)
    assert not result.passed
    assert "is still allowed" in result.message


def test_an_address_outside_the_cluster_is_named_only_by_an_ip_block() -> None:
    outside = {"address": "203.0.113.10"}
    every_namespace = network_policy(
        "to-every-namespace", {}, policyTypes=["Egress"], egress=[{"to": [{"namespaceSelector": {}}]}]
    )
    view = shop(DENY_EGRESS, every_namespace)
    spec = {"from": {"workload": "frontend"}, "to": outside, "port": 443, "expect": "blocked"}
    result = run(spec, view)
    assert result.passed, result.message
    assert result.message.startswith(
        "Traffic from Deployment frontend to address 203.0.113.10 on TCP 443 is blocked"
    )
    anywhere = network_policy(
        "to-anywhere", {}, policyTypes=["Egress"], egress=[{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]
    )
    result = run(spec, shop(DENY_EGRESS, anywhere))
    assert not result.passed
    assert "(pod frontend-" in result.message and "to address 203.0.113.10)" in result.message
    assert "policy `to-anywhere` lets app=frontend reach 203.0.113.10 on TCP 443" in result.message


def test_an_ip_block_of_every_address_covers_a_pod_whose_address_is_unknown() -> None:
    rule = dns_rule(ipBlock={"cidr": "0.0.0.0/0"})
    assert run(to_dns(), shop(DENY_EGRESS, allow_dns(rule))).passed
    partial = dns_rule(ipBlock={"cidr": "10.0.0.0/8"})
    assert not run(to_dns(), shop(DENY_EGRESS, allow_dns(partial))).passed
    excepted = dns_rule(ipBlock={"cidr": "0.0.0.0/0", "except": ["10.96.0.0/12"]})
    assert not run(to_dns(), shop(DENY_EGRESS, allow_dns(excepted))).passed


def test_a_described_pod_of_this_namespace_is_judged_both_ways() -> None:
    deny_ingress = network_policy("deny-ingress", {}, policyTypes=["Ingress"])
    spec = {
        "from": {"workload": "frontend"},
        "to": {"labels": {"app": "cache"}},
        "port": 6379,
        "expect": "allowed",
    }
    result = run(spec, shop(deny_ingress))
    assert not result.passed
    assert "policy `deny-ingress` selects app=cache for Ingress" in result.message


def test_a_path_with_neither_end_in_this_namespace_cannot_be_judged() -> None:
    spec = {
        "from": {"address": "198.51.100.7"},
        "to": DNS,
        "port": 53,
        "protocol": "UDP",
        "expect": "blocked",
    }
    result = validators.run_check(
        [validators.Objective("k", "t", "reachability", spec, "DNS must stay private.")],
        shop(),
    )[0]
    assert not result.passed
    assert "whose NetworkPolicies are the only ones these checks read" in result.message


def test_it_refuses_peers_it_cannot_read() -> None:
    import pytest

    bad = [
        ({"namespace": "kube-system", "workload": "x"}, "namespace goes with labels"),
        ({"labels": {}}, "labels must name at least one label"),
        ({"address": "kube-dns.kube-system"}, "is not an IP address"),
        (
            {"address": "10.0.0.1", "labels": {"a": "b"}},
            "give exactly one of workload, labelSelector, labels and address",
        ),
    ]
    for peer, message in bad:
        with pytest.raises(validators.SpecInvalid, match=message):
            validators.validate_spec(
                "reachability", {"from": {"workload": "a"}, "to": peer, "port": 53, "expect": "allowed"}
            )
