"""The instructor's dashboard: a grid of learners × assigned challenges, the summary of each row
and column, the stats bar, sorting and the "stuck" filter.

The whole page reads a fixed number of queries whatever the class size: assignments,
memberships, and the attempts joined with their check tallies, folded in Python; the stats bar
has queries of its own (`board_stats`, at the end), shared with the poll, so that the whole page
and a poll that rebuilds only a few cells show the same figures by the same rule. A poll does
not come here for the whole grid: it reads the cells that changed and rebuilds only their rows
and columns (`grid_part`, see delta.py).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from challenges.models import ACTIVE_STATUSES, Attempt, Challenge, Status
from classroom.dashboard.cells import (
    ACTIVE_STATES,
    AttemptRow,
    Cell,
    CellState,
    attempt_rows,
    cell_fold,
    stuck_since,
)
from classroom.models import Assignment, Classroom, Membership


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
        return round(sum(c.score for c in self.cells), 6)

    @property
    def stuck(self) -> bool:
        return any(c.stuck for c in self.cells)


class Sort(StrEnum):
    NAME = "name"
    PROGRESS = "progress"  # most progress first
    NEEDS_HELP = "needs-help"  # least progress first


def sort_key(sort: Sort, row: Row) -> tuple[object, ...]:
    if sort == Sort.PROGRESS:
        return (-row.summary.solved, -row.score, row.learner.username)
    if sort == Sort.NEEDS_HELP:
        return (row.summary.solved, row.score, not row.stuck, row.learner.username)
    return (row.learner.username, row.learner.pk)


@dataclass
class Dashboard:
    classroom: Classroom
    columns: list[Column]
    rows: list[Row]
    stats: Stats
    generated_at: datetime


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


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    return timedelta(seconds=statistics.median(v.total_seconds() for v in values))


def _summarize(cells: Iterable[Cell], objectives: Objectives, of: int) -> Summary:
    summary = Summary(of=of)
    times: list[timedelta] = []
    failing: Counter[tuple[int, str]] = Counter()
    for cell in cells:
        if cell.state == CellState.SOLVED:
            summary.solved += 1
            if cell.best_time is not None:
                times.append(cell.best_time)
        elif cell.state in ACTIVE_STATES:
            summary.active += 1
        summary.stuck += cell.stuck
        if cell.failing:
            challenge_id = cell.challenge_id
            for key, count in cell.failing.items():
                failing[(challenge_id, key)] += count
    summary.median_time = _median(times)
    if failing:
        # Most failures first; ties go to the objective listed first in its challenge.
        (cid, key), count = min(
            failing.items(), key=lambda kv: (-kv[1], objectives.order.get(kv[0], 999), kv[0])
        )
        summary.failing_title = objectives.titles.get((cid, key), key)
        summary.failing_count = count
    return summary


@dataclass
class GridPart:
    """Some of a classroom's grid: every assignment and learner, the cells that were read."""

    assignments: list[Assignment]
    learners: list[User]
    cells: dict[tuple[int, int], Cell]  # (learner id, challenge id)
    objectives: Objectives

    def row(self, learner: User) -> Row:
        cells = [self.cells[(learner.pk, a.challenge_id)] for a in self.assignments]
        return Row(learner=learner, cells=cells, summary=_summarize(cells, self.objectives, len(cells)))

    def column(self, assignment: Assignment) -> Column:
        cells = (self.cells[(learner.pk, assignment.challenge_id)] for learner in self.learners)
        return Column(assignment=assignment, summary=_summarize(cells, self.objectives, len(self.learners)))


def grid_part(
    *,
    classroom: Classroom,
    learner_ids: Collection[int] | None = None,
    challenge_ids: Collection[int] | None = None,
    now: datetime,
) -> GridPart:
    """The cells of the given learners' rows and the given challenges' columns (None: all):
    three queries, whatever the part."""
    assignments = list(
        classroom.assignments.select_related("challenge")
        .defer("challenge__description", "challenge__initial_situation", "challenge__hints")
        .order_by("created_at", "pk")
    )
    learners = [
        m.learner
        for m in classroom.memberships.select_related("learner")
        .only("learner__id", "learner__username", "classroom_id")
        .order_by("learner__username", "learner__pk")
    ]
    attempts: QuerySet[Attempt] = class_attempts(classroom)
    if learner_ids is not None or challenge_ids is not None:
        attempts = attempts.filter(
            Q(learner_id__in=list(learner_ids or ())) | Q(challenge_id__in=list(challenge_ids or ()))
        )
    by_pair: dict[tuple[int, int], list[AttemptRow]] = defaultdict(list)
    for row in attempt_rows(attempts):
        by_pair[(row.learner_id, row.challenge_id)].append(row)
    rows = set(learner_ids) if learner_ids is not None else None
    columns = set(challenge_ids) if challenge_ids is not None else None
    cells: dict[tuple[int, int], Cell] = {}
    for learner in learners:
        whole_row = rows is None or learner.pk in rows
        for assignment in assignments:
            if not (whole_row or columns is None or assignment.challenge_id in columns):
                continue
            pair = (learner.pk, assignment.challenge_id)
            cell = Cell(
                learner_id=learner.pk, challenge=assignment.challenge, challenge_id=assignment.challenge_id
            )
            found = by_pair.get(pair)
            cells[pair] = cell_fold(cell, found, now) if found else cell
    return GridPart(
        assignments=assignments,
        learners=learners,
        cells=cells,
        objectives=Objectives.of(a.challenge for a in assignments),
    )


