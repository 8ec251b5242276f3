"""Attempts, as learners and instructors act on them: start, extend, end, reset, credentials.

Every state change is a conditional update (`Attempt.transition`): the caller that loses a race
does nothing, so a redelivered task or a second worker never provisions twice or brings a
destroyed environment back. Work for a worker is sent on commit (`delay_on_commit`); when the
broker cannot take it, it stays recorded and the sweep sends it later (see challenges.tasks).
Each service records an AttemptEvent; `actor` is the person who acted, when a person did.

The worker's side lives beside this: provisioning.py (create, fail, tear down), checks.py,
sweeping.py (the periodic sweep and reap).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from challenges import secrets, tasks
from challenges.models import LIVE_STATUSES as LIVE
from challenges.models import Attempt, AttemptEvent, Challenge, Outcome, Status
from challenges.services import pool
from challenges.services.leases import queue_deadline

Kind = AttemptEvent.Kind
# Starts, and the pool's refills, take turns on this PostgreSQL advisory lock between counting
# and inserting, so the per-learner limit and the capacity hold however many of them race.
STARTS_LOCK = 0x62667374  # "bfst"


# What the workspace says once the learner's time is up (Attempt.is_frozen).
TIME_IS_UP = "Time is up: your work has stopped, and the platform checks your environment one last time."


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


# --- start ---------------------------------------------------------------------------------------


def attempt_start(
    *,
    learner: AbstractBaseUser,
    challenge: Challenge,
    expires_at: datetime | None = None,
    hints_allowed: bool = True,
    freezes_at: datetime | None = None,
) -> Attempt:
    """Ask for an environment: a new attempt, provisioned by a worker once this commits.

    Pressing Start again (a double click, a second tab, a retry) while an attempt of the same
    challenge is active returns that one. Raises AttemptLimitReached, NoCapacity or
    ChallengeUnavailable. `expires_at`, `hints_allowed` and `freezes_at` are the rules of a
    sitting that starts it (a classroom's assessment); by default, the installation's time to
    live, and the learner's work stops when the environment ends.
    """
    return _start(
        learner=learner,
        challenge=challenge,
        actor=learner,
        expires_at=expires_at,
        hints_allowed=hints_allowed,
        freezes_at=freezes_at,
    )


def _active_of(learner: AbstractBaseUser, challenge: Challenge) -> Attempt | None:
    return Attempt.objects.active().filter(learner_id=learner.pk, challenge=challenge).first()


def take_turns() -> None:
    """Make concurrent Starts and refills take turns until the transaction ends (see STARTS_LOCK).

    On SQLite (development only) a write takes the database's single write lock, which does the
    same: the no-op update below is that write.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [STARTS_LOCK])
    else:
        Attempt.objects.filter(pk=-1).update(status=Status.REQUESTED)


def _check_limits(learner: AbstractBaseUser) -> None:
    if (
        Attempt.objects.active().filter(learner_id=learner.pk).count()
        >= settings.BREAKFIX_MAX_ACTIVE_PER_LEARNER
    ):
        raise AttemptLimitReached()


def _check_capacity() -> None:
    """A new environment needs room (a claim from the pool takes one that exists already). At
    capacity, the pool gives way first: its oldest ready environment goes, and the new one takes
    its place while it is torn down."""
    if Attempt.objects.live().count() < settings.BREAKFIX_CAPACITY:
        return
    spare = Attempt.objects.filter(pooled=True, status=Status.READY).order_by("ready_at").first()
    if spare is None or not attempt_expire(
        attempt=spare, message="Made room for a learner's environment.", pooled=True
    ):
        raise NoCapacity()


def _claim(
    learner: AbstractBaseUser,
    challenge: Challenge,
    expires_at: datetime,
    hints_allowed: bool,
    freezes_at: datetime | None,
) -> Attempt | None:
    """A ready environment from the pool, now the learner's; None to make a fresh one."""
    began = time.monotonic()
    try:
        with transaction.atomic():
            claimed = pool.pool_claim(
                learner=learner,
                challenge=challenge,
                expires_at=expires_at,
                hints_allowed=hints_allowed,
                freezes_at=freezes_at,
            )
            if claimed is None:
                return None
            return pool.pool_hand_over(claimed, learner, seconds=time.monotonic() - began)
    except pool.HandOverFailed:
        # The claim is undone with its savepoint; the environment is given up, not handed on.
        if claimed is not None:
            attempt_expire(
                attempt=claimed, message="Given up: its credentials could not be issued.", pooled=True
            )
        return None


