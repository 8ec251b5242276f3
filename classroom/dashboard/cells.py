"""One cell of the dashboard: what a learner's attempts at one challenge add up to.

Read without building model instances (a class of 200 × 20 has thousands of attempts and check
runs): attempts as tuples, check runs as per-attempt aggregates computed by the database.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

from django.db.models import (
    Count,
    Max,
    Q,
    QuerySet,
    StringAgg,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Coalesce

from challenges.models import WAITING_STATUSES, Attempt, Challenge, CheckRun, Outcome, Status

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


class AttemptRow(NamedTuple):
    """The little of an attempt the grid needs."""

    id: int
    learner_id: int
    challenge_id: int
    status: str
    started_at: datetime  # ready, or requested when it never got ready
    solved_at: datetime | None
    ended_at: datetime | None
    hints_unlocked: int
    outcome: str  # Attempt.outcome: set when it ended, kept after teardown

    @classmethod
    def of(cls, attempt: Attempt) -> AttemptRow:
        return cls(
            id=attempt.pk,
            learner_id=attempt.learner_id,
            challenge_id=attempt.challenge_id,
            status=attempt.status,
            started_at=attempt.ready_at or attempt.created_at,
            solved_at=attempt.solved_at,
            ended_at=attempt.ended_at,
            hints_unlocked=attempt.hints_unlocked,
            outcome=attempt.outcome,
        )


def attempt_rows(attempts: QuerySet[Attempt]) -> Iterator[AttemptRow]:
    """The attempts, oldest first, as rows."""
    rows = attempts.annotate(started_at=Coalesce("ready_at", "created_at"))
    return map(AttemptRow._make, rows.order_by("created_at", "pk").values_list(*AttemptRow._fields))


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


NOTHING_FAILED: Mapping[str, int] = MappingProxyType({})
# Between the JSON texts of an attempt's failed runs as the database joins them: JSON text never
# holds a raw newline (it escapes one).
SETS_APART = "\n"


@dataclass
class Checks:
    """What an attempt's finished check runs add up to."""

    runs: int = 0
    passed: int = 0  # of the latest run while the environment runs, else the best
    total: int = 0
    best: int = 0
    best_at: datetime | None = None  # when the best count was first reached
    failing: Mapping[str, int] = NOTHING_FAILED  # objective key: the runs that found it failing


def _tally(failed: str, decoded: dict[str, list[str]]) -> Mapping[str, int]:
    """How many of the runs, joined as the database gave them, found each objective failing.
    A class has few distinct sets: `decoded` keeps each one's keys once read."""
    counts: Counter[str] = Counter()
    for text, runs in Counter(failed.split(SETS_APART)).items():
        keys = decoded.get(text)
        if keys is None:
            keys = decoded[text] = json.loads(text)
        for key in keys:
            counts[key] += runs
    return counts


def check_aggregates(attempts: QuerySet[Attempt]) -> dict[int, Checks]:
    """Per attempt: its finished checks, the best and (while its environment runs) the latest
    result, and how often each objective failed.

    Two queries of a row per attempt or fewer. The database adds up each attempt's finished runs,
    and joins the sets of objectives its failed runs found failing (each run stored its set, as
    JSON, when it finished). Then the runs of environments still running (a few per learner at
    most) give the latest result.
    """
    done = CheckRun.objects.filter(attempt_id__in=attempts.values("pk"), state=CheckRun.State.DONE)
    checks: dict[int, Checks] = {}
    totals = (
        done.order_by()
        .values("attempt_id")
        .annotate(
            runs=Count("pk"),
            best=Max("passed_count"),
            most=Max("total"),
            failed=StringAgg(
                Cast("failed_objectives", TextField()), delimiter=Value(SETS_APART), filter=Q(passed=False)
            ),
        )
        .values_list("attempt_id", "runs", "best", "most", "failed")
    )
    tallies: dict[str, Mapping[str, int]] = {}
    decoded: dict[str, list[str]] = {}
    for attempt_id, runs, best, most, failed in totals:
        item = checks[attempt_id] = Checks(runs=runs, passed=best, total=most, best=best)
        if failed:
            # Many attempts failed alike (one run that missed the same objective, say): they
            # share one tally, which is only ever read.
            tally = tallies.get(failed)
            if tally is None:
                tally = tallies[failed] = _tally(failed, decoded)
            item.failing = tally
    running = (
        done.filter(attempt__status=Status.READY)
        .order_by("created_at", "pk")
        .values_list("attempt_id", "passed_count", "total", "created_at")
    )
    for attempt_id, passed_count, total, created_at in running:
        item = checks[attempt_id]
        item.passed, item.total = passed_count, total
        if item.best_at is None and item.best > 0 and passed_count == item.best:
            item.best_at = created_at
    return checks


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


def cell_fold(cell: Cell, attempts: list[AttemptRow], checks: dict[int, Checks], now: datetime) -> Cell:
    """Fold a learner's attempts at one challenge (oldest first) into their cell."""
    cell.attempts = len(attempts)
    latest = attempts[-1]
    failing: Counter[str] | None = None
    for attempt in attempts:
        cell.hints_used += attempt.hints_unlocked
        result = checks.get(attempt.id)
        if result is not None:
            cell.check_runs += result.runs
            if result.failing:
                failing = failing if failing is not None else Counter()
                failing.update(result.failing)
        if attempt.solved_at is not None:
            spent = attempt.solved_at - attempt.started_at
            if cell.best_time is None or spent < cell.best_time:
                cell.best_time = spent
            cell.solved_at = cell.solved_at or attempt.solved_at
    if failing is not None:
        cell.failing = failing
    if cell.solved_at is not None:
        # Solving is what counts: a later attempt at the same challenge is practice.
        cell.state = CellState.SOLVED
        cell.attempt_id = next(a.id for a in attempts if a.solved_at is not None)
        return cell
    cell.state = outcome(latest)
    cell.attempt_id = latest.id
    latest_checks = checks.get(latest.id)
    if latest_checks is not None:
        cell.passed, cell.total = latest_checks.passed, latest_checks.total
    if cell.state == CellState.WORKING:
        cell.working_since = latest.started_at
        if latest_checks is not None and latest_checks.total:
            cell.state = CellState.CHECKING
        over_estimate = now - cell.working_since > timedelta(minutes=cell.challenge.estimated_minutes)
        progressed_at = latest_checks.best_at if latest_checks is not None else None
        no_progress = progressed_at is None or now - progressed_at > NO_PROGRESS_WINDOW
        cell.stuck = over_estimate and no_progress
    return cell
