"""Two registered clusters at once, with a real worker, beat and Redis: placement by free capacity,
a cluster whose API server stops mid-class, draining, and teardown on the right cluster.

The first cluster is the session's shared one; the second is started here under a name of its
own (the cluster scripts take a name) and stopped at the end.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client

from challenges.kube.kubeconfig import embedded_kubeconfig
from challenges.models import Attempt, Cluster, Status
from challenges.services import attempts as services
from challenges.services import checks
from challenges.services.clusters import cluster_register, cluster_set
from tests.fixtures.cluster import Cluster as SessionCluster
from tests.fixtures.cluster import _cache_dir
from tests.fixtures.worker import Workers, wait_until
from tests.live.lifecycle import (
    TEARDOWN_SECONDS,
    Lifecycle,
    lifecycle_world,
    namespace_state,
    wait_for_check,
    wait_for_status,
)
from tests.live.test_cluster_recovery import script
from validators import kube

pytestmark = [pytest.mark.live, pytest.mark.worker]

SECOND = f"breakfix-second-{os.getpid()}"
PROBE_SECONDS = 1.0


@pytest.fixture(scope="module")
def second_cluster(cluster: SessionCluster) -> Iterator[Path]:
    started = script("up", SECOND)
    assert started.returncode == 0, started.stderr
    try:
        yield _cache_dir() / "clusters" / SECOND / "kubeconfig"
    finally:
        script("down", SECOND)


@pytest.fixture
def world(celery_workers: Workers, cluster: SessionCluster, settings: Any) -> Iterator[Lifecycle]:
    with lifecycle_world(
        celery_workers,
        cluster,
        settings,
        BREAKFIX_CLUSTER_PROBE_SECONDS=str(PROBE_SECONDS),
        BREAKFIX_SWEEP_SECONDS="2",
    ) as lifecycle:
        yield lifecycle


def on_cluster(kubeconfig: Path, namespace: str) -> str:
    with kube.client_from_file(kubeconfig) as api:
        return namespace_state(api, namespace)


def wait_gone(kubeconfig: Path, namespace: str) -> None:
    wait_until(
        lambda: on_cluster(kubeconfig, namespace) == "gone",
        timeout=TEARDOWN_SECONDS,
        what=f"namespace {namespace} to be deleted",
    )


def cluster_of(attempt: Attempt) -> str:
    return Attempt.objects.select_related("cluster").get(pk=attempt.pk).cluster.name  # type: ignore[union-attr]


def reachable(name: str) -> bool:
    return Cluster.objects.get(name=name).reachable


def stop_api_server(name: str) -> None:
    pid_file = _cache_dir() / "kwok" / "clusters" / name / "pids" / "kube-apiserver.pid"
    os.kill(int(pid_file.read_text()), signal.SIGKILL)


def test_two_clusters_placement_outage_return_and_draining(
    world: Lifecycle, cluster: SessionCluster, second_cluster: Path, settings: Any
) -> None:
    kubeconfigs = {"first": cluster.kubeconfig, "second": second_cluster}
    for name, path in kubeconfigs.items():
        registered = cluster_register(name=name, kubeconfig=embedded_kubeconfig(path), capacity=3, labels={})
        assert registered.reachable
    world.workers.start(concurrency=2)
    world.workers.start_beat()
    learners = [world.learner(f"learner{i}") for i in range(6)]

    # Four Starts on 3 + 3 places: the most free capacity first, ties by name.
    placed = [world.start(learner, "wrong-selector") for learner in learners[:4]]
    placed = [wait_for_status(attempt, Status.READY) for attempt in placed]
    where = {attempt.pk: cluster_of(attempt) for attempt in placed}
    assert sorted(where.values()) == ["first", "first", "second", "second"], where
    for attempt in placed:
        here, there = (
            kubeconfigs[where[attempt.pk]],
            kubeconfigs[{"first": "second", "second": "first"}[where[attempt.pk]]],
        )
        assert on_cluster(here, attempt.environment) == "active"
        assert on_cluster(there, attempt.environment) == "gone"
        # The learner's own credentials point at the cluster their environment is on.
        learner_config = yaml.safe_load(services.attempt_learner_kubeconfig(attempt=attempt))
        server = learner_config["clusters"][0]["cluster"]["server"]
        assert server == Cluster.objects.get(name=where[attempt.pk]).server
    on_second = [attempt for attempt in placed if where[attempt.pk] == "second"]
    run = wait_for_check(checks.attempt_check_request(attempt=on_second[0], requested_by=None))
    assert run.state == run.State.DONE and run.total > 0 and not run.passed, run.error

    # The second cluster's API server stops mid-class.
    stop_api_server(SECOND)
    wait_until(lambda: not reachable("second"), timeout=30, what="the probe to mark the second cluster")
    ready = Client().get("/readyz")
    parts = json.loads(ready.content)["parts"]
    assert ready.status_code == 503
    assert parts["cluster:first"] == "ok" and parts["cluster:second"].startswith("unavailable (")
    # The metrics show it too.
    settings.BREAKFIX_METRICS_TOKEN = "scrape-" + "x" * 32
    scraped = Client().get("/metrics", headers={"Authorization": f"Bearer {settings.BREAKFIX_METRICS_TOKEN}"})
    assert 'breakfix_cluster_up{cluster="second"} 0.0' in scraped.content.decode()
    assert 'breakfix_cluster_up{cluster="first"} 1.0' in scraped.content.decode()
    # Its learners are told; a learner on the first is not.
    for attempt, down in ((on_second[1], True), (next(a for a in placed if where[a.pk] == "first"), False)):
        client = Client()
        client.force_login(attempt.learner)
        notices = client.get(f"/attempts/{attempt.pk}/notices/").content.decode()
        assert ("cluster your environment runs on is not answering" in notices) is down
    # One learner on it ends their environment meanwhile: its teardown waits for the cluster.
    ended, kept = on_second
    assert services.attempt_end(attempt=ended, actor=ended.learner)
    # A new environment goes to the first, though the second has as much room.
    fifth = wait_for_status(world.start(learners[4], "wrong-selector"), Status.READY)
    assert cluster_of(fifth) == "first"
    assert Attempt.objects.get(pk=ended.pk).status == Status.ENDED

    # It comes back: nothing of it was lost, and what ended meanwhile is torn down.
    assert script("up", SECOND).returncode == 0
    wait_until(lambda: reachable("second"), timeout=30, what="the probe to see the second cluster back")
    assert on_cluster(second_cluster, kept.environment) == "active"
    run = wait_for_check(checks.attempt_check_request(attempt=kept, requested_by=None))
    assert run.state == run.State.DONE and run.total > 0, run.error
    wait_for_status(ended, Status.DESTROYED, timeout=120)
    wait_gone(second_cluster, ended.environment)

    # Draining the first: nothing new goes there, what runs there goes on.
    cluster_set(Cluster.objects.get(name="first"), state=Cluster.State.DRAINING)
    sixth = wait_for_status(world.start(learners[5], "wrong-selector"), Status.READY)
    assert cluster_of(sixth) == "second"
    run = wait_for_check(checks.attempt_check_request(attempt=fifth, requested_by=None))
    assert run.state == run.State.DONE and run.total > 0, run.error

    # Every environment ends on the cluster it is on.
    for attempt in [*placed, fifth, sixth]:
        attempt.refresh_from_db()
        services.attempt_end(attempt=attempt, actor=None)
    for attempt in [*placed, fifth, sixth]:
        wait_for_status(attempt, Status.DESTROYED, timeout=120)
        wait_gone(kubeconfigs[cluster_of(attempt)], attempt.environment)
