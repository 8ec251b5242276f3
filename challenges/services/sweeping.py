"""The periodic passes over every attempt: the sweep (every BREAKFIX_SWEEP_SECONDS) sends again the
work no task carries; reap (every BREAKFIX_REAP_SECONDS) ends, expires and removes.

The sweep is why no work is lost: the database says what must be done (see leases.py), the
broker only wakes workers. Work whose deadline passed, or that no task carries since the broker
could not take it, gets a task again: a request waiting for a worker, a teardown, a check. A
provisioning whose worker stopped renewing its lease is started over once; the second time it
fails with a reason, so that a stuck attempt never holds capacity for long.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from challenges import tasks
from challenges.backends import get_backend
from challenges.failures import (
    CHECK_INTERRUPTED,
    INTERRUPTED,
    NOT_RUNNING,
    PERMANENT_ERRORS,
    TEMPORARY_ERRORS,
    TOO_LONG,
    Failure,
)
from challenges.logcontext import attempt_logging
from challenges.models import Attempt, AttemptEvent, CheckRun, Status
from challenges.services.attempts import attempt_end, attempt_expire
from challenges.services.checks import check_run_error
from challenges.services.leases import queue_deadline
from challenges.services.provisioning import attempt_fail

logger = logging.getLogger(__name__)

Kind = AttemptEvent.Kind
# Provisioning is started over this often after its worker stopped, then it fails; a check is
# sent again as often, then it errs.
RETRIES_AFTER_A_LOST_WORKER = 1


@dataclass
class SweepReport:
    provisions: list[int] = field(default_factory=list)  # requests sent again
    restarted: list[int] = field(default_factory=list)  # provisioning whose worker stopped
    failed: list[int] = field(default_factory=list)
    teardowns: list[int] = field(default_factory=list)
    checks: list[int] = field(default_factory=list)
    check_errors: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(vars(self).values())


def _unattended(now: datetime) -> Q:
    return Q(task_deadline=None) | Q(task_deadline__lt=now)


def _resend(row: Attempt | CheckRun, now: datetime, **fields: object) -> bool:
    """Take the row's work for a new task: a conditional update, so two sweeps send one task."""
    model = type(row)
    return bool(
        model._default_manager.filter(pk=row.pk, task_deadline=row.task_deadline).update(
            task_deadline=queue_deadline(now), **fields
        )
    )


def sweep(*, now: datetime | None = None) -> SweepReport:
    now = now or timezone.now()
    report = SweepReport()
    for attempt in Attempt.objects.filter(_unattended(now), status=Status.REQUESTED):
        if _resend(attempt, now):
            tasks.provision.delay_on_commit(attempt.pk)
            report.provisions.append(attempt.pk)
    for attempt in Attempt.objects.filter(status=Status.PROVISIONING, task_deadline__lt=now):
        with attempt_logging(attempt.pk):
            _provisioning_lost(attempt, now, report)
    for attempt in Attempt.objects.finished().filter(_unattended(now)):
        if _resend(attempt, now):
            tasks.destroy.delay_on_commit(attempt.pk)
            report.teardowns.append(attempt.pk)
    for run in CheckRun.objects.filter(_unattended(now), state=CheckRun.State.PENDING).select_related(
        "attempt"
    ):
        with attempt_logging(run.attempt_id):
            _check_unattended(run, now, report)
    if report:
        logger.info("sweep: %s", report)
    return report


