"""How long work may go unattended before the sweep sends it again: the deadlines of delivery.

Every piece of pending work is a row that says so (an attempt requested, provisioning or
finished-but-not-torn-down; a pending check run) with a `task_deadline`: the time by which the
task carrying it must have moved it on. Sending the task sets it; a worker working on it renews
it every few seconds; a worker that dies stops renewing, so the sweep (every
BREAKFIX_SWEEP_SECONDS) finds the work unattended within LEASE seconds and sends it again. None
means that no task carries the work at all (the broker could not take it): the next sweep sends
it.

The figures fit what the tasks really take on the local control plane (bench: provisioning a
namespace ~1 s, a check ~1 s, a teardown <1 s; kind clusters take minutes, but their worker
renews the lease all the while), with room for a busy API server: a dead worker costs a learner
LEASE plus one sweep, about half a minute, instead of Redis's visibility timeout.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import QuerySet
from django.utils import timezone

logger = logging.getLogger(__name__)


def lease_seconds() -> float:
    """How long a worker's claim lasts without renewal (renewed every quarter of it)."""
    return float(settings.BREAKFIX_TASK_LEASE_SECONDS)


def queue_deadline(now: datetime | None = None) -> datetime:
    """When a task just sent must have been taken by a worker. Longer than a queue of a class
    starting at once takes to drain; a task sent again needlessly only finds its work claimed."""
    return (now or timezone.now()) + timedelta(seconds=settings.BREAKFIX_QUEUE_WAIT_SECONDS)


def lease_deadline(now: datetime | None = None, *, extra: float = 0.0) -> datetime:
    return (now or timezone.now()) + timedelta(seconds=lease_seconds() + extra)


@contextmanager
def lease_kept(rows: QuerySet[Any]) -> Iterator[None]:
    """Renew `task_deadline` on `rows` while the block runs.

    The renewal runs in a thread of its own (with a database connection of its own), so a
    worker blocked in a long call (kind creating a cluster) still shows it is alive; a worker
    killed stops renewing at once. The filter of `rows` names the claim (the status, the task),
    so a renewal never revives work someone else took over.
    """
    period = lease_seconds() / 4
    stop = threading.Event()

    def renew() -> None:
        try:
            while not stop.wait(period):
                try:
                    rows.update(task_deadline=lease_deadline())
                except DatabaseError as exc:  # the next renewal may get through
                    logger.warning("could not renew a lease: %s", exc)
        finally:
            connection.close()

    thread = threading.Thread(target=renew, name="lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(period + 5)
