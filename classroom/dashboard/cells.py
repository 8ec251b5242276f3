"""One cell of the dashboard: what a learner's attempts at one challenge add up to.

Read without building model instances (a class of 200 × 20 has thousands of attempts): each
attempt as a tuple joined with the tally of its check runs, which CheckRun.finish keeps
(challenges.records.CheckTally), so no check run is read at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

from django.db.models import QuerySet
from django.db.models.functions import Coalesce

from challenges.models import WAITING_STATUSES, Attempt, Challenge, Outcome, Status

# "Stuck": working for longer than the challenge's estimate, and the checks have not improved
# for this long (or never passed anything).
NO_PROGRESS_WINDOW = timedelta(minutes=10)


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

NOTHING_FAILED: Mapping[str, int] = MappingProxyType({})


class AttemptRow(NamedTuple):
    """The little of an attempt the grid needs, with its check tally (zeros: never checked)."""

    id: int
    learner_id: int
    challenge_id: int
    status: str
    started_at: datetime  # ready, or requested when it never got ready
    solved_at: datetime | None
    hints_unlocked: int
    outcome: str  # Attempt.outcome: set when it ended, kept after teardown
    runs: int | None = 0
    best: int | None = 0
    best_at: datetime | None = None
    total: int | None = 0
    latest: int | None = 0
    latest_total: int | None = 0
    failing: Mapping[str, int] | None = None

    @classmethod
    def of(cls, attempt: Attempt) -> AttemptRow:
        return cls(
            id=attempt.pk,
            learner_id=attempt.learner_id,
            challenge_id=attempt.challenge_id,
            status=attempt.status,
            started_at=attempt.ready_at or attempt.created_at,
            solved_at=attempt.solved_at,
            hints_unlocked=attempt.hints_unlocked,
            outcome=attempt.outcome,
        )


TALLY = ("tally__runs", "tally__best", "tally__best_at", "tally__total", "tally__latest")
FIELDS = (*AttemptRow._fields[:8], *TALLY, "tally__latest_total", "tally__failing")


def attempt_rows(attempts: QuerySet[Attempt]) -> Iterator[AttemptRow]:
    """The attempts, oldest first, as rows: one query, joined with their tallies."""
    rows = attempts.annotate(started_at=Coalesce("ready_at", "created_at"))
    return map(AttemptRow._make, rows.order_by("created_at", "pk").values_list(*FIELDS))


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


def stuck_since(*, working_since: datetime, estimate_minutes: int, best_at: datetime | None) -> datetime:
    """When a working attempt becomes stuck if nothing else happens: past the challenge's
    estimate, with no better check for NO_PROGRESS_WINDOW (a check that improves moves it on)."""
    over = working_since + timedelta(minutes=estimate_minutes)
    return over if best_at is None else max(over, best_at + NO_PROGRESS_WINDOW)


@dataclass
class Cell:
    learner_id: int
    challenge: Challenge
    challenge_id: int
    state: CellState = CellState.NOT_STARTED
    attempts: int = 0
    hints_used: int = 0
    check_runs: int = 0
    passed: int = 0
    total: int = 0
    best_time: timedelta | None = None
    solved_at: datetime | None = None
    working_since: datetime | None = None
    stuck: bool = False
    attempt_id: int | None = None  # the attempt the state comes from
    # How often each objective failed, over all the attempts' checks. Most cells have none,
    # so they share one empty, read-only mapping rather than thousands of Counters.
    failing: Mapping[str, int] = NOTHING_FAILED

    @property
    def percent(self) -> int:
        return round(100 * self.passed / self.total) if self.total else 0

    @property
    def score(self) -> float:
        """Progress in [0, 1]: solved is 1, a working attempt counts its passing checks."""
        if self.state == CellState.SOLVED:
            return 1.0
        if self.total:
            return 0.9 * self.passed / self.total
        return 0.0


def _failing(attempts: list[AttemptRow]) -> Mapping[str, int]:
    found: list[Mapping[str, Any]] = [a.failing for a in attempts if a.failing]
    if not found:
        return NOTHING_FAILED
    if len(found) == 1:
        return found[0]  # read only: one attempt's tally is the cell's
    counts: Counter[str] = Counter()
    for tally in found:
        counts.update(tally)
    return counts


def cell_fold(cell: Cell, attempts: list[AttemptRow], now: datetime) -> Cell:
    """Fold a learner's attempts at one challenge (oldest first) into their cell."""
    cell.attempts = len(attempts)
    latest = attempts[-1]
    for attempt in attempts:
        cell.hints_used += attempt.hints_unlocked
        cell.check_runs += attempt.runs or 0
        if attempt.solved_at is not None:
            spent = attempt.solved_at - attempt.started_at
            if cell.best_time is None or spent < cell.best_time:
                cell.best_time = spent
            cell.solved_at = cell.solved_at or attempt.solved_at
    cell.failing = _failing(attempts)
    if cell.solved_at is not None:
        # Solving is what counts: a later attempt at the same challenge is practice.
        cell.state = CellState.SOLVED
        cell.attempt_id = next(a.id for a in attempts if a.solved_at is not None)
        return cell
    cell.state = outcome(latest)
    cell.attempt_id = latest.id
    if latest.runs:
        # While the environment runs, the latest check; once it is over, the best it reached.
        running = latest.status == Status.READY
        cell.passed = (latest.latest if running else latest.best) or 0
        cell.total = (latest.latest_total if running else latest.total) or 0
    if cell.state == CellState.WORKING:
        cell.working_since = latest.started_at
        if cell.total:
            cell.state = CellState.CHECKING
        best_at = latest.best_at if latest.best else None
        became_stuck = stuck_since(
            working_since=latest.started_at,
            estimate_minutes=cell.challenge.estimated_minutes,
            best_at=best_at,
        )
        cell.stuck = now > became_stuck
    return cell