def _start(
    *,
    learner: AbstractBaseUser,
    challenge: Challenge,
    actor: AbstractBaseUser | None,
    expires_at: datetime | None = None,
    hints_allowed: bool = True,
    freezes_at: datetime | None = None,
) -> Attempt:
    if not challenge.published:
        raise ChallengeUnavailable()
    existing = _active_of(learner, challenge)
    if existing is not None:
        return existing
    # A solved environment only waits out its grace period: it makes way for the next challenge.
    for solved in Attempt.objects.filter(learner_id=learner.pk, status=Status.SOLVED):
        attempt_end(attempt=solved, actor=actor, message=f"Ended to start {challenge.title}.")
    with transaction.atomic():
        # Count and insert in turn: of two racing Starts, the second counts the first's row.
        take_turns()
        existing = _active_of(learner, challenge)
        if existing is not None:
            return existing
        _check_limits(learner)
        now = timezone.now()
        expires_at = expires_at or now + timedelta(minutes=settings.BREAKFIX_TTL_MINUTES)
        claimed = _claim(learner, challenge, expires_at, hints_allowed, freezes_at)
        if claimed is not None:
            tasks.pool_refill.delay_on_commit()
            return claimed
        _check_capacity()
        try:
            with transaction.atomic():
                attempt = Attempt.objects.create(
                    learner_id=learner.pk,
                    challenge=challenge,
                    version=challenge.current_version,
                    backend=settings.BREAKFIX_BACKEND,
                    status=Status.REQUESTED,
                    expires_at=expires_at,
                    hints_allowed=hints_allowed,
                    freezes_at=freezes_at,
                    task_deadline=queue_deadline(now),
                )
        except IntegrityError:
            # The constraint (one active attempt per learner and challenge) holds even for a
            # writer that did not take turns: theirs is the attempt.
            existing = _active_of(learner, challenge)
            if existing is None:
                raise
            return existing
        attempt.record(Kind.REQUESTED, f"Environment requested for {challenge.title}.", actor)
        tasks.provision.delay_on_commit(attempt.pk)
    return attempt


# --- time, end, reset ----------------------------------------------------------------------------


def attempt_extend(*, attempt: Attempt, actor: AbstractBaseUser | None) -> bool:
    """Push the deadline by one extension (Attempt.extended_deadline: the same rule whoever asks).
    False when there is nothing left to extend."""
    deadline = attempt.extended_deadline()
    if deadline is None:
        return False
    changed = (
        Attempt.objects.active()
        .filter(pk=attempt.pk, expires_at=attempt.expires_at)
        .update(expires_at=deadline)
    )
    if not changed:
        return False
    attempt.refresh_from_db()
    attempt.record(Kind.EXTENDED, f"Extended until {deadline:%H:%M} UTC.", actor)
    return True


def attempt_end(*, attempt: Attempt, actor: AbstractBaseUser | None, message: str = "") -> bool:
    """End a live attempt; its environment is destroyed by a worker. False when it had ended already.

    Its outcome says who ended it: an instructor, or its learner (the platform ends an attempt
    only once it is solved, and a solved attempt keeps that outcome).
    """
    by_instructor = actor is not None and actor.pk != attempt.learner_id
    with transaction.atomic():
        if not attempt.transition(
            from_=LIVE,
            to=Status.ENDED,
            outcome=Outcome.ENDED_BY_INSTRUCTOR if by_instructor else Outcome.ENDED_BY_LEARNER,
            ended_at=timezone.now(),
            task_deadline=queue_deadline(),
        ):
            return False
        attempt.record(Kind.ENDED, message or "Environment ended.", actor)
        tasks.destroy.delay_on_commit(attempt.pk)
    return True


def attempt_expire(
    *, attempt: Attempt, message: str = "Time ran out: the environment was removed.", pooled: bool = False
) -> bool:
    """End a live attempt whose time is up; its environment is destroyed by a worker. False when
    it had ended already.

    `pooled`: the pool gives it up, so only while it is still the pool's: a Start may claim it
    between the pool choosing it and this update, and then it is a learner's environment."""
    now = timezone.now()
    with transaction.atomic():
        if not attempt.transition(
            Q(pooled=True) if pooled else None,
            from_=LIVE,
            to=Status.EXPIRED,
            outcome=Outcome.EXPIRED,
            ended_at=now,
            task_deadline=queue_deadline(now),
        ):
            return False
        attempt.record(Kind.EXPIRED, message)
        tasks.destroy.delay_on_commit(attempt.pk)
    return True


def start_refusal(*, learner: AbstractBaseUser, challenge: Challenge) -> str:
    """Why the learner may not start this challenge from the catalog now, "" when they may: the
    first reason of BREAKFIX_START_RULES (a setting, so that the classroom's rules reach here)."""
    for rule in settings.BREAKFIX_START_RULES:
        if refusal := import_string(rule)(learner=learner, challenge=challenge):
            return str(refusal)
    return ""


def attempt_reset(*, attempt: Attempt, actor: AbstractBaseUser | None) -> Attempt:
    """End this attempt (when live) and start a fresh one of the same challenge for the same learner.

    Not under a sitting's rules (`freezes_at`): the fresh one would have none of them (hints, its
    time), and the sitting counts its environments, so the learner ends it and starts again from
    the assessment's page."""
    if attempt.freezes_at is not None:
        raise AttemptError(
            "An assessment's environment is not reset: end it, then start again from the"
            " assessment's page (each start counts as one of its attempts)."
        )
    # A reset is a start: a practice environment is not renewed during a sitting either.
    if refusal := start_refusal(learner=attempt.learner, challenge=attempt.challenge):
        raise AttemptError(refusal)
    attempt_end(attempt=attempt, actor=actor, message="Ended by a reset.")
    fresh = _start(learner=attempt.learner, challenge=attempt.challenge, actor=actor)
    fresh.record(Kind.RESET, f"Fresh environment replacing attempt {attempt.pk}.", actor)
    return fresh


# --- credentials ---------------------------------------------------------------------------------


def attempt_learner_kubeconfig(*, attempt: Attempt) -> str:
    """The learner's kubeconfig while the environment runs: a token of its `learner` ServiceAccount."""
    if not attempt.is_workspace_open or not attempt.learner_kubeconfig:
        raise AttemptNotReady()
    return secrets.decrypt(attempt.learner_kubeconfig)
