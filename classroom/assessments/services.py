"""Assessments: scheduling one, a learner's sitting (starting its challenges), the time an
instructor adds, ending it early, and closing each sitting: the last check of every open
environment, the environments ended, the results scored.

A sitting's attempts freeze at its deadline (the learner's work stops: Attempt.freezes_at) and
expire just after it (CLOSE_SLACK), so even a sitting no worker closes cannot keep an
environment; closing comes first, every sweep (classroom.tasks).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from challenges.models import Attempt, Challenge, CheckRun, Status
from challenges.services import attempts, checks
from classroom import tasks
from classroom.assessments.scoring import score_of
from classroom.models import Assessment, Classroom, Extension, Result, Sitting

# A sitting's environments outlive its deadline by this much, for its last check.
CLOSE_SLACK = timedelta(minutes=2)
# A closing whose worker stopped is taken over after this long.
CLAIM_SECONDS = 120
MOST_EXTRA_MINUTES = 240


class AssessmentError(Exception):
    """What cannot be done; the message is what the person reads."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def assessment_create(
    *,
    classroom: Classroom,
    by: AbstractBaseUser,
    title: str,
    challenges: Iterable[Challenge],
    starts_at: datetime,
    ends_at: datetime,
    duration_minutes: int | None = None,
    hints_allowed: bool = False,
    hint_penalty_percent: int = 10,
    show_solution: bool = True,
    max_attempts: int = 2,
) -> Assessment:
    chosen = list(challenges)
    assigned = set(classroom.assignments.values_list("challenge_id", flat=True))
    if not chosen:
        raise AssessmentError("Choose at least one challenge.")
    if any(c.pk not in assigned for c in chosen):
        raise AssessmentError("An assessment's challenges are the classroom's assigned challenges.")
    if ends_at <= starts_at:
        raise AssessmentError("The end must come after the start.")
    if ends_at <= timezone.now():
        raise AssessmentError("The end is in the past.")
    window = int((ends_at - starts_at).total_seconds()) // 60
    if duration_minutes is not None and not 1 <= duration_minutes <= window:
        raise AssessmentError(
            f"Each learner's time ({duration_minutes} min) must be between 1 minute and the window"
            f" ({window} min): leave it blank for everyone to work until the end."
        )
    with transaction.atomic():
        assessment = Assessment.objects.create(
            classroom=classroom,
            title=title.strip(),
            starts_at=starts_at,
            ends_at=ends_at,
            duration_minutes=duration_minutes,
            hints_allowed=hints_allowed,
            hint_penalty_percent=hint_penalty_percent,
            show_solution=show_solution,
            max_attempts=max_attempts,
            created_by_id=by.pk,
        )
        assessment.challenges.set(chosen)
    return assessment


def sitting_of(*, assessment: Assessment, learner: AbstractBaseUser) -> Sitting | None:
    """The learner's sitting as it stands, begun or not; None when there is none."""
    return Sitting.objects.filter(assessment=assessment, learner_id=learner.pk).first()


def may_begin(*, assessment: Assessment, sitting: Sitting | None, now: datetime | None = None) -> bool:
    """Whether the learner may begin now: the window is open (for them: with the time an
    instructor added) and they have not begun."""
    now = now or timezone.now()
    if sitting is not None:
        return not sitting.has_begun and sitting.is_open(now)
    return assessment.is_window_open(now)


def sitting_open(*, assessment: Assessment, learner: AbstractBaseUser) -> Sitting | None:
    """The learner's sitting, begun the first time they open the assessment while it runs (their
    own time starts here when it has a duration); None before it starts, and after it is over for
    a learner who never began."""
    existing = sitting_of(assessment=assessment, learner=learner)
    if existing is not None and existing.has_begun:
        return existing
    now = timezone.now()
    if not may_begin(assessment=assessment, sitting=existing, now=now):
        return existing
    sitting, _ = Sitting.objects.get_or_create(
        assessment=assessment, learner_id=learner.pk, defaults={"opened_at": now}
    )
    # Made earlier by an extension, or by a click racing this one: the first to begin sets it.
    Sitting.objects.filter(pk=sitting.pk, opened_at__isnull=True).update(opened_at=now)
    sitting.refresh_from_db()
    return sitting


