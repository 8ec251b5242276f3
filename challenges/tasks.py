"""Celery tasks: thin deliveries of the attempt services.

A task loads its row by id, calls its service (imported inside the task: the services import
this module to send tasks, so this one loads them only when a task runs) and decides on retry.

Every task is idempotent (the services use conditional updates and claims), acknowledged late
and requeued when its worker process dies (`reject_on_worker_lost`), so a message is never
dropped with the work half done. Messages are only a way to wake a worker: what must be done is
in the database, with a deadline (challenges/services/leases.py), and the sweep sends a task
again for any work left unattended. Temporary errors retry with backoff (2, 4, … 60 s:
about two minutes in all with the default BREAKFIX_TASK_RETRIES, so a one-minute API outage
recovers by itself); when the retries run out, the attempt fails (or the check errs) with a
reason the learner can read.
"""

from __future__ import annotations

import logging
from typing import Any

import kombu.exceptions
import redis.exceptions
from celery import shared_task
from celery.contrib.django.task import DjangoTask
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import models

from challenges import failures
from challenges.logcontext import attempt_logging
from challenges.models import Attempt, CheckRun

logger = logging.getLogger(__name__)

# What sending raises when the broker is down or unreachable (after kombu's own short retries).
BROKER_ERRORS: tuple[type[Exception], ...] = (
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
)


class KeptTask(DjangoTask[Any, Any]):
    """A task whose sending never breaks the caller, a learner's request least of all.

    When the broker cannot take the message, the work it would carry is in the database
    already (the attempt's status, the pending check run); the row is marked as carried by no
    task (`task_deadline` None), which the page tells the learner and the sweep picks up as soon
    as the broker is back.
    """

    # The model whose row (the task's first argument) holds the work; None: nothing to keep
    # (the periodic tasks run again anyway).
    kept_in: type[models.Model] | None = None

    def apply_async(
        self,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
        *more: Any,
        **options: Any,
    ) -> Any:  # the AsyncResult, or None when the broker could not take the message
        try:
            return super().apply_async(args, kwargs, *more, **options)
        except BROKER_ERRORS as exc:
            logger.warning("could not send %s%r, the sweep sends it later: %s", self.name, args, exc)
            if self.kept_in is not None and args:
                self.kept_in._default_manager.filter(pk=args[0]).update(task_deadline=None)
            return None


def _backoff(retries: int) -> int:
    return min(60, 2 ** (retries + 1))


# kind may take minutes to create a cluster (BREAKFIX_KIND_WAIT_SECONDS, default 180); the
# namespace backend takes about a second. The lease, not this limit, is what notices a dead worker.
@shared_task(
    base=KeptTask,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=540,
    time_limit=600,
    max_retries=settings.BREAKFIX_TASK_RETRIES,
    kept_in=Attempt,
)
def provision(self: KeptTask, attempt_id: int) -> None:
    from challenges.services import provisioning

    attempt = Attempt.objects.filter(pk=attempt_id).select_related("version").first()
    if attempt is None:
        return
    with attempt_logging(attempt_id):
        try:
            provisioning.attempt_provision(attempt=attempt, task_id=self.request.id or "")
        except failures.TEMPORARY_ERRORS as exc:
            if self.request.retries >= (self.max_retries or 0):
                provisioning.attempt_fail(attempt=attempt, failure=failures.provision_failure(exc))
                return
            countdown = _backoff(self.request.retries)
            logger.info("provision %s: temporary error, retrying in %s s: %s", attempt_id, countdown, exc)
            provisioning.attempt_retry_later(attempt=attempt, seconds=countdown)
            raise self.retry(exc=exc, countdown=countdown) from exc
        except SoftTimeLimitExceeded:
            provisioning.attempt_fail(attempt=attempt, failure=failures.Failure(failures.TOO_LONG))


@shared_task(
    base=KeptTask,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=60,
    time_limit=90,
    max_retries=settings.BREAKFIX_TASK_RETRIES,
    kept_in=CheckRun,
)
def check(self: KeptTask, check_run_id: int) -> None:
    from challenges.services import checks

    check_run = CheckRun.objects.filter(pk=check_run_id).select_related("attempt__version").first()
    if check_run is None:
        return
    with attempt_logging(check_run.attempt_id):
        try:
            checks.check_run_perform(check_run=check_run)
        except failures.TEMPORARY_ERRORS as exc:
            if self.request.retries >= (self.max_retries or 0):
                checks.check_run_error(check_run=check_run, failure=failures.check_failure(exc))
                return
            countdown = _backoff(self.request.retries)
            checks.check_run_retry_later(check_run=check_run, seconds=countdown)
            raise self.retry(exc=exc, countdown=countdown) from exc
        except SoftTimeLimitExceeded:
            checks.check_run_error(check_run=check_run, failure=failures.Failure(failures.CHECK_TOO_LONG))


@shared_task(
    base=KeptTask,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=240,
    time_limit=300,
    max_retries=settings.BREAKFIX_TASK_RETRIES,
    kept_in=Attempt,
)
def destroy(self: KeptTask, attempt_id: int) -> None:
    from challenges.services import provisioning

    attempt = Attempt.objects.filter(pk=attempt_id).first()
    if attempt is None:
        return
    with attempt_logging(attempt_id):
        try:
            provisioning.attempt_destroy(attempt=attempt)
        except failures.TEMPORARY_ERRORS as exc:
            if self.request.retries >= (self.max_retries or 0):
                logger.error("destroy %s gave up for now (the sweep sends it again): %s", attempt_id, exc)
                provisioning.attempt_retry_later(attempt=attempt, seconds=provisioning.DESTROY_RETRY_SECONDS)
                return
            countdown = _backoff(self.request.retries)
            provisioning.attempt_retry_later(attempt=attempt, seconds=countdown)
            raise self.retry(exc=exc, countdown=countdown) from exc
        except failures.PERMANENT_ERRORS as exc:
            # Left finished-but-not-destroyed: the sweep tries again later, and an operator sees this.
            logger.error("destroy %s failed (the sweep sends it again): %s", attempt_id, exc)
            provisioning.attempt_retry_later(attempt=attempt, seconds=provisioning.DESTROY_RETRY_SECONDS)


@shared_task(base=KeptTask, acks_late=True, soft_time_limit=240, time_limit=300)
def destroy_orphan(backend_name: str, environment: str, cluster_id: int | None = None) -> None:
    from challenges.services import provisioning

    try:
        provisioning.orphan_destroy(backend_name=backend_name, environment=environment, cluster_id=cluster_id)
    except (*failures.TEMPORARY_ERRORS, *failures.PERMANENT_ERRORS) as exc:
        logger.error(
            "could not remove orphaned %s environment %s (reap retries): %s", backend_name, environment, exc
        )


@shared_task(base=KeptTask, acks_late=True, soft_time_limit=30, time_limit=45)
def sweep() -> None:
    from challenges.services import sweeping

    sweeping.sweep()


@shared_task(base=KeptTask, acks_late=True, soft_time_limit=120, time_limit=150)
def reap() -> None:
    from challenges.services import sweeping

    sweeping.reap()


@shared_task(base=KeptTask, acks_late=True, soft_time_limit=60, time_limit=90)
def pool_refill() -> None:
    """Top the warm pool up to its targets; replace what is out of date."""
    from challenges.services import sweeping

    sweeping.pool_refill()


@shared_task(base=KeptTask, acks_late=True, soft_time_limit=30, time_limit=45)
def probe_clusters() -> None:
    """Ask every registered cluster in service whether it answers; reap at once where one came back."""
    from challenges.services import clusters

    if clusters.clusters_probe():
        reap.delay()
