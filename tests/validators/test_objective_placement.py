from __future__ import annotations

from typing import Any

import pytest

import validators
from tests.validators.fakes import FakeView, workload
from validators import SpecInvalid

Obj = dict[str, Any]
ZONE = "topology.kubernetes.io/zone"
GPU_TAINT = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
TOLERATION = {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}
SPEC: dict[str, Any] = {"workload": {"kind": "Deployment", "name": "web"}}


def node(name: str, zone: str, *taints: Obj, **labels: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, ZONE: zone, **labels}},
        "spec": {"taints": list(taints)},
    }


NODES = [
    node("node-0", "zone-a"),
    node("node-1", "zone-b"),
    node("node-2", "zone-c"),
    node("node-3", "zone-a"),
    node("node-4", "zone-b", GPU_TAINT, accelerator="nvidia-t4"),
]


def world(*placed: str, replicas: int | None = None, **template: Any) -> FakeView:
    """A Deployment whose pods run on these nodes (an empty name: not scheduled), its template given."""
    deploy, rs, pods = workload("web", {"app": "web"}, replicas=replicas or len(placed))
    deploy["spec"]["template"]["spec"].update(template)
    for pod, where in zip(pods, placed, strict=True):
        pod["spec"].update(template)
        if where:
            pod["spec"]["nodeName"] = where
        else:
            pod["status"]["conditions"] = [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": "0/5 nodes are available: 5 node(s) didn't match Pod's node selector.",
                }
            ]
    return FakeView([deploy, rs, *pods, *NODES])


def run(spec: dict[str, Any], view: FakeView) -> validators.Result:
    return validators.evaluate("placement", {**SPEC, **spec}, view)


GPU = {"nodeLabels": {"accelerator": "nvidia-t4"}}
PINNED = {**GPU, "pinned": True}


def test_it_passes_pods_on_nodes_with_the_labels() -> None:
    result = run(GPU, world("node-4", tolerations=[TOLERATION]))
    assert result.passed, result.message
    assert result.message == "The pod of Deployment web runs on nodes with accelerator=nvidia-t4."


def test_it_names_the_node_a_pod_runs_on_without_the_labels() -> None:
    result = run(GPU, world("node-1"))
    assert not result.passed
    assert result.message == (
        "Pod web-5d9f-0 runs on node node-1 (accelerator=(none)), not on a node with accelerator=nvidia-t4."
    )


def test_it_quotes_the_scheduler_for_a_pod_that_is_not_scheduled() -> None:
    result = run(GPU, world(""))
    assert not result.passed
    assert "is not scheduled on any node: 0/5 nodes are available" in result.message


def test_a_toleration_alone_is_not_pinned_however_the_pod_landed() -> None:
    result = run(PINNED, world("node-4", tolerations=[TOLERATION]))
    assert not result.passed
    assert result.message.startswith(
        "Nothing in the pod template of Deployment web keeps its pods on nodes with accelerator=nvidia-t4: "
        "its node selector, node affinity and tolerations also admit node-0, node-1, node-2, node-3"
    )


@pytest.mark.parametrize(
    "template",
    [
        {"nodeSelector": {"accelerator": "nvidia-t4"}, "tolerations": [TOLERATION]},
        {
            "tolerations": [{"key": "dedicated", "operator": "Exists"}],
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {"key": "accelerator", "operator": "In", "values": ["nvidia-t4"]}
                                ]
                            }
                        ]
                    }
                }
            },
        },
        {"nodeSelector": {"kubernetes.io/hostname": "node-4"}, "tolerations": [{"operator": "Exists"}]},
    ],
    ids=["node selector", "node affinity", "by hostname"],
)
def test_a_selector_or_affinity_that_admits_only_such_nodes_is_pinned(template: Obj) -> None:
    result = run(PINNED, world("node-4", **template))
    assert result.passed, result.message
    assert "kept there by its node selector or affinity" in result.message


def test_a_node_name_in_the_template_is_never_pinned() -> None:
    result = run(PINNED, world("node-4", nodeName="node-4", nodeSelector={"accelerator": "nvidia-t4"}))
    assert not result.passed
    assert "names its node (nodeName: node-4), which skips the scheduler" in result.message


def test_a_selector_that_admits_a_tainted_node_only_is_pinned_only_with_the_toleration() -> None:
    # Without the toleration no node at all admits it: then the pods are not running there either.
    result = run(GPU, world("", nodeSelector={"accelerator": "nvidia-t4"}))
    assert not result.passed and "not scheduled" in result.message


SPREAD = {"spreadBy": ZONE, "minDomains": 3, "maxSkew": 1}


def test_pods_in_one_zone_fail_naming_the_counts() -> None:
    result = run(SPREAD, world("node-0", "node-3", "node-0"))
    assert not result.passed
    assert result.message == (
        f"Its 3 pods run in 1 {ZONE} value (zone-a: 3, zone-b: 0, zone-c: 0); the check expects at least 3."
    )