def sitting_start(*, sitting: Sitting, challenge: Challenge) -> Attempt:
    """An environment for one of the assessment's challenges, under the assessment's rules.

    A practice environment of the same challenge is ended first: what is graded starts from the
    broken state. Pressing Start again returns the sitting's environment while it is active.
    """
    assessment = sitting.assessment
    if not sitting.has_begun or not sitting.is_open():
        raise AssessmentError("This assessment is not open: its challenges cannot be started now.")
    if not assessment.challenges.filter(pk=challenge.pk).exists():
        raise AssessmentError("That challenge is not part of this assessment.")
    mine = sitting.attempts.filter(challenge=challenge)
    current = mine.active().first()
    if current is not None:
        return current
    if mine.count() >= assessment.max_attempts:
        raise AssessmentError(
            f"You have used the {assessment.max_attempts} environments this assessment allows"
            f" for {challenge.title}."
        )
    for practice in Attempt.objects.active().filter(learner_id=sitting.learner_id, challenge=challenge):
        attempts.attempt_end(
            attempt=practice, actor=None, message=f"Ended: {assessment.title} starts a fresh environment."
        )
    try:
        attempt = attempts.attempt_start(
            learner=sitting.learner,
            challenge=challenge,
            expires_at=sitting.deadline + CLOSE_SLACK,
            hints_allowed=assessment.hints_allowed,
            freezes_at=sitting.deadline,
        )
    except attempts.AttemptError as exc:
        raise AssessmentError(exc.message) from exc
    sitting.attempts.add(attempt)
    return attempt


def assessment_start(*, assessment: Assessment, learner: AbstractBaseUser, slug: str) -> Attempt:
    """A learner's Start on the assessment's page: their sitting (opened if need be), then the challenge."""
    challenge = assessment.challenges.filter(slug=slug).first()
    if challenge is None:
        raise AssessmentError("That challenge is not part of this assessment.")
    sitting = sitting_open(assessment=assessment, learner=learner)
    if sitting is None:
        raise AssessmentError("This assessment is not open: its challenges cannot be started now.")
    return sitting_start(sitting=sitting, challenge=challenge)


def start_refusal(*, learner: AbstractBaseUser, challenge: Challenge) -> str:
    """BREAKFIX_START_RULES: why a learner may not start a challenge from the catalog now ("" when
    they may). During a sitting only its challenges open, and only from the assessment's page."""
    now = timezone.now()
    for sitting in Sitting.objects.filter(
        learner_id=learner.pk, closed_at__isnull=True, opened_at__isnull=False
    ).select_related("assessment"):
        if sitting.is_open(now):
            return (
                f"You are taking {sitting.assessment.title} until {sitting.deadline:%H:%M} UTC:"
                " only its challenges open now, from the assessment's page."
            )
    return ""


def sitting_extend(
    *, assessment: Assessment, learner: AbstractBaseUser, minutes: int, reason: str, by: AbstractBaseUser
) -> Sitting:
    """More time for one learner (a sitting of their own, opened if they have none yet), recorded
    with why; their environments get it too."""
    if not 1 <= minutes <= MOST_EXTRA_MINUTES:
        raise AssessmentError(f"Add between 1 and {MOST_EXTRA_MINUTES} minutes.")
    if not reason.strip():
        raise AssessmentError("Say why: the reason is kept with the results.")
    with transaction.atomic():
        sitting, _ = Sitting.objects.get_or_create(assessment=assessment, learner_id=learner.pk)
        if not Sitting.objects.filter(pk=sitting.pk, closed_at__isnull=True, closing_at__isnull=True).update(
            extra_minutes=F("extra_minutes") + minutes
        ):
            raise AssessmentError("This sitting has closed: its results are in.")
        Extension.objects.create(sitting=sitting, minutes=minutes, reason=reason.strip(), granted_by_id=by.pk)
        sitting.refresh_from_db()
        sitting.attempts.active().update(
            expires_at=sitting.deadline + CLOSE_SLACK, freezes_at=sitting.deadline
        )
    return sitting


