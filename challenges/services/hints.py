"""Hints, one at a time, and the reference solution once the attempt is solved."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from challenges.models import Attempt, AttemptEvent, HintUnlock


class HintError(Exception):
    """The hint or solution cannot be shown; the message says why, for the learner."""


@dataclass(frozen=True)
class SolutionFile:
    name: str
    text: str


def hints_of(*, attempt: Attempt) -> list[str]:
    """The hints of the content version this attempt runs, in order."""
    challenge = attempt.version.definition.get("challenge") or {}
    return [str(hint) for hint in challenge.get("hints") or []]


def unlocked_hints(*, attempt: Attempt) -> list[str]:
    return hints_of(attempt=attempt)[: attempt.hints_unlocked]


def hint_unlock(*, attempt: Attempt) -> str:
    """Unlock the next hint and return it; each unlock is recorded with the attempt.

    The counter moves by a conditional update, so two quick presses unlock two hints, never
    the same one twice, and never more than the challenge has.
    """
    if not attempt.can_take_hints:
        raise HintError("Hints open while your environment is running.")
    hints = hints_of(attempt=attempt)
    index = attempt.hints_unlocked
    if index >= len(hints):
        raise HintError("You have seen every hint of this challenge.")
    with transaction.atomic():
        moved = Attempt.objects.filter(pk=attempt.pk, hints_unlocked=index).update(hints_unlocked=index + 1)
        if not moved:
            raise HintError("That hint was just unlocked: reload the page to see it.")
        try:
            HintUnlock.objects.create(attempt=attempt, index=index)
        except IntegrityError as exc:  # pragma: no cover - the update above already serialises
            raise HintError("That hint was just unlocked: reload the page to see it.") from exc
        AttemptEvent.objects.create(
            attempt=attempt,
            kind=AttemptEvent.Kind.HINT,
            message=f"Hint {index + 1} of {len(hints)} unlocked",
            actor=attempt.learner,
        )
    attempt.hints_unlocked = index + 1
    return hints[index]


def solution_visible(*, attempt: Attempt) -> bool:
    return attempt.solved_at is not None


def solution_files(*, attempt: Attempt) -> list[SolutionFile]:
    """The reference solution of the attempt's content version: only after it is solved."""
    if not solution_visible(attempt=attempt):
        raise HintError("The reference solution opens once you have solved the challenge.")
    return [
        SolutionFile(name=str(item.get("file", "")), text=str(item.get("text", "")))
        for item in attempt.version.definition.get("solution") or []
    ]
