"""Reads: the catalog and each learner's progress, derived from attempts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from challenges.models import LIVE_STATUSES, Attempt, Challenge, Status


def challenge_list(*, theme: str = "", difficulty: str = "", query: str = "") -> QuerySet[Challenge]:
    challenges = Challenge.objects.filter(published=True)
    if theme:
        challenges = challenges.filter(theme=theme)
    if difficulty:
        challenges = challenges.filter(difficulty=difficulty)
    if query:
        challenges = challenges.filter(Q(title__icontains=query) | Q(slug__icontains=query.replace(" ", "-")))
    return challenges.order_by("title")


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


def progress_by_challenge(*, learner: AbstractBaseUser | AnonymousUser) -> dict[int, Progress]:
    """Each challenge's progress for one learner, from their attempts, in one query."""
    progress: dict[int, Progress] = {}
    if not learner.is_authenticated:
        return progress
    attempts = Attempt.objects.filter(learner_id=learner.pk).order_by("created_at")
    for attempt in attempts:
        item = progress.setdefault(attempt.challenge_id, Progress())
        item.attempts += 1
        item.hints_used += attempt.hints_unlocked
        if attempt.status in LIVE_STATUSES and attempt.status != Status.SOLVED:
            item.live_attempt = attempt
        spent = attempt.time_to_solve
        if spent is not None:
            item.solved_count += 1
            item.best_time = spent if item.best_time is None else min(item.best_time, spent)
    for item in progress.values():
        if item.solved_count:
            item.status = ProgressStatus.SOLVED
        else:
            item.status = ProgressStatus.IN_PROGRESS
    return progress
