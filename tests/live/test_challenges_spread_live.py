"""spread-over-zones is fair both ways, against the real scheduler on the simulated nodes.

Three zones: local-1a has two general nodes, local-1b one general node and the tainted GPU node,
local-1c one node. The broken state's node selector and hostname anti-affinity leave the third
replica Pending; a rule that really spreads the replicas puts one in each zone, and a rule that
only happens to (or only prefers to) is caught by the check of the template.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes.client import ApiClient, AppsV1Api

from challenges.services import authoring
from tests.live.fairness import Obj, as_learner, assert_fails, assert_passes, kubectl, load, refused, solve

pytestmark = pytest.mark.live

SLUG = "spread-over-zones"
ZONE = "topology.kubernetes.io/zone"
Fix = Callable[[ApiClient, Any, str], object]


def broken(api: ApiClient, namespace: str) -> authoring.LoadedChallenge:
    """The starting state, once its third replica shows why it is Pending."""
    challenge = load(SLUG)
    authoring.challenge_apply(api_client=api, challenge=challenge, namespace=namespace)
    deadline = time.monotonic() + 60
    while not authoring.workloads_settled(api_client=api, challenge=challenge, namespace=namespace):
        assert time.monotonic() < deadline, "the broken state never settled"
        time.sleep(0.3)
    return challenge


def patch(c: Any, ns: str, ops: list[Obj]) -> None:
    kubectl(c, ns, "patch", "deployment", "checkout", "--type=json", "-p", json.dumps(ops))


NO_SELECTOR: Obj = {"op": "remove", "path": "/spec/template/spec/nodeSelector"}


def spread(when: str) -> Obj:
    constraint = {
        "maxSkew": 1,
        "topologyKey": ZONE,
        "whenUnsatisfiable": when,
        "labelSelector": {"matchLabels": {"app": "checkout"}},
        "matchLabelKeys": ["pod-template-hash"],
    }
    return {"op": "add", "path": "/spec/template/spec/topologySpreadConstraints", "value": [constraint]}


def zone_anti_affinity(api: ApiClient, c: Any, ns: str) -> None:
    term = {"topologyKey": ZONE, "labelSelector": {"matchLabels": {"app": "checkout"}}}
    path = "/spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution"
    patch(c, ns, [NO_SELECTOR, {"op": "replace", "path": path, "value": [term]}])


HONEST: list[tuple[str, Fix]] = [
    ("the reference solution", lambda api, c, ns: solve(api, load(SLUG), ns)),
    (
        "a DoNotSchedule spread constraint by kubectl patch",
        lambda api, c, ns: patch(c, ns, [NO_SELECTOR, spread("DoNotSchedule")]),
    ),
    ("a required pod anti-affinity on the zone", zone_anti_affinity),
]


@pytest.mark.parametrize(("label", "fix"), HONEST, ids=[h[0] for h in HONEST])
def test_spread_over_zones_accepts_honest_builds(cluster: Any, namespace: str, label: str, fix: Fix) -> None:
    api = cluster.api_client()
    challenge = broken(api, namespace)
    fix(api, cluster, namespace)
    results = assert_passes(api, challenge, namespace)
    assert "local-1a, local-1b, local-1c" in results["one-per-zone"].message


def test_spread_over_zones_fails_the_broken_state_with_the_pending_replica(
    cluster: Any, namespace: str
) -> None:
    api = cluster.api_client()
    challenge = broken(api, namespace)
    results = {
        r.key: r for r in authoring.challenge_check(api_client=api, challenge=challenge, namespace=namespace)
    }
    assert "is not scheduled on any node" in results["one-per-zone"].message
    # The template is judged while a replica is Pending: its rules are why.
    assert "keeps pods apart by kubernetes.io/hostname, not topology.kubernetes.io/zone" in (
        results["spread-required"].message
    )


SHORTCUTS: list[tuple[str, list[Obj], str]] = [
    # Three pods on three nodes, by the hostname anti-affinity: spread by luck, not by the zone.
    ("only the zone selector removed", [NO_SELECTOR], f"apart by kubernetes.io/hostname, not {ZONE}"),
    (
        "a ScheduleAnyway constraint",
        [NO_SELECTOR, spread("ScheduleAnyway")],
        "ScheduleAnyway: the scheduler only prefers the spread",
    ),
]


@pytest.mark.parametrize(("label", "ops", "fragment"), SHORTCUTS, ids=[s[0] for s in SHORTCUTS])
def test_spread_over_zones_refuses_a_spread_that_is_not_required(
    cluster: Any, namespace: str, label: str, ops: list[Obj], fragment: str
) -> None:
    api = cluster.api_client()
    challenge = broken(api, namespace)
    patch(cluster, namespace, ops)
    assert_fails(api, challenge, namespace, "spread-required", fragment)


def test_spread_over_zones_guards_keep_three_replicas_and_the_strategy(cluster: Any, namespace: str) -> None:
    api = cluster.api_client()
    broken(api, namespace)
    learner = AppsV1Api(as_learner(cluster, namespace))
    body = refused(
        lambda: learner.patch_namespaced_deployment_scale(
            "checkout", namespace, {"spec": {"replicas": 4}}, dry_run="All"
        )
    )
    assert "Keep three checkout replicas" in body
    surge = {"spec": {"strategy": {"rollingUpdate": {"maxSurge": 1}}}}
    body = refused(lambda: learner.patch_namespaced_deployment("checkout", namespace, surge, dry_run="All"))
    assert "Keep the rollout strategy" in body
    body = refused(lambda: learner.delete_namespaced_deployment("checkout", namespace, dry_run="All"))
    assert "spread it over the zones instead of deleting it" in body
