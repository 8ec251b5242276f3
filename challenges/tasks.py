"""Celery tasks: thin deliveries of the attempt services.

Every task is idempotent (the services use conditional updates), acknowledged late, and limited
well below Redis's visibility timeout (one hour), so a message is only ever redelivered to a
worker when the one running it died. Temporary errors retry with backoff; when the retries run
out, the attempt fails (or the check errs) with a reason the learner can read.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded

from challenges.models import Attempt, CheckRun
from challenges.services import attempts

logger = logging.getLogger(__name__)


def _backoff(retries: int) -> int:
    return min(60, 2 ** (retries + 1))


# kind may take minutes to create a cluster (BREAKFIX_KIND_WAIT_SECONDS, default 180).
@shared_task(bind=True, acks_late=True, soft_time_limit=540, time_limit=600, max_retries=6)
def provision(self: Task[Any, Any], attempt_id: int) -> None:
    attempt = Attempt.objects.filter(pk=attempt_id).select_related("version").first()
    if attempt is None:
        return
    try:
        attempts.attempt_provision(attempt=attempt)
    except attempts.TEMPORARY_ERRORS as exc:
        if self.request.retries >= (self.max_retries or 0):
            attempts.attempt_fail(attempt=attempt, reason=f"The cluster did not answer in time: {exc}")
            return
        logger.info("provision %s: temporary error, retrying: %s", attempt_id, exc)
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc
    except SoftTimeLimitExceeded:
        attempts.attempt_fail(attempt=attempt, reason="Creating the environment took too long.")


@shared_task(bind=True, acks_late=True, soft_time_limit=60, time_limit=90, max_retries=4)
def check(self: Task[Any, Any], check_run_id: int) -> None:
    check_run = CheckRun.objects.filter(pk=check_run_id).select_related("attempt__version").first()
    if check_run is None:
        return
    try:
        attempts.attempt_check_run(check_run=check_run)
    except attempts.TEMPORARY_ERRORS as exc:
        if self.request.retries >= (self.max_retries or 0):
            attempts.attempt_check_error(
                check_run=check_run, reason=f"The cluster did not answer, so nothing was checked: {exc}"
            )
            return
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc
    except SoftTimeLimitExceeded:
        attempts.attempt_check_error(check_run=check_run, reason="The check took too long. Try again.")


@shared_task(bind=True, acks_late=True, soft_time_limit=240, time_limit=300, max_retries=6)
def destroy(self: Task[Any, Any], attempt_id: int) -> None:
    attempt = Attempt.objects.filter(pk=attempt_id).first()
    if attempt is None:
        return
    try:
        attempts.attempt_destroy(attempt=attempt)
    except attempts.TEMPORARY_ERRORS as exc:
        if self.request.retries >= (self.max_retries or 0):
            logger.error("destroy %s gave up for now (reap retries later): %s", attempt_id, exc)
            return
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc
    except attempts.PERMANENT_ERRORS as exc:
        # Left finished-but-not-destroyed: reap tries again, and an operator sees this.
        logger.error("destroy %s failed (reap retries later): %s", attempt_id, exc)


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def destroy_orphan(backend_name: str, environment: str) -> None:
    try:
        attempts.orphan_destroy(backend_name=backend_name, environment=environment)
    except (*attempts.TEMPORARY_ERRORS, *attempts.PERMANENT_ERRORS) as exc:
        logger.error(
            "could not remove orphaned %s environment %s (reap retries): %s", backend_name, environment, exc
        )


@shared_task(acks_late=True, soft_time_limit=120, time_limit=150)
def reap() -> None:
    attempts.reap()
