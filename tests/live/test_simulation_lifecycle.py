"""A simulated challenge through the real attempt lifecycle: its Simulation copy comes with the
environment, before the workloads, and goes with it; the reaper finds one that was left behind."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from challenges import tasks
from challenges.backends import NamespaceBackend
from challenges.backends.base import INSTALLATION_LABEL
from challenges.kube.apply import GUARD_NAMESPACE
from challenges.models import Status
from challenges.services import attempts as services
from tests.fixtures.cluster import Cluster
from tests.fixtures.worker import Workers, wait_until
from tests.live.lifecycle import Lifecycle, get, lifecycle_world, wait_for_status

pytestmark = [pytest.mark.live, pytest.mark.worker]
SIMULATIONS = "/apis/simulation.breakfix.dev/v1alpha1/simulations"


@pytest.fixture
def world(celery_workers: Workers, cluster: Cluster, settings: Any) -> Iterator[Lifecycle]:
    with lifecycle_world(celery_workers, cluster, settings) as lifecycle:
        yield lifecycle


def simulations_of(world: Lifecycle, namespace: str) -> list[dict[str, Any]]:
    _, body = get(world.api, SIMULATIONS, labelSelector=f"{GUARD_NAMESPACE}={namespace}")
    return list(body.get("items") or [])


def test_the_simulation_comes_and_goes_with_the_environment(world: Lifecycle) -> None:
    world.workers.start()
    erin = world.learner("erin")
    attempt = wait_for_status(world.start(erin, "crashloop-config-key"), Status.READY)
    namespace = attempt.environment
    (copy,) = simulations_of(world, namespace)
    assert copy["metadata"]["name"] == namespace
    assert copy["metadata"]["labels"][INSTALLATION_LABEL] == world.prefix
    assert copy["spec"]["namespace"] == namespace
    assert copy["status"]["observedGeneration"] == copy["metadata"]["generation"]
    assert copy["metadata"]["ownerReferences"][0]["kind"] == "Namespace"

    def crash_looping() -> bool:
        _, pods = get(world.api, f"/api/v1/namespaces/{namespace}/pods", labelSelector="app=orders-api")
        return any(
            (s.get("state") or {}).get("waiting", {}).get("reason") == "CrashLoopBackOff"
            for p in pods.get("items") or []
            for s in (p.get("status") or {}).get("containerStatuses") or []
        )

    wait_until(crash_looping, timeout=30, what="the provisioned pods to crash-loop")

    assert services.attempt_end(attempt=attempt, actor=erin)
    wait_for_status(attempt, Status.DESTROYED)
    assert simulations_of(world, namespace) == []


def test_the_reaper_removes_a_simulation_left_without_its_environment(world: Lifecycle) -> None:
    from validators import kube

    leftover = f"{world.prefix}-999999"
    # What a crash between deleting the namespace and its simulation leaves: a copy of this
    # installation's for an environment that no attempt claims and no namespace holds.
    document = {
        "apiVersion": "simulation.breakfix.dev/v1alpha1",
        "kind": "Simulation",
        "metadata": {
            "name": leftover,
            "labels": {
                "app.kubernetes.io/managed-by": "breakfix",
                GUARD_NAMESPACE: leftover,
                INSTALLATION_LABEL: world.prefix,
            },
        },
        "spec": {"namespace": leftover},
    }
    kube.call(world.api, "POST", SIMULATIONS, what="leave a simulation behind", body=document)
    backend = NamespaceBackend(prefix=world.prefix, kubeconfig=world.cluster.kubeconfig)
    assert leftover in backend.list_environments()

    world.workers.start()
    tasks.reap.delay()
    wait_until(lambda: simulations_of(world, leftover) == [], timeout=60, what="the reaper to remove it")
    assert leftover not in backend.list_environments()
