"""Checks: a learner (or an instructor) asks, a worker runs the validators, the run keeps the results."""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

import validators
from challenges import tasks
from challenges.backends import get_backend
from challenges.failures import NOT_RUNNING, PERMANENT_ERRORS, TEMPORARY_ERRORS, Failure, check_failure
from challenges.models import Attempt, AttemptEvent, CheckRun, Outcome, Status
from challenges.services.attempts import TIME_IS_UP, AttemptNotReady, CheckTooSoon
from challenges.services.leases import lease_deadline, lease_kept, queue_deadline

Kind = AttemptEvent.Kind


def attempt_check_request(*, attempt: Attempt, requested_by: AbstractBaseUser | None) -> CheckRun:
    """Queue a check of the attempt's environment; raises CheckTooSoon within the check interval.

    The pending run is the request: when the broker cannot take its task, the run stays pending
    with no task (`is_kept`), and the sweep sends one once it can.
    """
    if attempt.was_solved:
        raise AttemptNotReady("You solved this challenge already.")
    if attempt.is_frozen:
        raise AttemptNotReady(TIME_IS_UP)
    if not attempt.can_check:
        raise AttemptNotReady("Checks run once your environment is ready.")
    last = attempt.check_runs.order_by("-created_at").first()
    if last is not None:
        wait = settings.BREAKFIX_CHECK_INTERVAL_SECONDS - (timezone.now() - last.created_at).total_seconds()
        if wait > 0:
            raise CheckTooSoon(math.ceil(wait))
    with transaction.atomic():
        check_run = CheckRun.objects.create(
            attempt=attempt,
            requested_by_id=requested_by.pk if requested_by else None,
            total=len(attempt.version.objectives()),
            task_deadline=queue_deadline(),
        )
        attempt.record(Kind.CHECK_REQUESTED, "", requested_by)
        tasks.check.delay_on_commit(check_run.pk)
    return check_run


def attempt_check_now(*, attempt: Attempt, message: str) -> CheckRun:
    """Check the environment here and now, in this process (a worker's): the last check of an
    attempt whose time is up, which no interval may refuse. A check that cannot reach the
    cluster ends in error, saying why: there is no later to retry in."""
    check_run = CheckRun.objects.create(
        attempt=attempt, total=len(attempt.version.objectives()), task_deadline=queue_deadline()
    )
    attempt.record(Kind.CHECK_REQUESTED, message)
    try:
        check_run_perform(check_run=check_run)
    except TEMPORARY_ERRORS as exc:
        check_run_error(check_run=check_run, failure=check_failure(exc))
    check_run.refresh_from_db()
    return check_run


def check_run_perform(*, check_run: CheckRun) -> None:
    """Run the validators with the platform's credentials (never the learner's) and store the results.

    All objectives passing solves the attempt; its environment is ended after the grace period.
    Temporary errors propagate so the task can retry; others end the check in error. Two
    deliveries of one run may both run it: the first to finish stores its results.
    """
    if not check_run.is_pending:
        return
    attempt = check_run.attempt
    if not attempt.is_running:  # frozen or not: the last check of a sitting runs after its deadline
        check_run_error(check_run=check_run, failure=Failure(NOT_RUNNING))
        return
    objectives = attempt.version.objectives()
    try:
        with lease_kept(CheckRun.objects.filter(pk=check_run.pk, state=CheckRun.State.PENDING)):
            backend = get_backend(attempt.backend, cluster=attempt.cluster)
            with backend.platform_client(attempt.environment) as api:
                view = backend.namespace_view(api, attempt.environment)
                results = validators.run_check(objectives, view)
    except PERMANENT_ERRORS as exc:
        check_run_error(check_run=check_run, failure=check_failure(exc))
        return
    if not check_run.finish(results):
        return
    attempt.record(Kind.CHECKED, f"{check_run.passed_count} of {check_run.total} objectives pass.")
    if check_run.passed and attempt.transition(
        from_=Status.READY, to=Status.SOLVED, outcome=Outcome.SOLVED, solved_at=check_run.finished_at
    ):
        attempt.record(Kind.SOLVED, f"Solved in {attempt.time_to_solve}.")


def check_run_error(*, check_run: CheckRun, failure: Failure) -> None:
    if check_run.fail(failure.reason, failure.detail):
        check_run.attempt.record(Kind.CHECK_FAILED, failure.reason)


def check_run_retry_later(*, check_run: CheckRun, seconds: float) -> None:
    CheckRun.objects.filter(pk=check_run.pk, state=CheckRun.State.PENDING).update(
        task_deadline=lease_deadline(extra=seconds)
    )
