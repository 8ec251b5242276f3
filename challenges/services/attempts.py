"""Attempts: start, provision, check, extend, end, reset, destroy and reap environments.

Every state change is a conditional update (`Attempt.transition`): the caller that loses a race
does nothing, so a redelivered task or a second worker never provisions twice or brings a
destroyed environment back. Work for a worker is enqueued on commit. Each service records an
AttemptEvent; `actor` is the person who acted, when a person did.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

import validators
from challenges import secrets
from challenges.backends import BackendFailed, BackendUnavailable, ClusterBackend, get_backend
from challenges.backends.base import INSTALLATION_LABEL
from challenges.kube import KubeRejected, KubeUnavailable, apply_documents, apply_simulation, scope_guards
from challenges.kube.history import apply_with_history
from challenges.models import (
    FINISHED_STATUSES,
    LIVE_STATUSES,
    Attempt,
    AttemptEvent,
    Challenge,
    CheckRun,
    Status,
)

logger = logging.getLogger(__name__)

# Worth retrying: the cluster is down, slow or busy.
TEMPORARY_ERRORS: tuple[type[Exception], ...] = (
    BackendUnavailable,
    KubeUnavailable,
    validators.ClusterUnavailable,
)
# Retrying gives the same answer: the attempt fails (or the check errs) with the message.
PERMANENT_ERRORS: tuple[type[Exception], ...] = (
    BackendFailed,
    KubeRejected,
    validators.ObjectInvalid,
    validators.SpecInvalid,
    secrets.SecretUnreadable,
)
# Attempts that count against a learner's limit. A solved one makes way when they start another.
ACTIVE_STATUSES = (Status.REQUESTED, Status.PROVISIONING, Status.READY)
# A finished attempt whose teardown has not finished after this long gets another destroy.
DESTROY_RETRY_AFTER = timedelta(minutes=2)
# Token lifetime beyond the longest an attempt may live, so credentials never die before it.
TOKEN_MARGIN_SECONDS = 600


class AttemptError(Exception):
    """A refusal whose message a learner can read."""

    default = "That cannot be done right now."

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.default)
        self.message = message or self.default


class AttemptLimitReached(AttemptError):
    default = "You already have an environment running. End it before you start another one."


class NoCapacity(AttemptError):
    default = "Every environment is in use right now: no capacity, try again in a moment."


class ChallengeUnavailable(AttemptError):
    default = "This challenge is not available any more."


class AttemptNotReady(AttemptError):
    default = "Your environment is not ready."


class CheckTooSoon(AttemptError):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"You checked a moment ago: try again in {retry_after} s.")


# --- helpers -------------------------------------------------------------------------------------


def _record(attempt: Attempt, kind: str, message: str = "", actor: AbstractBaseUser | None = None) -> None:
    AttemptEvent.objects.create(
        attempt=attempt, kind=kind, message=message, actor_id=actor.pk if actor else None
    )


def _on_commit(task: Callable[..., Any], *args: Any) -> None:
    """Enqueue once the current transaction commits, so the worker finds the rows it is given."""

    def send() -> None:
        task(*args)

    transaction.on_commit(send)


def _enqueue_provision(attempt: Attempt) -> None:
    from challenges import tasks

    _on_commit(tasks.provision.delay, attempt.pk)


def _enqueue_destroy(attempt: Attempt) -> None:
    from challenges import tasks

    _on_commit(tasks.destroy.delay, attempt.pk)


def _active_count(learner: AbstractBaseUser) -> int:
    return Attempt.objects.filter(learner_id=learner.pk, status__in=ACTIVE_STATUSES).count()


def _live_count() -> int:
    return Attempt.objects.filter(status__in=LIVE_STATUSES).count()


def _check_limits(learner: AbstractBaseUser, *, adding: int) -> None:
    """Raise when `adding` more attempts would break the per-learner limit or the capacity."""
    if _active_count(learner) + adding > settings.BREAKFIX_MAX_ACTIVE_PER_LEARNER:
        raise AttemptLimitReached()
    if _live_count() + adding > settings.BREAKFIX_CAPACITY:
        raise NoCapacity()


def _backend(attempt: Attempt) -> ClusterBackend:
    return get_backend(attempt.backend)


def _token_seconds() -> int:
    return settings.BREAKFIX_MAX_TTL_MINUTES * 60 + TOKEN_MARGIN_SECONDS


def _objectives(attempt: Attempt) -> list[validators.Objective]:
    """The objectives of the content version the attempt runs, not of whatever is current."""
    spec = attempt.version.definition.get("challenge") or {}
    return [
        validators.Objective(
            key=str(item["key"]),
            title=str(item.get("title", item["key"])),
            type=str(item["type"]),
            spec=item.get("spec") or {},
            failure_message=str(item.get("failureMessage", "")),
        )
        for item in spec.get("objectives") or []
    ]


# --- start ---------------------------------------------------------------------------------------


def attempt_start(*, learner: AbstractBaseUser, challenge: Challenge) -> Attempt:
    """Ask for an environment: a new attempt, provisioned by a worker once this commits.

    Pressing Start again while an attempt of the same challenge is still live returns that one.
    Raises AttemptLimitReached, NoCapacity or ChallengeUnavailable.
    """
    return _start(learner=learner, challenge=challenge, actor=learner)


def _start(*, learner: AbstractBaseUser, challenge: Challenge, actor: AbstractBaseUser | None) -> Attempt:
    if not challenge.published:
        raise ChallengeUnavailable()
    existing = Attempt.objects.filter(
        learner_id=learner.pk, challenge=challenge, status__in=ACTIVE_STATUSES
    ).first()
    if existing is not None:
        return existing
    # A solved environment only waits out its grace period: it makes way for the next challenge.
    for solved in Attempt.objects.filter(learner_id=learner.pk, status=Status.SOLVED):
        attempt_end(attempt=solved, actor=actor, message=f"Ended to start {challenge.title}.")
    _check_limits(learner, adding=1)
    now = timezone.now()
    attempt = Attempt.objects.create(
        learner_id=learner.pk,
        challenge=challenge,
        version=challenge.current_version,
        backend=settings.BREAKFIX_BACKEND,
        status=Status.REQUESTED,
        expires_at=now + timedelta(minutes=settings.BREAKFIX_TTL_MINUTES),
    )
    # Count again with the row in: of two Starts that raced past the first count, the one that
    # sees the other gives way, so the limits hold without a lock.
    try:
        _check_limits(learner, adding=0)
    except AttemptError:
        attempt.delete()
        raise
    _record(attempt, "requested", f"Environment requested for {challenge.title}.", actor)
    _enqueue_provision(attempt)
    return attempt


# --- provision -----------------------------------------------------------------------------------


def attempt_provision(*, attempt: Attempt) -> None:
    """Create the environment, apply the broken starting state and the guards, issue credentials.

    Idempotent and re-entrant: a second delivery (or a retry after a temporary error) finds the
    same environment and applies the same objects again. Workloads that are broken on purpose
    are not waited for. Permanent errors fail the attempt; temporary ones propagate to the task.
    """
    try:
        backend = _backend(attempt)
    except BackendFailed as exc:
        attempt_fail(attempt=attempt, reason=str(exc))
        return
    if attempt.status == Status.REQUESTED and attempt.transition(
        from_=Status.REQUESTED,
        to=Status.PROVISIONING,
        provisioning_at=timezone.now(),
        environment=backend.environment_name(attempt.pk),
    ):
        _record(attempt, "provisioning", f"Creating environment {attempt.environment}.")
    if attempt.status != Status.PROVISIONING:
        return  # already ready, or ended while it waited: nothing to do

    environment = attempt.environment
    namespace = backend.namespace(environment)
    try:
        backend.create(environment, attempt_id=attempt.pk)
        with backend.platform_client(environment) as api:
            # Before the workloads: their first pods already behave as the challenge says.
            simulation = (attempt.version.definition.get("challenge") or {}).get("simulation")
            apply_simulation(api, namespace, simulation, labels={INSTALLATION_LABEL: backend.prefix})
            apply_with_history(api, namespace, attempt.version.documents("manifests"))
            guards = scope_guards(
                attempt.version.documents("guards"), namespace, labels={INSTALLATION_LABEL: backend.prefix}
            )
            apply_documents(api, namespace, guards)
        kubeconfig = backend.learner_kubeconfig(environment, seconds=_token_seconds())
    except PERMANENT_ERRORS as exc:
        attempt_fail(attempt=attempt, reason=str(exc))
        return

    if attempt.transition(
        from_=Status.PROVISIONING,
        to=Status.READY,
        ready_at=timezone.now(),
        learner_kubeconfig=secrets.encrypt(kubeconfig),
    ):
        _record(attempt, "ready", f"Environment {environment} is ready.")
        return
    attempt.refresh_from_db()
    if attempt.status == Status.DESTROYED:
        # Ended while we built it, and its teardown ran before we finished: tear down what we made.
        backend.destroy(environment)


def attempt_fail(*, attempt: Attempt, reason: str) -> bool:
    """Give up on provisioning with a reason the learner can read; the environment is torn down."""
    if not attempt.transition(
        from_=(Status.REQUESTED, Status.PROVISIONING), to=Status.FAILED, error=reason, ended_at=timezone.now()
    ):
        return False
    logger.warning("attempt %s failed: %s", attempt.pk, reason)
    _record(attempt, "failed", reason)
    _enqueue_destroy(attempt)
    return True


# --- checks --------------------------------------------------------------------------------------


def attempt_check_request(*, attempt: Attempt, requested_by: AbstractBaseUser | None) -> CheckRun:
    """Queue a check of the attempt's environment; raises CheckTooSoon within the check interval."""
    if attempt.status == Status.SOLVED:
        raise AttemptNotReady("You solved this challenge already.")
    if attempt.status != Status.READY:
        raise AttemptNotReady("Checks run once your environment is ready.")
    last = attempt.check_runs.order_by("-created_at").first()
    if last is not None:
        wait = settings.BREAKFIX_CHECK_INTERVAL_SECONDS - (timezone.now() - last.created_at).total_seconds()
        if wait > 0:
            raise CheckTooSoon(math.ceil(wait))
    check_run = CheckRun.objects.create(
        attempt=attempt,
        requested_by_id=requested_by.pk if requested_by else None,
        total=len(_objectives(attempt)),
    )
    _record(attempt, "check_requested", "", requested_by)
    from challenges import tasks

    _on_commit(tasks.check.delay, check_run.pk)
    return check_run