def _provisioning_lost(attempt: Attempt, now: datetime, report: SweepReport) -> None:
    """Its worker stopped renewing the claim: start over once (back to requested, a new task
    claims it), else fail."""
    if attempt.provision_retries >= RETRIES_AFTER_A_LOST_WORKER:
        if attempt_fail(attempt=attempt, failure=Failure(INTERRUPTED, "the worker's lease ran out twice")):
            report.failed.append(attempt.pk)
        return
    if Attempt.objects.filter(
        pk=attempt.pk, status=Status.PROVISIONING, task_deadline=attempt.task_deadline
    ).update(
        status=Status.REQUESTED,
        task_id="",
        task_deadline=queue_deadline(now),
        provision_retries=attempt.provision_retries + 1,
    ):
        attempt.record(Kind.REQUEUED, "The worker creating this environment stopped: starting over.")
        tasks.provision.delay_on_commit(attempt.pk)
        report.restarted.append(attempt.pk)


def _check_unattended(run: CheckRun, now: datetime, report: SweepReport) -> None:
    if not run.attempt.is_workspace_open:
        check_run_error(check_run=run, failure=Failure(NOT_RUNNING))
        report.check_errors.append(run.pk)
        return
    # None: the broker never took its task, which is no fault of the check's.
    lost = run.task_deadline is not None
    if lost and run.resent >= RETRIES_AFTER_A_LOST_WORKER:
        check_run_error(
            check_run=run, failure=Failure(CHECK_INTERRUPTED, "the check's deadline passed twice")
        )
        report.check_errors.append(run.pk)
        return
    if _resend(run, now, resent=run.resent + (1 if lost else 0)):
        tasks.check.delay_on_commit(run.pk)
        report.checks.append(run.pk)


@dataclass
class ReapReport:
    ended: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def reap() -> ReapReport:
    """End solved attempts after their grace period, expire those past their deadline, fail those
    provisioning far too long, and remove orphaned environments."""
    report = ReapReport()
    now = timezone.now()
    grace = now - timedelta(seconds=settings.BREAKFIX_SOLVED_GRACE_SECONDS)
    for attempt in Attempt.objects.filter(status=Status.SOLVED, solved_at__lt=grace):
        with attempt_logging(attempt.pk):
            ended = attempt_end(
                attempt=attempt,
                actor=None,
                message="Solved: the environment was ended after the grace period.",
            )
        if ended:
            report.ended.append(attempt.pk)
    for attempt in Attempt.objects.live().filter(expires_at__lt=now):
        with attempt_logging(attempt.pk):
            expired = attempt_expire(attempt=attempt)
        if expired:
            report.expired.append(attempt.pk)
    # A worker that is alive but never finishes (a hung call) keeps renewing its lease: this
    # deadline, counted from the first claim, ends it.
    stuck = now - timedelta(seconds=settings.BREAKFIX_PROVISION_DEADLINE_SECONDS)
    for attempt in Attempt.objects.filter(status=Status.PROVISIONING, provisioning_at__lt=stuck):
        with attempt_logging(attempt.pk):
            failed = attempt_fail(
                attempt=attempt, failure=Failure(TOO_LONG, "provisioning passed its deadline")
            )
        if failed:
            report.failed.append(attempt.pk)
    _reap_orphans(report)
    if any((report.ended, report.expired, report.failed, report.orphans, report.problems)):
        logger.info("reap: %s", report)
    return report


def _reap_orphans(report: ReapReport) -> None:
    """Remove environments carrying this installation's labels or prefix that no attempt still needs."""
    in_use = {
        settings.BREAKFIX_BACKEND,
        *Attempt.objects.exclude(status=Status.DESTROYED).values_list("backend", flat=True),
    }
    for name in sorted(in_use):
        try:
            backend = get_backend(name)
            existing = backend.list_environments()
        except (*TEMPORARY_ERRORS, *PERMANENT_ERRORS) as exc:
            report.problems.append(f"{name}: {exc}")
            logger.warning("reap could not list %s environments: %s", name, exc)
            continue
        claimed = set(
            Attempt.objects.filter(backend=name)
            .exclude(status=Status.DESTROYED)
            .values_list("environment", flat=True)
        )
        for environment in sorted(existing - claimed):
            tasks.destroy_orphan.delay_on_commit(name, environment)
            report.orphans.append(environment)