def test_an_uneven_spread_fails_on_its_skew() -> None:
    result = run({"spreadBy": ZONE, "maxSkew": 1}, world("node-0", "node-3", "node-1"))
    assert not result.passed
    assert "(zone-a: 2, zone-b: 1, zone-c: 0): a skew of 2, more than 1" in result.message


def test_one_pod_per_zone_passes() -> None:
    result = run(SPREAD, world("node-0", "node-1", "node-2"))
    assert result.passed, result.message
    assert result.message == f"All 3 pods of Deployment web run spread over {ZONE} (zone-a, zone-b, zone-c)."


def constraint(**fields: Any) -> Obj:
    return {"maxSkew": 1, "topologyKey": ZONE, "labelSelector": {"matchLabels": {"app": "web"}}, **fields}


def anti_affinity(kind: str, term: Obj) -> Obj:
    return {"podAntiAffinity": {kind: [term]}}


OWN_TERM = {"topologyKey": ZONE, "labelSelector": {"matchLabels": {"app": "web"}}}


@pytest.mark.parametrize(
    "template",
    [
        {"topologySpreadConstraints": [constraint()]},
        {"topologySpreadConstraints": [constraint(whenUnsatisfiable="DoNotSchedule", minDomains=3)]},
        {"affinity": anti_affinity("requiredDuringSchedulingIgnoredDuringExecution", OWN_TERM)},
    ],
    ids=["spread constraint", "spread constraint with minDomains", "required anti-affinity"],
)
def test_a_hard_spread_is_required(template: Obj) -> None:
    result = run({"spreadBy": ZONE, "spreadRequired": True}, world("node-0", "node-1", "node-2", **template))
    assert result.passed, result.message


@pytest.mark.parametrize(
    ("template", "fragment"),
    [
        ({}, f"nothing in it makes the scheduler spread its pods over {ZONE}"),
        (
            {"topologySpreadConstraints": [constraint(whenUnsatisfiable="ScheduleAnyway")]},
            "is ScheduleAnyway: the scheduler only prefers the spread",
        ),
        (
            {"topologySpreadConstraints": [constraint(topologyKey="kubernetes.io/hostname")]},
            f"spreads over kubernetes.io/hostname, not {ZONE}",
        ),
        ({"topologySpreadConstraints": [constraint(maxSkew=2)]}, "allows a skew of 2, not 1"),
        (
            {"topologySpreadConstraints": [constraint(labelSelector={"matchLabels": {"app": "db"}})]},
            "counts other pods than its own",
        ),
        (
            {
                "affinity": anti_affinity(
                    "preferredDuringSchedulingIgnoredDuringExecution",
                    {"weight": 100, "podAffinityTerm": OWN_TERM},
                )
            },
            "is only preferred",
        ),
    ],
    ids=[
        "nothing",
        "ScheduleAnyway",
        "another key",
        "a larger skew",
        "other pods",
        "preferred anti-affinity",
    ],
)
def test_a_soft_or_misdirected_spread_is_not_required(template: Obj, fragment: str) -> None:
    result = run({"spreadBy": ZONE, "spreadRequired": True}, world("node-0", "node-1", "node-2", **template))
    assert not result.passed
    assert result.message.startswith("The pod template of Deployment web does not require the spread: ")
    assert fragment in result.message


def test_a_required_spread_is_judged_by_the_template_while_a_pod_is_pending() -> None:
    """What the template requires does not wait for every pod to land: a Pending pod is often what
    the template gets wrong, and the template's rule is the answer."""
    spread: Obj = {"topologySpreadConstraints": [constraint(whenUnsatisfiable="DoNotSchedule")]}
    assert run({"spreadBy": ZONE, "spreadRequired": True}, world("node-0", "node-3", "", **spread)).passed
    result = run({"spreadBy": ZONE, "spreadRequired": True}, world("node-0", "node-3", ""))
    assert not result.passed
    assert "does not require the spread: nothing in it makes the scheduler spread" in result.message


def test_where_pods_spread_is_judged_once_every_pod_runs_somewhere() -> None:
    spread: Obj = {"topologySpreadConstraints": [constraint(whenUnsatisfiable="DoNotSchedule")]}
    result = run({"spreadBy": ZONE, "minDomains": 3, "maxSkew": 1}, world("node-0", "node-1", "", **spread))
    assert not result.passed
    assert "is not scheduled on any node: 0/5 nodes are available" in result.message


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ({"pinned": True}, "pinned needs nodeLabels"),
        ({"minDomains": 3}, "need spreadBy"),
        ({}, "give nodeLabels, or spreadBy"),
    ],
)
def test_it_refuses_a_spec_that_checks_nothing(spec: dict[str, Any], fragment: str) -> None:
    with pytest.raises(SpecInvalid, match=fragment):
        validators.validate_spec("placement", {**SPEC, **spec})