def attempt_check_run(*, check_run: CheckRun) -> None:
    """Run the validators with the platform's credentials (never the learner's) and store the results.

    All objectives passing solves the attempt; its environment is ended after the grace period.
    ClusterUnavailable propagates so the task can retry; other failures end the check in error.
    """
    if check_run.state != CheckRun.State.PENDING:
        return
    attempt = check_run.attempt
    if attempt.status not in (Status.READY, Status.SOLVED):
        attempt_check_error(check_run=check_run, reason="The environment is no longer running.")
        return
    objectives = _objectives(attempt)
    try:
        backend = _backend(attempt)
        with backend.platform_client(attempt.environment) as api:
            view = backend.namespace_view(api, attempt.environment)
            results = validators.run_check(objectives, view)
    except PERMANENT_ERRORS as exc:
        attempt_check_error(check_run=check_run, reason=str(exc))
        return

    rows = [json.loads(json.dumps(asdict(result), default=str)) for result in results]
    passed_count = sum(1 for result in results if result.passed)
    passed = bool(results) and passed_count == len(results)
    now = timezone.now()
    finished = CheckRun.objects.filter(pk=check_run.pk, state=CheckRun.State.PENDING).update(
        state=CheckRun.State.DONE,
        passed=passed,
        passed_count=passed_count,
        total=len(results),
        results=rows,
        failed_objectives=[result.key for result in results if not result.passed],
        finished_at=now,
    )
    if not finished:
        return
    _record(attempt, "checked", f"{passed_count} of {len(results)} objectives pass.")
    if passed and attempt.transition(from_=Status.READY, to=Status.SOLVED, solved_at=now):
        _record(attempt, "solved", f"Solved in {attempt.time_to_solve}.")


