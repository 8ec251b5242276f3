"""kind, one host: real workers and a real Redis. A kind worker claims its Docker host before it
takes any task and keeps the claim alive; a kind worker on another host refuses to start, naming
the host that owns the clusters; once that host's workers are gone, the claim lapses."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis

from challenges.backends import kindhost
from tests.fixtures.worker import Workers, wait_until

pytestmark = pytest.mark.worker

TTL = 3  # seconds: the claim of a host whose workers stopped lapses this fast here


def claim(client: redis.Redis, workers: Workers) -> tuple[str | None, int]:
    key = f"breakfix:kind-host:{workers.queue}"
    owner = client.get(key)
    return (owner.decode() if isinstance(owner, bytes) else owner), int(client.ttl(key))


def exit_status(worker: Any, timeout: float = 90) -> int:
    deadline = time.monotonic() + timeout
    while worker.alive():
        assert time.monotonic() < deadline, f"{worker.name} is still running:\n{worker.output()}"
        time.sleep(0.2)
    status: int = worker.process.returncode
    return status


def test_a_second_kind_host_is_refused_until_the_first_is_gone(
    celery_workers: Workers, redis_url: str
) -> None:
    client = redis.Redis.from_url(redis_url)
    kind: dict[str, Any] = {"BREAKFIX_BACKEND": "kind", "BREAKFIX_KIND_HOST_TTL_SECONDS": TTL}
    alpha = celery_workers.start(concurrency=1, BREAKFIX_KIND_HOST="alpha", **kind)
    owner, ttl = claim(client, celery_workers)
    assert owner == "alpha" and 0 < ttl <= TTL

    beta = celery_workers.start(concurrency=1, wait=False, BREAKFIX_KIND_HOST="beta", **kind)
    assert exit_status(beta) != 0
    said = beta.output()
    assert "the kind clusters of this installation live on the Docker host 'alpha'" in said, said
    assert " ready." not in said, "the refused worker must not have started taking tasks"

    # Another worker on the owner's host shares the claim; a namespace worker anywhere needs none.
    celery_workers.start(concurrency=1, BREAKFIX_KIND_HOST="alpha", **kind)
    celery_workers.start(concurrency=1, BREAKFIX_BACKEND="namespace", BREAKFIX_KIND_HOST="beta")

    # Kept alive while alpha's workers run: well past its time to live, it still names alpha.
    time.sleep(TTL * 2)
    assert claim(client, celery_workers)[0] == "alpha"
    assert alpha.alive()

    # alpha's workers stop: the claim lapses, and beta may take over.
    for worker in celery_workers.started:
        worker.stop()
    wait_until(lambda: claim(client, celery_workers)[0] is None, timeout=TTL + 5, what="the claim to lapse")
    celery_workers.start(concurrency=1, BREAKFIX_KIND_HOST="beta", **kind)
    assert claim(client, celery_workers)[0] == "beta"


def test_the_kind_host_is_the_setting_when_given(settings: Any) -> None:
    settings.BREAKFIX_KIND_HOST = "lab-host-1"
    assert kindhost.kind_host() == "lab-host-1"


def test_a_worker_on_the_namespace_backend_claims_nothing(settings: Any) -> None:
    settings.BREAKFIX_BACKEND = "namespace"
    assert kindhost.worker_starting() is None
