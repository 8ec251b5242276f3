"""`placement` against the real scheduler and the local control plane's nodes (nodes.yaml)."""

from __future__ import annotations

from typing import Any

import pytest

import validators
from tests.fixtures.cluster import Cluster, eventually
from tests.live.simulated import apply, deployment

pytestmark = pytest.mark.live
ZONE = "topology.kubernetes.io/zone"
APP = {"name": "app", "image": "busybox:1.36", "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}


def judge(cluster: Cluster, namespace: str, spec: dict[str, Any]) -> validators.Result:
    with cluster.api_client() as api:
        return validators.evaluate("placement", spec, validators.NamespaceView(api, namespace))


def settled(cluster: Cluster, namespace: str, spec: dict[str, Any]) -> validators.Result:
    """The verdict once every pod is scheduled (a verdict about an unscheduled pod is not settled)."""

    def probe() -> validators.Result | None:
        result = judge(cluster, namespace, spec)
        return None if "not scheduled" in result.message or "has no pods" in result.message else result

    return eventually(probe, "the pods to be scheduled")


def test_a_pod_kept_on_the_gpu_node_by_selector_and_toleration_is_pinned(
    cluster: Cluster, namespace: str
) -> None:
    toleration = {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}
    with cluster.api_client() as api:
        apply(
            api,
            namespace,
            deployment("gpu", [APP], nodeSelector={"accelerator": "nvidia-t4"}, tolerations=[toleration]),
            deployment("loose", [APP], tolerations=[toleration]),
        )
    spec = {"nodeLabels": {"accelerator": "nvidia-t4"}, "pinned": True}
    pinned = settled(cluster, namespace, {**spec, "workload": {"name": "gpu"}})
    assert pinned.passed, pinned.message
    assert pinned.details["pods"] and set(pinned.details["pods"].values()) == {"kwok-node-4"}
    loose = settled(cluster, namespace, {**spec, "workload": {"name": "loose"}})
    assert not loose.passed
    assert "also admit" in loose.message or "not on a node with accelerator=nvidia-t4" in loose.message


def test_a_required_zone_spread_puts_one_pod_in_each_zone(cluster: Cluster, namespace: str) -> None:
    spread = {
        "maxSkew": 1,
        "topologyKey": ZONE,
        "whenUnsatisfiable": "DoNotSchedule",
        "labelSelector": {"matchLabels": {"app": "spread"}},
    }
    with cluster.api_client() as api:
        apply(api, namespace, deployment("spread", [APP], replicas=3, topologySpreadConstraints=[spread]))
    spec = {
        "workload": {"name": "spread"},
        "spreadBy": ZONE,
        "minDomains": 3,
        "maxSkew": 1,
        "spreadRequired": True,
    }
    result = eventually(
        lambda: (
            r
            if len((r := judge(cluster, namespace, spec)).details.get("pods") or {}) == 3
            and "not scheduled" not in r.message
            else None
        ),
        "three scheduled pods",
    )
    assert result.passed, result.message
    assert "local-1a, local-1b, local-1c" in result.message
