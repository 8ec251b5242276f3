"""An attempt as the dashboard reads it (AttemptRow: a tuple joined with its check tally, no
model instance), and the state it shows in a cell (CellState, `outcome`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from django.db.models import Case, DateTimeField, F, Q, QuerySet, TextField, When
from django.db.models.functions import Cast, Coalesce

from challenges.models import WAITING_STATUSES, Attempt, Outcome, Status


class CellState(StrEnum):
    NOT_STARTED = "not-started"
    PROVISIONING = "provisioning"
    WORKING = "working"
    CHECKING = "checking"  # working, and the checks pass N of M
    SOLVED = "solved"
    FAILED = "failed"
    EXPIRED = "expired"
    ENDED = "ended"


# The states in which a learner is at work on the challenge right now.
ACTIVE_STATES = (CellState.PROVISIONING, CellState.WORKING, CellState.CHECKING)


class AttemptRow(NamedTuple):
    """The little of an attempt the grid needs, with its check tally (zeros: never checked). Of
    thousands of attempts, each value read costs a conversion: times are read only where the grid
    uses them, the failing objectives as JSON text, decoded only where something failed."""

    id: int
    learner_id: int
    challenge_id: int
    status: str
    solved_at: datetime | None
    spent: timedelta | None  # from ready (or requested when it never got ready) to solved
    hints_unlocked: int
    outcome: str  # Attempt.outcome: set when it ended, kept after teardown
    working_since: datetime | None = None  # ready (or requested), while the status is READY
    runs: int | None = 0
    best: int | None = 0
    best_at: datetime | None = None  # while the status is READY
    total: int | None = 0
    latest: int | None = 0
    latest_total: int | None = 0
    failing: str | None = None  # the tally's JSON: objective key → runs it failed in

    @classmethod
    def of(cls, attempt: Attempt) -> AttemptRow:
        started_at = attempt.ready_at or attempt.created_at
        return cls(
            id=attempt.pk,
            learner_id=attempt.learner_id,
            challenge_id=attempt.challenge_id,
            status=attempt.status,
            solved_at=attempt.solved_at,
            spent=attempt.solved_at - started_at if attempt.solved_at else None,
            hints_unlocked=attempt.hints_unlocked,
            outcome=attempt.outcome,
            working_since=started_at if attempt.status == Status.READY else None,
        )


TALLY = ("tally__runs", "tally__best", "best_at_running", "tally__total", "tally__latest")
FIELDS = (*AttemptRow._fields[:9], *TALLY, "tally__latest_total", "failing_text")


def attempt_rows(attempts: QuerySet[Attempt]) -> Iterator[AttemptRow]:
    """The attempts, oldest first, as rows: one query, joined with their tallies."""
    started_at = Coalesce("ready_at", "created_at")
    running = Q(status=Status.READY)
    rows = attempts.annotate(
        spent=F("solved_at") - started_at,
        working_since=Case(When(running, then=started_at), output_field=DateTimeField()),
        best_at_running=Case(When(running, then=F("tally__best_at")), output_field=DateTimeField()),
        failing_text=Cast("tally__failing", TextField()),
    ).order_by("created_at", "pk")
    return map(AttemptRow._make, rows.values_list(*FIELDS))


# What each outcome shows as; an attempt with none is still under way.
OUTCOME_STATES = {
    Outcome.SOLVED: CellState.SOLVED,
    Outcome.FAILED: CellState.FAILED,
    Outcome.EXPIRED: CellState.EXPIRED,
    Outcome.ENDED_BY_LEARNER: CellState.ENDED,
    Outcome.ENDED_BY_INSTRUCTOR: CellState.ENDED,
}


def outcome(attempt: AttemptRow) -> CellState:
    """What an attempt came to: its outcome once it has one, else how far it got."""
    if attempt.solved_at is not None:
        return CellState.SOLVED
    if attempt.outcome:
        return OUTCOME_STATES[Outcome(attempt.outcome)]
    if attempt.status in WAITING_STATUSES:
        return CellState.PROVISIONING
    if attempt.status == Status.READY:
        return CellState.WORKING
    return CellState.ENDED