def attempt_check_error(*, check_run: CheckRun, reason: str) -> None:
    updated = CheckRun.objects.filter(pk=check_run.pk, state=CheckRun.State.PENDING).update(
        state=CheckRun.State.ERROR, error=reason, finished_at=timezone.now()
    )
    if updated:
        _record(check_run.attempt, "check_failed", reason)


# --- time, end, reset ----------------------------------------------------------------------------


def attempt_extended_deadline(*, attempt: Attempt) -> datetime | None:
    """The deadline an extension would give now, or None when the attempt cannot be extended."""
    if attempt.status not in ACTIVE_STATUSES or attempt.expires_at is None:
        return None
    ceiling = (attempt.ready_at or attempt.created_at) + timedelta(minutes=settings.BREAKFIX_MAX_TTL_MINUTES)
    deadline = min(attempt.expires_at + timedelta(minutes=settings.BREAKFIX_EXTEND_MINUTES), ceiling)
    return deadline if deadline > attempt.expires_at else None


def attempt_extend(*, attempt: Attempt, actor: AbstractBaseUser | None) -> bool:
    """Push the deadline by BREAKFIX_EXTEND_MINUTES, never past BREAKFIX_MAX_TTL_MINUTES from ready
    (or from creation while it provisions). False when there is nothing left to extend."""
    deadline = attempt_extended_deadline(attempt=attempt)
    if deadline is None:
        return False
    changed = Attempt.objects.filter(
        pk=attempt.pk, status__in=ACTIVE_STATUSES, expires_at=attempt.expires_at
    ).update(expires_at=deadline)
    if not changed:
        return False
    attempt.refresh_from_db()
    _record(attempt, "extended", f"Extended until {deadline:%H:%M} UTC.", actor)
    return True


