"""cpu-requests-too-big, zone-selector-typo and gpu-node-placement are fair both ways.

They run against the real scheduler on the simulated nodes (platform/controlplane/simulation/
nodes.yaml): general nodes in zones local-1a (two), local-1b and local-1c, and in local-1b the
GPU node kwok-node-4, tainted dedicated=gpu:NoSchedule and labelled accelerator=nvidia-t4.
Each challenge's scenarios run side by side (tests/live/scenarios.py). Shortcuts the guards
refuse the learner (nodeName, a toleration of the GPU taint) are applied with the platform's
credentials: the check must catch them itself. The untouched broken state is a scenario too.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fixtures.cluster import Cluster
from tests.live import scenarios
from tests.live.fairness import Obj
from tests.live.scenarios import (
    UNTOUCHED,
    Outcome,
    Scenario,
    assert_messages,
    nothing,
    run,
    solution,
    steps,
    verdicts,
)

pytestmark = pytest.mark.live

ZONE = "topology.kubernetes.io/zone"
POD = "/spec/template/spec"
GPU_NODE = "kwok-node-4"
NO_GPU = 'has no spec.template.spec.containers[name=model-server].resources.limits["nvidia.com/gpu"]'
GPU_TOLERATION = {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}


def json_patch(deployment: str, *ops: Obj) -> scenarios.Act:
    return run("patch", "deployment", deployment, "--type=json", "-p", json.dumps(list(ops)))


def merge_patch(deployment: str, pod_spec: Obj) -> scenarios.Act:
    body = {"spec": {"template": {"spec": pod_spec}}}
    return run("patch", "deployment", deployment, "-p", json.dumps(body))


def required_affinity(key: str, *values: str) -> Obj:
    term = {"matchExpressions": [{"key": key, "operator": "In", "values": list(values)}]}
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}


# --- cpu-requests-too-big ------------------------------------------------------------------------

INDEXER = "cpu-requests-too-big"
SHARDS = [f"shard-{i}" for i in range(4)]


def requests(*cpus: str) -> scenarios.Act:
    """Each shard's CPU request, in order (by a strategic merge patch of the four containers)."""
    containers = [
        {"name": n, "resources": {"requests": {"cpu": cpu}}} for n, cpu in zip(SHARDS, cpus, strict=True)
    ]
    return merge_patch("search-indexer", {"containers": containers})


INDEXER_SCENARIOS = [
    Scenario(UNTOUCHED, nothing, key="indexer-running", fragment="Insufficient cpu"),
    Scenario("the reference solution", solution(INDEXER)),
    Scenario(
        "kubectl set resources to the measured peak",
        run("set", "resources", "deployment/search-indexer", "--requests=cpu=450m"),
    ),
    Scenario("a different request per shard", requests("450m", "600m", "500m", "700m")),
]
# The shortcuts hold CPU too: they wait until the honest fixes have given theirs back.
INDEXER_SHORTCUTS = [
    Scenario(
        "the GPU node's taint tolerated",
        merge_patch("search-indexer", {"tolerations": [GPU_TOLERATION]}),
        # Whether the GPU node still has four CPUs free depends on the rest of the cluster; the
        # requests are wrong either way.
        key="requests-sized",
        fragment="requests.cpu = 1; expected at most 900m",
    ),
    Scenario(
        "right-sized, tolerating the GPU node's taint too",
        steps(
            run("set", "resources", "deployment/search-indexer", "--requests=cpu=500m"),
            merge_patch("search-indexer", {"tolerations": [GPU_TOLERATION]}),
        ),
        key="requests-sized",
        fragment="still sets spec.template.spec.tolerations",
    ),
    Scenario(
        "requests far below the peak",
        run("set", "resources", "deployment/search-indexer", "--requests=cpu=100m"),
        key="requests-sized",
        fragment="requests.cpu = 100m; expected at least 450m",
        passes=("indexer-running",),
    ),
    Scenario(
        "right-sized, on the GPU node by nodeName",
        steps(
            run("set", "resources", "deployment/search-indexer", "--requests=cpu=500m"),
            merge_patch("search-indexer", {"nodeName": GPU_NODE}),
        ),
        key="requests-sized",
        fragment=f"still sets spec.template.spec.nodeName (to {GPU_NODE})",
        passes=("indexer-running",),
    ),
]


