"""The kind backend, for real: through Celery to a reachable API server, and without Docker.

A stand-in `kind` on PATH (tests/fixtures/bin/kind) makes real clusters on the local control
plane with kind's verbs, flags and messages; each one costs seconds and a few hundred MB, so
this module makes one. The real kind binary, built from the Go module proxy, shows what a
machine without a container engine answers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from challenges.backends import KindBackend, KindCommandError
from challenges.models import Status
from challenges.services import attempts as services
from challenges.services import checks
from tests.fixtures.cluster import REPO, Cluster, binaries_dir, require_real
from tests.fixtures.worker import Workers
from tests.live.lifecycle import Lifecycle, lifecycle_world, wait_for_check, wait_for_status
from validators import kube

pytestmark = [pytest.mark.live, pytest.mark.worker]

STANDIN_DIR = REPO / "tests" / "fixtures" / "bin"
CLUSTER_SECONDS = 240.0


def real_kind() -> Path:
    """The real kind CLI, built once from the Go module proxy."""
    result = subprocess.run(
        [str(REPO / "platform" / "lifecycle" / "build-kind")], capture_output=True, text=True, timeout=900
    )
    if result.returncode != 0:
        require_real("kind", f"the kind CLI cannot be built here: {result.stderr.strip()[-300:]}")
    return Path(result.stdout.strip())


def container_engine_runs() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    return subprocess.run([docker, "info"], capture_output=True, timeout=30).returncode == 0


def standin(prefix: str) -> KindBackend:
    return KindBackend(prefix=prefix, kind=str(STANDIN_DIR / "kind"), wait_seconds=60, internal=False)


def standin_path() -> str:
    return os.pathsep.join([str(STANDIN_DIR), str(binaries_dir()), os.environ.get("PATH", "")])


@pytest.fixture
def kind_world(celery_workers: Workers, cluster: Cluster, settings: Any) -> Iterator[Lifecycle]:
    with lifecycle_world(celery_workers, cluster, settings, BREAKFIX_BACKEND="kind") as world:
        try:
            yield world
        finally:
            world.workers.stop_all()
            clusters = standin(world.prefix)
            for name in clusters.list_environments():
                clusters.destroy(name)


def test_a_kind_environment_goes_from_celery_to_a_reachable_api_server(kind_world: Lifecycle) -> None:
    # `kind` is found on PATH, as in a deployment; here PATH leads to the stand-in.
    kind_world.workers.start(BREAKFIX_KIND="kind", PATH=standin_path())
    learner = kind_world.learner("kim")
    attempt = kind_world.start(learner, "wrong-selector")
    assert attempt.backend == "kind"
    attempt = wait_for_status(attempt, Status.READY, Status.FAILED, timeout=CLUSTER_SECONDS)
    assert attempt.status == Status.READY, attempt.error
    clusters = standin(kind_world.prefix)
    assert attempt.environment in clusters.list_environments()

    # The learner is cluster-admin of a cluster of their own (and the guards still hold them).
    with kind_world.learner_api(attempt) as api:
        assert kube.request(api, "GET", "/api/v1/nodes", what="list nodes")[0] == 200
        namespace = attempt.environment
        path = f"/apis/apps/v1/namespaces/{namespace}/deployments/frontend"
        assert kube.request(api, "GET", path, what="read")[0] == 200
        # It is not the platform's shared cluster: the test namespace of this session is not there.
        assert kube.request(api, "GET", f"/api/v1/namespaces/{kind_world.prefix}-0", what="read")[0] == 404

    run = wait_for_check(checks.attempt_check_request(attempt=attempt, requested_by=None))
    assert run.state == "done" and not run.passed, run.error

    services.attempt_end(attempt=attempt, actor=learner)
    wait_for_status(attempt, Status.DESTROYED, timeout=CLUSTER_SECONDS)
    assert attempt.environment not in clusters.list_environments()


def test_real_kind_without_a_container_engine_fails_fast_and_clearly(kind_world: Lifecycle) -> None:
    if container_engine_runs():
        pytest.skip("a container engine runs here, so kind would really create a cluster")
    kind = real_kind()
    kind_world.workers.start(BREAKFIX_KIND=str(kind))
    started = time.monotonic()
    attempt = kind_world.start(kind_world.learner("kai"), "wrong-selector")
    attempt = wait_for_status(attempt, Status.FAILED, Status.DESTROYED, timeout=60)
    assert time.monotonic() - started < 60
    assert f"`{kind} get clusters` failed with exit status 1" in attempt.error
    assert "docker" in attempt.error.lower()


def test_real_kind_errors_carry_the_command_exit_status_and_stderr() -> None:
    if container_engine_runs():
        pytest.skip("a container engine runs here")
    backend = KindBackend(prefix="bf", kind=str(real_kind()), wait_seconds=30, internal=False)
    started = time.monotonic()
    with pytest.raises(KindCommandError) as caught:
        backend.create("bf-1", attempt_id=1)
    assert time.monotonic() - started < 30
    error = caught.value
    assert error.returncode == 1
    assert error.command[1:] == ["get", "clusters"]
    assert "failed to list clusters" in error.stderr
