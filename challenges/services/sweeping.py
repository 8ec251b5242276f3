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
from django.db import transaction
from django.db.models import F, Q
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
from challenges.models import LIVE_STATUSES, Attempt, AttemptEvent, Challenge, CheckRun, Cluster, Status
from challenges.services.attempts import attempt_end, attempt_expire, take_turns
from challenges.services.checks import check_run_error
from challenges.services.clusters import registered
from challenges.services.leases import queue_deadline
from challenges.services.pool import pool_account_id, pool_targets, pooled_live_counts
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
    if not run.attempt.is_running:
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
    """Remove environments carrying this installation's labels or prefix that no attempt still needs.

    Every place environments may be is listed: each backend in use, and for the `namespace`
    backend each registered cluster in service (and the default one while attempts live there or
    none is registered). An environment is claimed by its name whatever cluster its attempt is
    on: names are unique per attempt, so a cluster registered twice never loses a live one.
    """
    live = Attempt.objects.exclude(status=Status.DESTROYED)
    in_use = {settings.BREAKFIX_BACKEND, *live.values_list("backend", flat=True)}
    places: list[tuple[str, Cluster | None]] = []
    for name in sorted(in_use):
        if name == "namespace" and registered():
            places += [(name, cluster) for cluster in Cluster.objects.serving().filter(reachable=True)]
            if live.filter(backend=name, cluster=None).exists():
                places.append((name, None))
        else:
            places.append((name, None))
    for name, cluster in places:
        where = f"{name} on {cluster.name}" if cluster is not None else name
        try:
            existing = get_backend(name, cluster=cluster).list_environments()
        except (*TEMPORARY_ERRORS, *PERMANENT_ERRORS) as exc:
            report.problems.append(f"{where}: {exc}")
            logger.warning("reap could not list %s environments: %s", where, exc)
            continue
        claimed = set(live.filter(backend=name).values_list("environment", flat=True))
        for environment in sorted(existing - claimed):
            cluster_id = cluster.pk if cluster is not None else None
            tasks.destroy_orphan.delay_on_commit(name, environment, cluster_id)
            report.orphans.append(environment)


@dataclass
class PoolReport:
    added: dict[str, int] = field(default_factory=dict)
    replaced: list[int] = field(default_factory=list)
    surplus: list[int] = field(default_factory=list)


def pool_refill(*, now: datetime | None = None) -> PoolReport:
    """Top the warm pool up to each challenge's target, into free capacity only; give up what is
    out of date (a content version no longer current, an unpublished challenge) and, oldest
    first, what is over target (a schedule ended). Recycling by age is the reap's expiry."""
    now = now or timezone.now()
    with transaction.atomic():
        # In turn with Starts and other refills (each Start that claims sends one, so while a
        # class starts several run at once): each counts the room left by what the others made,
        # so neither the pool's target nor BREAKFIX_CAPACITY is passed.
        take_turns()
        report = _pool_refill(now)
    if report.added or report.replaced or report.surplus:
        logger.info("pool: %s", report)
    return report


def _pool_refill(now: datetime) -> PoolReport:
    report = PoolReport()
    pooled = Attempt.objects.filter(pooled=True, status__in=LIVE_STATUSES)
    stale = pooled.exclude(version__content_hash=F("challenge__content_hash")) | pooled.filter(
        challenge__published=False
    )
    for attempt in stale:
        if attempt_expire(attempt=attempt, message="Replaced: the challenge's content changed.", pooled=True):
            report.replaced.append(attempt.pk)
    published = Challenge.objects.filter(published=True)
    targets = pool_targets(published, now)
    if not any(targets.values()) and not pooled.exists():
        return report  # no pool anywhere: the usual case
    live = pooled_live_counts(published)
    room = pool_room()
    for challenge, target in targets.items():
        missing = target - live.get(challenge.pk, 0)
        if missing < 0:
            surplus = pooled.filter(challenge=challenge, status=Status.READY).order_by("ready_at")[:-missing]
            for attempt in surplus:
                if attempt_expire(attempt=attempt, message="The pool's target went down.", pooled=True):
                    report.surplus.append(attempt.pk)
        for _ in range(max(0, min(missing, room))):
            _pool_add(challenge, now)
            report.added[challenge.slug] = report.added.get(challenge.slug, 0) + 1
            room -= 1
    return report


def pool_room() -> int:
    """How many more environments the pool may add: the installation's capacity left and, with
    registered clusters, the free capacity of those that accept environments."""
    room = settings.BREAKFIX_CAPACITY - Attempt.objects.live().count()
    if settings.BREAKFIX_BACKEND == "namespace" and registered():
        room = min(room, sum(cluster.free for cluster in Cluster.objects.accepting().with_use()))
    return max(room, 0)


def _pool_add(challenge: Challenge, now: datetime) -> None:
    attempt = Attempt.objects.create(
        learner_id=pool_account_id(),
        challenge=challenge,
        version=challenge.current_version,
        backend=settings.BREAKFIX_BACKEND,
        status=Status.REQUESTED,
        pooled=True,
        expires_at=now + timedelta(minutes=settings.BREAKFIX_POOL_MAX_AGE_MINUTES),
        task_deadline=queue_deadline(now),
    )
    attempt.record(Kind.REQUESTED, f"Environment prepared in advance for {challenge.title}.")
    tasks.provision.delay_on_commit(attempt.pk)