def attempt_end(*, attempt: Attempt, actor: AbstractBaseUser | None, message: str = "") -> bool:
    """End a live attempt; its environment is destroyed by a worker. False when it had ended already."""
    if not attempt.transition(from_=LIVE_STATUSES, to=Status.ENDED, ended_at=timezone.now()):
        return False
    _record(attempt, "ended", message or "Environment ended.", actor)
    _enqueue_destroy(attempt)
    return True


def attempt_reset(*, attempt: Attempt, actor: AbstractBaseUser | None) -> Attempt:
    """End this attempt (when live) and start a fresh one of the same challenge for the same learner."""
    attempt_end(attempt=attempt, actor=actor, message="Ended by a reset.")
    fresh = _start(learner=attempt.learner, challenge=attempt.challenge, actor=actor)
    _record(fresh, "reset", f"Fresh environment replacing attempt {attempt.pk}.", actor)
    return fresh


# --- teardown ------------------------------------------------------------------------------------


def attempt_destroy(*, attempt: Attempt) -> bool:
    """Tear down a finished attempt's environment. Idempotent; never touches a live attempt.

    Backend errors propagate: the task retries temporary ones, reap retries the rest later.
    """
    if attempt.status not in FINISHED_STATUSES:
        return False
    if attempt.environment:
        _backend(attempt).destroy(attempt.environment)
    if not attempt.transition(
        from_=FINISHED_STATUSES, to=Status.DESTROYED, destroyed_at=timezone.now(), learner_kubeconfig=b""
    ):
        return False
    _record(
        attempt, "destroyed", f"Environment {attempt.environment} removed." if attempt.environment else ""
    )
    return True


@dataclass
class ReapReport:
    ended: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    destroying: list[int] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def reap() -> ReapReport:
    """The periodic sweep: end solved attempts after their grace period, expire those past their
    deadline, fail those stuck provisioning, retry stale teardowns and remove orphaned environments."""
    report = ReapReport()
    now = timezone.now()
    grace = now - timedelta(seconds=settings.BREAKFIX_SOLVED_GRACE_SECONDS)
    for attempt in Attempt.objects.filter(status=Status.SOLVED, solved_at__lt=grace):
        if attempt_end(
            attempt=attempt, actor=None, message="Solved: the environment was ended after the grace period."
        ):
            report.ended.append(attempt.pk)
    for attempt in Attempt.objects.filter(status__in=LIVE_STATUSES, expires_at__lt=now):
        if attempt.transition(from_=LIVE_STATUSES, to=Status.EXPIRED, ended_at=now):
            _record(attempt, "expired", "Time ran out: the environment was removed.")
            _enqueue_destroy(attempt)
            report.expired.append(attempt.pk)
    stuck = now - timedelta(seconds=settings.BREAKFIX_PROVISION_DEADLINE_SECONDS)
    for attempt in Attempt.objects.filter(status=Status.PROVISIONING, provisioning_at__lt=stuck) | (
        Attempt.objects.filter(status=Status.REQUESTED, created_at__lt=stuck)
    ):
        reason = (
            "Creating the environment took far too long, so it was given up. Press Retry for a fresh one."
        )
        if attempt_fail(attempt=attempt, reason=reason):
            report.failed.append(attempt.pk)
    stale = now - DESTROY_RETRY_AFTER
    for attempt in Attempt.objects.filter(status__in=FINISHED_STATUSES, ended_at__lt=stale):
        _enqueue_destroy(attempt)
        report.destroying.append(attempt.pk)
    _reap_orphans(report)
    if any((report.ended, report.expired, report.failed, report.destroying, report.orphans, report.problems)):
        logger.info("reap: %s", report)
    return report


def _reap_orphans(report: ReapReport) -> None:
    """Remove environments carrying this installation's labels or prefix that no attempt still needs."""
    from challenges import tasks

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
            _on_commit(tasks.destroy_orphan.delay, name, environment)
            report.orphans.append(environment)


def orphan_destroy(*, backend_name: str, environment: str) -> bool:
    """Destroy an environment no attempt claims; re-checked here, since a claim may have appeared."""
    if (
        Attempt.objects.filter(backend=backend_name, environment=environment)
        .exclude(status=Status.DESTROYED)
        .exists()
    ):
        return False
    get_backend(backend_name).destroy(environment)
    logger.info("reap removed orphaned %s environment %s", backend_name, environment)
    return True


# --- credentials ---------------------------------------------------------------------------------


def attempt_learner_kubeconfig(*, attempt: Attempt) -> str:
    """The learner's kubeconfig for a ready (or solved) attempt: a token of its `learner` ServiceAccount."""
    if attempt.status not in (Status.READY, Status.SOLVED) or not attempt.learner_kubeconfig:
        raise AttemptNotReady()
    return secrets.decrypt(attempt.learner_kubeconfig)
