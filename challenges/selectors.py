"""Reads: the catalog and each learner's progress, derived from attempts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from challenges import xp
from challenges.models import Attempt, Challenge, Difficulty


def challenge_list(*, theme: str = "", difficulty: str = "", query: str = "") -> QuerySet[Challenge]:
    challenges = Challenge.objects.filter(published=True)
    if theme:
        challenges = challenges.filter(theme=theme)
    if difficulty:
        challenges = challenges.filter(difficulty=difficulty)
    if query:
        challenges = challenges.filter(Q(title__icontains=query) | Q(slug__icontains=query.replace(" ", "-")))
    return challenges.order_by(Difficulty.rank(), "title")


class ProgressStatus(StrEnum):
    NOT_STARTED = "not-started"
    IN_PROGRESS = "in-progress"
    SOLVED = "solved"

    @property
    def label(self) -> str:
        return self.value.replace("-", " ").capitalize()


@dataclass
class Progress:
    status: ProgressStatus = ProgressStatus.NOT_STARTED
    attempts: int = 0
    hints_used: int = 0
    best_time: timedelta | None = None
    live_attempt: Attempt | None = None
    solved_count: int = 0
    xp: int = 0  # see challenges.xp


def progress_by_challenge(*, learner: AbstractBaseUser | AnonymousUser) -> dict[int, Progress]:
    """Each challenge's progress for one learner, from their attempts, in one query."""
    progress: dict[int, Progress] = {}
    if not learner.is_authenticated:
        return progress
    attempts = (
        Attempt.objects.filter(learner_id=learner.pk).select_related("challenge").order_by("created_at")
    )
    for attempt in attempts:
        item = progress.setdefault(attempt.challenge_id, Progress())
        item.attempts += 1
        item.hints_used += attempt.hints_unlocked
        if attempt.is_active:
            item.live_attempt = attempt
        spent = attempt.time_to_solve
        if spent is not None:
            item.solved_count += 1
            item.best_time = spent if item.best_time is None else min(item.best_time, spent)
            earned = xp.solve_xp(
                difficulty=attempt.challenge.difficulty,
                hints=attempt.hints_charged,
                first_attempt=item.attempts == 1,
            )
            item.xp = max(item.xp, earned)
    for item in progress.values():
        if item.solved_count:
            item.status = ProgressStatus.SOLVED
        else:
            item.status = ProgressStatus.IN_PROGRESS
    return progress


def learner_standing(*, progress: dict[int, Progress]) -> xp.Standing:
    """Total experience and rank, from progress_by_challenge()."""
    return xp.standing(sum(item.xp for item in progress.values()))


def attempt_xp(*, attempt: Attempt) -> int:
    """What one solved attempt is worth by itself (0 while unsolved): see challenges.xp."""
    if attempt.solved_at is None:
        return 0
    earlier = Attempt.objects.filter(
        learner_id=attempt.learner_id, challenge_id=attempt.challenge_id, created_at__lt=attempt.created_at
    )
    return xp.solve_xp(
        difficulty=attempt.challenge.difficulty,
        hints=attempt.hints_charged,
        first_attempt=not earlier.exists(),
    )