def dashboard(
    *,
    classroom: Classroom,
    sort: Sort = Sort.NAME,
    stuck_only: bool = False,
    now: datetime | None = None,
) -> Dashboard:
    now = now or timezone.now()
    part = grid_part(classroom=classroom, now=now)
    rows = [part.row(learner) for learner in part.learners]
    columns = [part.column(a) for a in part.assignments]
    stats = board_stats(classroom=classroom, learners=len(part.learners), challenges=len(columns), now=now)
    if stuck_only:
        rows = [r for r in rows if r.stuck]
    if sort != Sort.NAME:
        rows.sort(key=lambda r: sort_key(sort, r))
    return Dashboard(classroom=classroom, columns=columns, rows=rows, stats=stats, generated_at=now)


# --- the stats bar, and the cells under way (which also say when a cell turns stuck with time alone)


def class_attempts(classroom: Classroom) -> QuerySet[Attempt]:
    """The attempts of the classroom's learners at its assigned challenges (any other stays out)."""
    learner_ids = Membership.objects.filter(classroom=classroom).values("learner_id")
    challenge_ids = Assignment.objects.filter(classroom=classroom).values("challenge_id")
    return Attempt.objects.filter(learner_id__in=learner_ids, challenge_id__in=challenge_ids)


@dataclass(frozen=True)
class UnderWay:
    """A cell whose latest attempt is under way and not solved before: the cells that are
    provisioning or working, and the only ones that can be (or become) stuck."""

    learner_id: int
    challenge_id: int
    working: bool  # the environment is ready (not still on its way)
    stuck_at: datetime | None  # when it is (or becomes) stuck with nothing else happening


def under_way(*, classroom: Classroom) -> list[UnderWay]:
    """One query: the class's active attempts at challenges they have not solved, with the check
    tally and the challenge's estimate that say when each becomes stuck."""
    solved = Attempt.objects.filter(
        learner_id=OuterRef("learner_id"), challenge_id=OuterRef("challenge_id"), solved_at__isnull=False
    )
    rows = (
        class_attempts(classroom)
        .filter(status__in=ACTIVE_STATUSES)
        .filter(~Exists(solved))
        .values_list(
            "learner_id",
            "challenge_id",
            "status",
            "ready_at",
            "challenge__estimated_minutes",
            "tally__best",
            "tally__best_at",
        )
    )
    found = []
    for learner_id, challenge_id, status, ready_at, estimate, best, best_at in rows:
        stuck_at = None
        if status == Status.READY and ready_at is not None:
            stuck_at = stuck_since(
                working_since=ready_at, estimate_minutes=estimate, best_at=best_at if best else None
            )
        found.append(UnderWay(learner_id, challenge_id, stuck_at is not None, stuck_at))
    return found


@dataclass(frozen=True)
class Stats:
    learners: int
    challenges: int
    solved_cells: int
    active_cells: int
    stuck_learners: int
    generated_at: datetime
    stuck: frozenset[tuple[int, int]] = field(default_factory=frozenset)  # the stuck cells

    @property
    def cell_count(self) -> int:
        return self.learners * self.challenges


def board_stats(
    *,
    classroom: Classroom,
    learners: int,
    challenges: int,
    now: datetime,
    cells: list[UnderWay] | None = None,
) -> Stats:
    """The stats bar: two queries (one when the cells under way were read already)."""
    cells = under_way(classroom=classroom) if cells is None else cells
    stuck = frozenset(
        (c.learner_id, c.challenge_id) for c in cells if c.stuck_at is not None and now > c.stuck_at
    )
    solved = (
        class_attempts(classroom)
        .filter(solved_at__isnull=False)
        .values("learner_id", "challenge_id")
        .distinct()
        .count()
    )
    return Stats(
        learners=learners,
        challenges=challenges,
        solved_cells=solved,
        active_cells=len(cells),
        stuck_learners=len({learner for learner, _ in stuck}),
        generated_at=now,
        stuck=stuck,
    )
