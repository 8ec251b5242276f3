"""/healthz and /readyz with the real parts: ready while PostgreSQL, Redis, the console runner and
the cluster answer; 503 naming the part that does not, and never its address."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.fixtures.cluster import Cluster
from tests.fixtures.console import RunnerProcess
from tests.fixtures.worker import _free_port
from tests.live.test_outages import dead_kubeconfig

pytestmark = [pytest.mark.live, pytest.mark.django_db]


@pytest.fixture
def wired(cluster: Cluster, console_runner: RunnerProcess, redis_url: str, settings: Any) -> Any:
    settings.BREAKFIX_BACKEND = "namespace"
    settings.BREAKFIX_KUBECONFIG = str(cluster.kubeconfig)
    settings.CELERY_BROKER_URL = redis_url
    return settings


def readyz() -> tuple[int, dict[str, Any]]:
    response = Client().get("/readyz")
    return response.status_code, json.loads(response.content)


def test_ready_when_every_part_answers(wired: Any) -> None:
    assert readyz() == (
        200,
        {
            "status": "ok",
            "parts": {"database": "ok", "broker": "ok", "cache": "ok", "console": "ok", "cluster": "ok"},
        },
    )
    assert Client().get("/healthz").status_code == 200


def test_a_dead_cluster_or_broker_is_named_and_its_address_is_not(
    wired: Any, cluster: Cluster, tmp_path: Path
) -> None:
    wired.BREAKFIX_KUBECONFIG = str(dead_kubeconfig(cluster, tmp_path))
    dead_broker = f"redis://127.0.0.1:{_free_port()}/0"
    wired.CELERY_BROKER_URL = dead_broker
    status, body = readyz()
    assert status == 503 and body["status"] == "unavailable"
    assert body["parts"]["cluster"].startswith("unavailable (")
    assert body["parts"]["broker"].startswith("unavailable (")
    assert body["parts"]["database"] == body["parts"]["console"] == "ok"
    assert "127.0.0.1" not in json.dumps(body)
    # Liveness is not readiness: the process still serves.
    assert Client().get("/healthz").status_code == 200


def test_a_console_runner_that_does_not_answer_is_named(wired: Any, tmp_path: Path) -> None:
    wired.BREAKFIX_CONSOLE_RUNNER = f"unix://{tmp_path / 'nobody.sock'}"
    status, body = readyz()
    assert status == 503 and body["parts"]["console"].startswith("unavailable (")
    assert body["parts"]["cluster"] == "ok"