def assessment_end_now(*, assessment: Assessment) -> bool:
    """Close every sitting now; False when it had been ended already."""
    now = timezone.now()
    if not Assessment.objects.filter(pk=assessment.pk, ended_at__isnull=True).update(ended_at=now):
        return False
    assessment.ended_at = now
    # Every learner's work stops now, before a worker gets to close their sittings.
    sat = Sitting.attempts.through.objects.filter(sitting__assessment=assessment).values("attempt_id")
    Attempt.objects.filter(pk__in=sat).active().update(freezes_at=now)
    tasks.close_sittings.delay_on_commit()
    return True


def due_sittings(now: datetime | None = None) -> Iterator[Sitting]:
    """The sittings past their deadline that nobody is closing (or whose closer stopped)."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=CLAIM_SECONDS)
    candidates = (
        Sitting.objects.select_related("assessment")
        .filter(closed_at__isnull=True)
        .filter(Q(closing_at__isnull=True) | Q(closing_at__lt=stale))
        .filter(
            Q(assessment__ended_at__isnull=False)
            | Q(assessment__ends_at__lte=now)
            # A learner's own time may run out before the end (the deadline below decides).
            | Q(assessment__duration_minutes__isnull=False, opened_at__isnull=False)
        )
    )
    return (sitting for sitting in candidates if sitting.deadline <= now)


def sitting_close(*, sitting: Sitting) -> bool:
    """Check every open environment one last time, end them, and score each challenge.
    False when another worker is closing it or it is closed."""
    now = timezone.now()
    stale = now - timedelta(seconds=CLAIM_SECONDS)
    claimed = (
        Sitting.objects.filter(pk=sitting.pk, closed_at__isnull=True)
        .filter(Q(closing_at__isnull=True) | Q(closing_at__lt=stale))
        .update(closing_at=now)
    )
    if not claimed:
        return False
    assessment = sitting.assessment
    for attempt in sitting.attempts.select_related("version", "challenge"):
        if attempt.status == Status.READY:
            checks.attempt_check_now(attempt=attempt, message=f"The last check: {assessment.title} ended.")
        attempts.attempt_expire(
            attempt=attempt, message=f"{assessment.title} ended: the environment was checked and removed."
        )
    for challenge in assessment.challenges.all():
        _score(sitting, challenge)
    Sitting.objects.filter(pk=sitting.pk).update(closed_at=timezone.now())
    return True


def _score(sitting: Sitting, challenge: Challenge) -> Result:
    """The best finished check of the sitting's environments at this challenge, as its result;
    with none, a zero of the version last started (or the current one), every objective failed."""
    assessment = sitting.assessment
    candidates = list(sitting.attempts.filter(challenge=challenge).select_related("version"))
    runs = CheckRun.objects.filter(
        attempt__in=candidates, state=CheckRun.State.DONE, created_at__lte=sitting.deadline + CLOSE_SLACK
    ).order_by("created_at")
    by_id = {a.pk: a for a in candidates}

    def scored(run: CheckRun | None, attempt: Attempt | None) -> dict[str, Any]:
        version = attempt.version if attempt is not None else challenge.current_version
        hints = attempt.hints_charged if run is not None and attempt is not None else 0
        found = score_of(
            titles=[(o.key, o.title) for o in version.objectives()],
            weights=version.objective_weights(),
            results=run.results if run is not None else [],
            hints_used=hints,
            hint_penalty_percent=assessment.hint_penalty_percent,
        )
        return {
            "version": version,
            "attempt": attempt,
            "check_run": run,
            "score": found.score,
            "hints_used": hints,
            "objectives": found.objectives,
        }

    # The first of the best, in the order they were run.
    best = max((scored(run, by_id[run.attempt_id]) for run in runs), key=lambda f: f["score"], default=None)
    fields = best or scored(None, candidates[-1] if candidates else None)
    result, _ = Result.objects.update_or_create(sitting=sitting, challenge=challenge, defaults=fields)
    return result
