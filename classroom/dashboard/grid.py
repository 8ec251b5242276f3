"""The dashboard's grid: one cell per learner and assigned challenge (what the learner's attempts
at it add up to), and the summaries of rows and columns.

Read without building model instances (a class of 200 × 20 has thousands of attempts): each
attempt as a tuple joined with the tally of its check runs, which CheckRun.finish keeps
(challenges.records.CheckTally), so no check run is read at all. `grid_part` reads the whole
grid or only some rows and columns, in three queries whatever the part.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

from django.contrib.auth.models import User
from django.db.models import Case, DateTimeField, F, Q, QuerySet, TextField, When
from django.db.models.functions import Cast, Coalesce

from challenges.models import WAITING_STATUSES, Attempt, Challenge, Outcome, Status
from classroom.models import Assignment, Classroom, Membership

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


def stuck_since(*, working_since: datetime, estimate_minutes: int, best_at: datetime | None) -> datetime:
    """When a working attempt becomes stuck if nothing else happens: past the challenge's
    estimate, with no better check for NO_PROGRESS_WINDOW (a check that improves moves it on)."""
    over = working_since + timedelta(minutes=estimate_minutes)
    return over if best_at is None else max(over, best_at + NO_PROGRESS_WINDOW)


@dataclass(slots=True)
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
    stuck_at: datetime | None = None  # when it is (or becomes) stuck with nothing else happening
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


# jsonb as text has no whitespace around it: raw_decode reads it in half json.loads' time.
_decode = json.JSONDecoder().raw_decode


def _failing(attempts: list[AttemptRow]) -> Mapping[str, int]:
    found = [a.failing for a in attempts if a.failing and a.failing != "{}"]
    if not found:
        return NOTHING_FAILED
    if len(found) == 1:
        return _decode(found[0])[0]
    counts: Counter[str] = Counter()
    for text in found:
        counts.update(_decode(text)[0])
    return counts


def cell_fold(cell: Cell, attempts: list[AttemptRow], now: datetime) -> Cell:
    """Fold a learner's attempts at one challenge (oldest first) into their cell."""
    cell.attempts = len(attempts)
    latest = attempts[-1]
    for attempt in attempts:
        cell.hints_used += attempt.hints_unlocked
        cell.check_runs += attempt.runs or 0
        if attempt.solved_at is not None:
            spent = attempt.spent
            if spent is not None and (cell.best_time is None or spent < cell.best_time):
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
        if cell.total:
            cell.state = CellState.CHECKING
        cell.working_since = since = latest.working_since
        if since is not None:
            cell.stuck_at = stuck_since(
                working_since=since,
                estimate_minutes=cell.challenge.estimated_minutes,
                best_at=latest.best_at if latest.best else None,
            )
            cell.stuck = now > cell.stuck_at
    return cell


# --- rows and columns


@dataclass
class Summary:
    """A row's or a column's figures."""

    solved: int = 0
    of: int = 0
    median_time: timedelta | None = None
    failing_title: str = ""  # the objective that failed most often
    failing_count: int = 0
    stuck: int = 0
    active: int = 0
    score: float = 0.0  # the cells' scores, summed


@dataclass
class Column:
    assignment: Assignment
    summary: Summary

    @property
    def challenge(self) -> Challenge:
        return self.assignment.challenge


@dataclass
class Row:
    learner: User
    cells: list[Cell]
    summary: Summary

    @property
    def score(self) -> float:
        # Rounded: the page sorts rows by it in the browser too (live.js), with the same figure.
        return round(self.summary.score, 6)

    @property
    def stuck(self) -> bool:
        return self.summary.stuck > 0


@dataclass
class Objectives:
    """The assigned challenges' objectives, by (challenge id, key): their titles and order."""

    titles: dict[tuple[int, str], str]
    order: dict[tuple[int, str], int]

    @classmethod
    def of(cls, challenges: Iterable[Challenge]) -> Objectives:
        titles, order = {}, {}
        for challenge in challenges:
            for i, objective in enumerate(challenge.objectives or []):
                key = (challenge.pk, objective.get("key", ""))
                titles[key] = objective.get("title") or key[1]
                order[key] = i
        return cls(titles=titles, order=order)


