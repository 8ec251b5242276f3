"""An instructor's actions on a learner's environment: which are offered in which state, and
doing one. The attempt's lifecycle records each with the instructor as its actor."""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import User

from challenges.models import Attempt
from challenges.services import attempts, hints


class Action(StrEnum):
    EXTEND = "extend"
    RESET = "reset"
    END = "end"
    HINT = "hint"  # the next hint, given: it costs the learner nothing


def attempt_actions(*, attempt: Attempt) -> list[Action]:
    """What an instructor can do to a learner's attempt in its current state: the attempt's own
    rules, the same a learner's page follows (an extension stops at the same ceiling)."""
    offered = []
    if attempt.can_extend():
        offered.append(Action.EXTEND)
    if attempt.can_reset:
        offered.append(Action.RESET)  # a failed environment gets a fresh one, as the learner's Retry would
    if attempt.is_live:
        offered.append(Action.END)
    if attempt.is_active and attempt.hints_unlocked < len(attempt.version.hints()):
        offered.append(Action.HINT)
    return offered


def attempt_act(*, attempt: Attempt, action: Action, instructor: User) -> bool:
    """Do `action`; False when the state no longer allows it (already ended, at its time ceiling).

    A reset may raise challenges.services.attempts.AttemptError (no capacity, for one) with a
    message the instructor can read.
    """
    if action == Action.EXTEND:
        return attempts.attempt_extend(attempt=attempt, actor=instructor)
    if action == Action.RESET:
        attempts.attempt_reset(attempt=attempt, actor=instructor)
        return True
    if action == Action.HINT:
        try:
            hints.hint_unlock(attempt=attempt, given_by=instructor)
        except hints.HintError:
            return False
        return True
    return attempts.attempt_end(attempt=attempt, actor=instructor)
