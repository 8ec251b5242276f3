"""Hints, one at a time, and the reference solution once the attempt is solved."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F

from challenges.models import Attempt, AttemptEvent, HintUnlock, SolutionFile
from challenges.services.attempts import TIME_IS_UP


class HintError(Exception):
    """The hint or solution cannot be shown; the message says why, for the learner."""


def hint_unlock(*, attempt: Attempt, given_by: AbstractBaseUser | None = None) -> str:
    """Unlock the next hint and return it; each unlock is recorded with the attempt.

    `given_by`: an instructor who gives the learner the hint, at no cost to them, even where the
    learner may not take one themselves (an assessment without hints). The counter moves by a
    conditional update, so two quick presses unlock two hints, never the same one twice, and
    never more than the challenge has.
    """
    allowed = attempt.can_be_given_hints if given_by is not None else attempt.can_take_hints
    if attempt.is_frozen:
        raise HintError(TIME_IS_UP)
    if not allowed:
        raise HintError("Hints open while your environment is running.")
    hints = attempt.version.hints()
    index = attempt.hints_unlocked
    if index >= len(hints):
        raise HintError("You have seen every hint of this challenge.")
    given = 1 if given_by is not None else 0
    with transaction.atomic():
        moved = Attempt.objects.filter(pk=attempt.pk, hints_unlocked=index).update(
            hints_unlocked=index + 1, hints_given=F("hints_given") + given
        )
        if not moved:
            raise HintError("That hint was just unlocked: reload the page to see it.")
        try:
            HintUnlock.objects.create(attempt=attempt, index=index)
        except IntegrityError as exc:  # pragma: no cover - the update above already serialises
            raise HintError("That hint was just unlocked: reload the page to see it.") from exc
        how = "given by an instructor" if given else "unlocked"
        AttemptEvent.objects.create(
            attempt=attempt,
            kind=AttemptEvent.Kind.HINT,
            message=f"Hint {index + 1} of {len(hints)} {how}",
            actor_id=given_by.pk if given_by is not None else attempt.learner_id,
        )
        attempt.hints_unlocked = index + 1
        attempt.hints_given += given
        attempt.changed()  # the dashboard counts hints
    return hints[index]


def solution_visible(*, attempt: Attempt) -> bool:
    return attempt.solved_at is not None


def solution_files(*, attempt: Attempt) -> list[SolutionFile]:
    """The reference solution of the attempt's content version: only after it is solved."""
    if not solution_visible(attempt=attempt):
        raise HintError("The reference solution opens once you have solved the challenge.")
    return attempt.version.solution_files()
