"""The dashboard's grid: one cell per learner and assigned challenge (what the learner's attempts
at it add up to), and the summaries of rows and columns.

Read without building model instances (a class of 200 × 20 has thousands of attempts): each
attempt as a tuple joined with the tally of its check runs, which CheckRun.finish keeps
(challenges.records.CheckTally; attempts.py reads them), so no check run is read at all.
`grid_part` reads the whole grid or only some rows and columns, in three queries whatever the
part, and folds it in one pass: each cell once, added to its row's and its column's tally.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType

from django.contrib.auth.models import User
from django.db.models import Q

from challenges.models import Attempt, Challenge, Status
from classroom.dashboard.attempts import ACTIVE_STATES, AttemptRow, CellState, attempt_rows, outcome
from classroom.models import Assignment, Classroom, Membership

# "Stuck": working for longer than the challenge's estimate, and the checks have not improved
# for this long (or never passed anything).
NO_PROGRESS_WINDOW = timedelta(minutes=10)

NOTHING_FAILED: Mapping[str, int] = MappingProxyType({})


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


def _failing(texts: list[str]) -> Mapping[str, int]:
    if not texts:
        return NOTHING_FAILED
    if len(texts) == 1:
        return _decode(texts[0])[0]
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(_decode(text)[0])
    return counts


def cell_fold(cell: Cell, attempts: list[AttemptRow], now: datetime) -> Cell:
    """Fold a learner's attempts at one challenge (oldest first) into their cell."""
    # Run for thousands of cells per page: one pass, its sums in locals.
    hints = runs = 0
    failing: list[str] = []
    first_solved: AttemptRow | None = None
    best_time = None
    for attempt in attempts:
        hints += attempt.hints_unlocked
        runs += attempt.runs or 0
        if attempt.failing and attempt.failing != "{}":
            failing.append(attempt.failing)
        if attempt.solved_at is not None:
            first_solved = first_solved or attempt
            spent = attempt.spent
            if spent is not None and (best_time is None or spent < best_time):
                best_time = spent
    cell.attempts = len(attempts)
    cell.hints_used = hints
    cell.check_runs = runs
    cell.best_time = best_time
    cell.failing = _failing(failing)
    if first_solved is not None:
        # Solving is what counts: a later attempt at the same challenge is practice.
        cell.state = CellState.SOLVED
        cell.solved_at = first_solved.solved_at
        cell.attempt_id = first_solved.id
        return cell
    latest = attempts[-1]
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
        self.failing: dict[tuple[int, str], int] = {}

    def add(self, cell: Cell, score: float) -> None:
        # Run twice per cell (its row, its column): the cell's score is worked out once, by the
        # caller, and the failing objectives are counted with dict.get, not Counter's __missing__.
        self.score += score
        state = cell.state
        if state is CellState.SOLVED:
            self.solved += 1
            if cell.best_time is not None:
                self.times.append(cell.best_time)
        elif state in ACTIVE_STATES:
            self.active += 1
        if cell.stuck:
            self.stuck += 1
        if cell.failing:
            failing, challenge_id = self.failing, cell.challenge_id
            for key, count in cell.failing.items():
                failing[challenge_id, key] = failing.get((challenge_id, key), 0) + count

    def summary(self, of: int, objectives: Objectives) -> Summary:
        times = self.times
        median = timedelta(seconds=statistics.median(t.total_seconds() for t in times)) if times else None
        summary = Summary(self.solved, of, median, stuck=self.stuck, active=self.active, score=self.score)
        if self.failing:
            # Most failures first; ties go to the objective listed first in its challenge.
            count = max(self.failing.values())
            cid, key = min(
                (pair for pair, n in self.failing.items() if n == count),
                key=lambda pair: (objectives.order.get(pair, 999), pair),
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
            score = cell.score
            if tally is not None:
                tally.add(cell, score)
            if column is not None:
                column.add(cell, score)
        if tally is not None:
            rows[learner_id] = Row(learner, row_cells, tally.summary(len(assigned), objectives))
    columns = {
        a.challenge_id: Column(a, column_tallies[a.challenge_id].summary(len(learners), objectives))
        for a in assignments
        if a.challenge_id in column_tallies
    }
    return GridPart(assignments=assignments, learners=learners, rows=rows, columns=columns)