@pytest.fixture(scope="module")
def indexer(cluster: Cluster) -> dict[str, Outcome]:
    return {**verdicts(cluster, INDEXER, INDEXER_SCENARIOS), **verdicts(cluster, INDEXER, INDEXER_SHORTCUTS)}


@pytest.mark.parametrize("label", [s.label for s in INDEXER_SCENARIOS + INDEXER_SHORTCUTS])
def test_cpu_requests_too_big_is_fair(indexer: dict[str, Outcome], label: str) -> None:
    indexer[label].verify()


def test_cpu_requests_too_big_broken_state_says_what_is_wrong(indexer: dict[str, Outcome]) -> None:
    assert_messages(
        indexer[UNTOUCHED],
        {
            "indexer-running": "cannot be scheduled: 0/5 nodes are available",
            "requests-sized": "requests.cpu = 1; expected at most 900m",
        },
    )


# --- zone-selector-typo --------------------------------------------------------------------------

EDGE = "zone-selector-typo"
NO_SELECTOR = {"op": "remove", "path": f"{POD}/nodeSelector"}
KEPT = ("edge-cache-running",)

EDGE_SCENARIOS = [
    Scenario(UNTOUCHED, nothing, key="in-the-gateways-zone", fragment="is not scheduled on any node"),
    Scenario("the reference solution", solution(EDGE)),
    Scenario(
        "the zone corrected by JSON patch",
        json_patch(
            "edge-cache",
            {
                "op": "replace",
                "path": f"{POD}/nodeSelector/topology.kubernetes.io~1zone",
                "value": "local-1b",
            },
        ),
    ),
    Scenario(
        "a required node affinity instead of the selector",
        json_patch(
            "edge-cache",
            NO_SELECTOR,
            {"op": "add", "path": f"{POD}/affinity", "value": required_affinity(ZONE, "local-1b")},
        ),
    ),
    Scenario(
        "the node selector dropped",
        json_patch("edge-cache", NO_SELECTOR),
        key="in-the-gateways-zone",
        fragment=f"{ZONE}=local-1b",
        passes=KEPT,
    ),
    Scenario(
        "a preferred node affinity",
        json_patch(
            "edge-cache",
            NO_SELECTOR,
            {
                "op": "add",
                "path": f"{POD}/affinity",
                "value": {
                    "nodeAffinity": {
                        "preferredDuringSchedulingIgnoredDuringExecution": [
                            {
                                "weight": 100,
                                "preference": {
                                    "matchExpressions": [
                                        {"key": ZONE, "operator": "In", "values": ["local-1b"]}
                                    ]
                                },
                            }
                        ]
                    }
                },
            },
        ),
        key="in-the-gateways-zone",
        fragment=f"keeps its pods on nodes with {ZONE}=local-1b",
        passes=KEPT,
    ),
    Scenario(
        "pinned to a node of the zone by nodeName",
        json_patch(
            "edge-cache", NO_SELECTOR, {"op": "add", "path": f"{POD}/nodeName", "value": "kwok-node-1"}
        ),
        key="in-the-gateways-zone",
        fragment="names its node (nodeName: kwok-node-1)",
        passes=KEPT,
    ),
    Scenario(
        "the zone corrected, one replica",
        json_patch(
            "edge-cache",
            {
                "op": "replace",
                "path": f"{POD}/nodeSelector/topology.kubernetes.io~1zone",
                "value": "local-1b",
            },
            {"op": "replace", "path": "/spec/replicas", "value": 1},
        ),
        key="edge-cache-running",
        fragment="has 1 pod; the check expects at least 2",
        passes=("in-the-gateways-zone",),
    ),
]


