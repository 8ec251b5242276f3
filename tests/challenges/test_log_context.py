"""Log lines about an attempt end with `attempt=<id>`: in a request to one of its pages, and in a
real worker's log while a task works on it; lines about nothing in particular carry no id."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.contrib.auth.models import User

from challenges.logcontext import AttemptLogFilter, attempt_logging
from challenges.models import Attempt, Challenge, Status
from challenges.services.attempts import attempt_start
from challenges.services.content import challenges_sync
from tests.base import BaseTestCase
from tests.fixtures.worker import Workers, _free_port, wait_until


class Lines(logging.Handler):
    """The lines the root logger writes, formatted and filtered as settings.LOGGING's handler."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.addFilter(AttemptLogFilter())
        self.setFormatter(logging.Formatter(settings.LOGGING["formatters"]["breakfix"]["format"]))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def logged_lines() -> Iterator[list[str]]:
    handler = Lines()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)


def test_the_configured_handler_carries_the_filter() -> None:
    handlers = logging.getLogger().handlers
    assert any(isinstance(f, AttemptLogFilter) for h in handlers for f in h.filters), handlers


def test_a_line_inside_an_attempt_ends_with_its_id_and_one_outside_has_none() -> None:
    logger = logging.getLogger("challenges.test")
    with logged_lines() as lines:
        logger.warning("outside")
        with attempt_logging(42):
            logger.warning("inside")
            with attempt_logging(7):
                logger.warning("nested")
            logger.warning("inside again")
        logger.warning("after")
    assert [line.rsplit(": ", 1)[1] for line in lines] == [
        "outside",
        "inside attempt=42",
        "nested attempt=7",
        "inside again attempt=42",
        "after",
    ]


class RequestLogTestCase(BaseTestCase):
    def test_a_request_to_an_attempts_page_logs_with_its_id(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector", Status.READY)
        with logged_lines() as lines:
            # Django logs a 404 while handling the request: bob asking for alice's attempt.
            r = self.client_for(self.bob).get(f"/attempts/{attempt.pk}/")
        self.assertEqual(r.status_code, 404)
        about = [line for line in lines if "Not Found" in line]
        self.assertEqual(len(about), 1, lines)
        self.assertTrue(about[0].endswith(f" attempt={attempt.pk}"), about[0])

    def test_a_request_elsewhere_logs_without_an_id(self) -> None:
        with logged_lines() as lines:
            r = self.client_for(self.bob).get("/challenges/no-such-challenge/")
        self.assertEqual(r.status_code, 404)
        about = [line for line in lines if "Not Found" in line]
        self.assertEqual(len(about), 1, lines)
        self.assertNotIn("attempt=", about[0])


def dead_cluster_kubeconfig(folder: Path) -> Path:
    """A kubeconfig for an API server where nothing listens: provisioning meets a temporary error."""
    server = f"https://127.0.0.1:{_free_port()}"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "dead", "cluster": {"server": server, "insecure-skip-tls-verify": True}}],
        "users": [{"name": "platform", "user": {"token": "not-a-real-token"}}],
        "contexts": [{"name": "dead", "context": {"cluster": "dead", "user": "platform"}}],
        "current-context": "dead",
    }
    path = folder / "dead-kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.worker
def test_a_workers_lines_about_a_provision_carry_the_attempt_id(
    celery_workers: Workers, tmp_path: Path, settings: Any
) -> None:
    challenges_sync(content_dir=settings.BREAKFIX_CONTENT_DIR)
    settings.BREAKFIX_BACKEND = "namespace"
    kubeconfig = dead_cluster_kubeconfig(tmp_path)
    worker = celery_workers.start(
        concurrency=1,
        BREAKFIX_BACKEND="namespace",
        BREAKFIX_KUBECONFIG=kubeconfig,
        BREAKFIX_TASK_RETRIES=1,
    )
    learner = User.objects.create_user("alice", "alice@example.org", "password-alice")
    attempt = attempt_start(learner=learner, challenge=Challenge.objects.get(slug="wrong-selector"))
    wait_until(
        lambda: Attempt.objects.get(pk=attempt.pk).status == Status.FAILED,
        timeout=60,
        what="the provision to fail against a dead API server",
    )
    log = worker.output(400).splitlines()
    retrying = [line for line in log if f"provision {attempt.pk}: temporary error" in line]
    assert retrying, "\n".join(log)
    assert all(line.endswith(f" attempt={attempt.pk}") for line in retrying), retrying
    # The worker's own lines, about no attempt, say none.
    ready = [line for line in log if re.search(r" ready\.$", line)]
    assert ready and "attempt=" not in ready[0], "\n".join(log)


class AsyncRequestLogTestCase(BaseTestCase):
    async def test_under_asgi_too_an_attempts_page_logs_with_its_id(self) -> None:
        from django.test import AsyncClient

        client = AsyncClient()
        await client.aforce_login(self.bob)
        with logged_lines() as lines:
            r = await client.get("/attempts/424242/")
        self.assertEqual(r.status_code, 404)
        about = [line for line in lines if "/attempts/424242/" in line]
        self.assertTrue(about, lines)
        self.assertTrue(all(line.endswith(" attempt=424242") for line in about), about)