class _Tally:
    """A row's or a column's figures, counted as each cell is folded: one pass over the grid."""

    __slots__ = ("active", "failing", "score", "solved", "stuck", "times")

    def __init__(self) -> None:
        self.solved = self.active = self.stuck = 0
        self.score = 0.0
        self.times: list[timedelta] = []
        self.failing: Counter[tuple[int, str]] = Counter()

    def add(self, cell: Cell) -> None:
        self.score += cell.score
        if cell.state is CellState.SOLVED:
            self.solved += 1
            if cell.best_time is not None:
                self.times.append(cell.best_time)
        elif cell.state in ACTIVE_STATES:
            self.active += 1
        self.stuck += cell.stuck
        for key, count in cell.failing.items():
            self.failing[(cell.challenge_id, key)] += count

    def summary(self, of: int, objectives: Objectives) -> Summary:
        times = self.times
        median = timedelta(seconds=statistics.median(t.total_seconds() for t in times)) if times else None
        summary = Summary(self.solved, of, median, stuck=self.stuck, active=self.active, score=self.score)
        if self.failing:
            # Most failures first; ties go to the objective listed first in its challenge.
            (cid, key), count = min(
                self.failing.items(), key=lambda kv: (-kv[1], objectives.order.get(kv[0], 999), kv[0])
            )
            summary.failing_title = objectives.titles.get((cid, key), key)
            summary.failing_count = count
        return summary


@dataclass
class GridPart:
    """Some of a classroom's grid: every assignment and learner, the rows and columns asked for."""

    assignments: list[Assignment]
    learners: list[User]
    rows: dict[int, Row]  # by learner id
    columns: dict[int, Column]  # by challenge id

    def row(self, learner: User) -> Row:
        return self.rows[learner.pk]

    def column(self, assignment: Assignment) -> Column:
        return self.columns[assignment.challenge_id]


def grid_part(
    *,
    classroom: Classroom,
    learner_ids: Collection[int] | None = None,
    challenge_ids: Collection[int] | None = None,
    now: datetime,
) -> GridPart:
    """The given learners' rows and challenges' columns (None: all): three queries, whatever the part."""
    assignments = list(
        classroom.assignments.select_related("challenge")
        .defer("challenge__description", "challenge__initial_situation", "challenge__hints")
        .order_by("created_at", "pk")
    )
    learners = list(classroom.learners.only("id", "username").order_by("username", "pk"))
    # The challenges by the ids just read, not a subquery of a table too small to have statistics:
    # the planner then expects thousands of attempts, not a hundred, and hashes their tallies in.
    # (Not the learners: hundreds of ids would be as many parameters, interpolated one by one.)
    attempts = Attempt.objects.filter(
        learner_id__in=Membership.objects.filter(classroom=classroom).values("learner_id"),
        challenge_id__in=[a.challenge_id for a in assignments],
    )
    if learner_ids is not None or challenge_ids is not None:
        attempts = attempts.filter(
            Q(learner_id__in=list(learner_ids or ())) | Q(challenge_id__in=list(challenge_ids or ()))
        )
    by_pair: dict[tuple[int, int], list[AttemptRow]] = defaultdict(list)
    for row in attempt_rows(attempts):
        by_pair[(row.learner_id, row.challenge_id)].append(row)
    row_ids = set(learner_ids) if learner_ids is not None else None
    column_ids = set(challenge_ids) if challenge_ids is not None else None
    # The loop runs once per cell (4,000 for 200 × 20): ids and challenges are read out of the
    # model instances once, as their descriptors cost more than the rest of the loop.
    assigned = [(a.challenge_id, a.challenge) for a in assignments]
    column_tallies = {cid: _Tally() for cid, _ in assigned if column_ids is None or cid in column_ids}
    objectives = Objectives.of(a.challenge for a in assignments)
    in_columns = [(cid, challenge) for cid, challenge in assigned if cid in column_tallies]
    rows: dict[int, Row] = {}
    for learner in learners:
        learner_id = learner.pk
        tally = _Tally() if row_ids is None or learner_id in row_ids else None
        row_cells: list[Cell] = []
        for challenge_id, challenge in assigned if tally is not None else in_columns:
            column = column_tallies.get(challenge_id)
            cell = Cell(learner_id, challenge, challenge_id)
            row_cells.append(cell)
            found = by_pair.get((learner_id, challenge_id))
            if found is None:
                continue  # not started: it counts for nothing in the summaries
            cell_fold(cell, found, now)
            if tally is not None:
                tally.add(cell)
            if column is not None:
                column.add(cell)
        if tally is not None:
            rows[learner_id] = Row(learner, row_cells, tally.summary(len(assigned), objectives))
    columns = {
        a.challenge_id: Column(a, column_tallies[a.challenge_id].summary(len(learners), objectives))
        for a in assignments
        if a.challenge_id in column_tallies
    }
    return GridPart(assignments=assignments, learners=learners, rows=rows, columns=columns)