@pytest.fixture(scope="module")
def edge(cluster: Cluster) -> dict[str, Outcome]:
    return verdicts(cluster, EDGE, EDGE_SCENARIOS)


@pytest.mark.parametrize("label", [s.label for s in EDGE_SCENARIOS])
def test_zone_selector_typo_is_fair(edge: dict[str, Outcome], label: str) -> None:
    edge[label].verify()


def test_zone_selector_typo_broken_state_says_what_is_wrong(edge: dict[str, Outcome]) -> None:
    assert_messages(
        edge[UNTOUCHED],
        {"edge-cache-running": "node affinity/selector", "in-the-gateways-zone": "node affinity/selector"},
    )


# --- gpu-node-placement --------------------------------------------------------------------------

INFERENCE = "gpu-node-placement"
ON_T4 = {"accelerator": "nvidia-t4"}


def gpu_pod(**pod_spec: Any) -> scenarios.Act:
    """The model server with `pod_spec`'s placement and `gpus` GPUs (a strategic merge patch)."""
    gpus = pod_spec.pop("gpus", "1")
    limits = {"nvidia.com/gpu": gpus} if gpus else {}
    containers = [{"name": "model-server", "resources": {"limits": limits}}] if limits else []
    return merge_patch("inference", {**pod_spec, **({"containers": containers} if containers else {})})


INFERENCE_SCENARIOS = [
    Scenario(UNTOUCHED, nothing, key="inference-running", fragment="keeps crashing (CrashLoopBackOff"),
    Scenario("the reference solution", solution(INFERENCE)),
    Scenario(
        "a required node affinity and an Exists toleration",
        gpu_pod(
            affinity=required_affinity("accelerator", "nvidia-t4"),
            tolerations=[{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
        ),
    ),
    Scenario(
        "placed on the GPU node, no GPU asked for",
        gpu_pod(nodeSelector=ON_T4, tolerations=[GPU_TOLERATION], gpus=""),
        key="asks-for-the-gpu",
        fragment=NO_GPU,
    ),
]
# The GPU node has four GPUs for the whole cluster: the shortcuts that hold one wait their turn.
INFERENCE_SHORTCUTS = [
    Scenario(
        "the toleration and the GPU, no selector",
        gpu_pod(tolerations=[GPU_TOLERATION]),
        key="on-the-gpu-node",
        fragment="keeps its pods on nodes with accelerator=nvidia-t4: its node selector, node affinity",
        passes=("inference-running", "asks-for-the-gpu"),
    ),
    Scenario(
        "pinned to the GPU node by nodeName",
        gpu_pod(nodeName=GPU_NODE),
        key="on-the-gpu-node",
        fragment=f"names its node (nodeName: {GPU_NODE})",
        passes=("inference-running", "asks-for-the-gpu"),
    ),
]


@pytest.fixture(scope="module")
def inference(cluster: Cluster) -> dict[str, Outcome]:
    return {
        **verdicts(cluster, INFERENCE, INFERENCE_SCENARIOS),
        **verdicts(cluster, INFERENCE, INFERENCE_SHORTCUTS),
    }


@pytest.mark.parametrize("label", [s.label for s in INFERENCE_SCENARIOS + INFERENCE_SHORTCUTS])
def test_gpu_node_placement_is_fair(inference: dict[str, Outcome], label: str) -> None:
    inference[label].verify()


def test_gpu_node_placement_broken_state_says_what_is_wrong(inference: dict[str, Outcome]) -> None:
    assert_messages(
        inference[UNTOUCHED],
        {
            "on-the-gpu-node": "not on a node with accelerator=nvidia-t4",
            "asks-for-the-gpu": NO_GPU,
        },
    )
