"""The instructor's dashboard: the whole page (sorting and the "stuck" filter), the stats bar,
and what a poll sends.

The whole page reads a fixed number of queries whatever the class size (grid.py) and counts its
stats bar from the cells it read (`grid_stats`); a poll, which rebuilds only a few cells, counts
it with queries of its own (`board_stats`) by the same rule, so that both show the same figures.

A poll sends only what changed since the state the page shows. The page holds a token: the
classroom version it was built at and when. A poll with it reads the cells changed since that
version (Classroom.cells_changed_since: one indexed read) and the cells that turned stuck with
time alone since then (the environments under way, which the stats bar reads anyway), and
rebuilds only those cells, their rows' and columns' summaries and the stats bar. The page swaps
them in place (htmx out-of-band swaps) and re-sorts its rows in the browser when sorted by
progress (the rows carry their sort figures).

The whole grid is sent instead when the rows or columns changed (a learner joined, a challenge
was assigned: the layout version moved), when the token is unknown or too old to trust, when
more cells changed than a partial answer is worth, and, under the "stuck" filter, when a learner
joins or leaves the filtered rows (the page says which rows it shows).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from challenges.models import ACTIVE_STATUSES, Attempt, Status
from classroom.dashboard.grid import Cell, Column, Row, grid_part, stuck_since
from classroom.models import Assignment, Classroom, Membership


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
    stats = grid_stats(rows=rows, columns=columns, now=now)
    if stuck_only:
        rows = [r for r in rows if r.stuck]
    if sort != Sort.NAME:
        rows.sort(key=lambda r: sort_key(sort, r))
    return Dashboard(classroom=classroom, columns=columns, rows=rows, stats=stats, generated_at=now)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while the whole grid is built and drawn (as a decorator:
    around the view's whole page, so that its objects are gone when it comes back on; a poll's
    few cells do not need it).

    A grid of 200 × 20 holds some 20,000 small objects at once (rows read, cells, lists), none
    in a reference cycle: reference counting frees them all when the request ends. With the
    collector on, every 2,000 of them it traverses them, promotes them to older generations, and
    every few pages runs a full collection over all of the process's long-lived objects (Django,
    the apps: some 150,000), which took ~100 ms here and made the page's p95 nearly twice its
    p50. Left as it was when it was off already (another caller paused it)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# --- the stats bar, and the cells under way (which also say when a cell turns stuck with time alone)


def class_attempts(classroom: Classroom) -> QuerySet[Attempt]:
    """The attempts of the classroom's learners at its assigned challenges (any other stays out)."""
    learner_ids = Membership.objects.filter(classroom=classroom).values("learner_id")
    challenge_ids = Assignment.objects.filter(classroom=classroom).values("challenge_id")
    return Attempt.objects.filter(learner_id__in=learner_ids, challenge_id__in=challenge_ids)


class UnderWay(NamedTuple):
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
        .order_by()  # any order: not the attempts' own, which would sort hundreds of rows for nothing
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


def grid_stats(*, rows: list[Row], columns: list[Column], now: datetime) -> Stats:
    """The stats bar of the whole grid, counted from its cells (no query of its own). The same
    rule as `board_stats`: a cell is active while its latest attempt is under way (an attempt
    gets its outcome as it leaves the active statuses, and a learner has one active attempt per
    challenge at most, their latest), and stuck as `under_way` says (cell_fold)."""
    stuck = frozenset(
        (row.learner.pk, cell.challenge_id) for row in rows if row.stuck for cell in row.cells if cell.stuck
    )
    return Stats(
        learners=len(rows),
        challenges=len(columns),
        solved_cells=sum(c.summary.solved for c in columns),
        active_cells=sum(c.summary.active for c in columns),
        stuck_learners=len({learner for learner, _ in stuck}),
        generated_at=now,
        stuck=stuck,
    )


# --- what a poll sends

# Past this many changed cells, the whole grid costs about as much as its parts.
MOST_CELLS = 400


@dataclass(frozen=True)
class Token:
    """What the page shows: the classroom at `version`, as of `at` (Unix seconds)."""

    version: int
    at: int

    def __str__(self) -> str:
        return f"{self.version}.{self.at}"

    @classmethod
    def parse(cls, text: str) -> Token | None:
        version, dot, at = text.partition(".")
        if not (dot and version.isdigit() and at.isdigit()) or len(text) > 40:
            return None
        return cls(version=int(version), at=int(at))

    @classmethod
    def of(cls, classroom: Classroom, now: datetime) -> Token:
        return cls(version=classroom.version, at=int(now.timestamp()))


@dataclass
class Delta:
    token: Token
    whole: bool = False  # send the whole grid
    cells: list[tuple[Row, Cell]] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    stats: Stats | None = None

    @property
    def empty(self) -> bool:
        return not (self.whole or self.rows or self.columns)


def dashboard_delta(
    *,
    classroom: Classroom,
    since: Token | None,
    now: datetime,
    stuck_only: bool = False,
    shown: set[int] | None = None,
) -> Delta:
    """What changed in the classroom's grid since `since` (see the module's docstring)."""
    token = Token.of(classroom, now)
    if (
        since is None
        or since.version < classroom.layout_version
        or since.version > classroom.version
        or since.at > token.at
    ):
        return Delta(token=token, whole=True)
    changed = classroom.cells_changed_since(since.version)
    going = under_way(classroom=classroom)
    changed |= {
        (c.learner_id, c.challenge_id)
        for c in going
        if c.stuck_at is not None and since.at < c.stuck_at.timestamp() <= token.at
    }
    if not changed:
        return Delta(token=token)
    if len(changed) > MOST_CELLS:
        return Delta(token=token, whole=True)
    learner_ids = {learner for learner, _ in changed}
    challenge_ids = {challenge for _, challenge in changed}
    part = grid_part(classroom=classroom, learner_ids=learner_ids, challenge_ids=challenge_ids, now=now)
    rows = [part.row(learner) for learner in part.learners if learner.pk in learner_ids]
    if stuck_only:
        shown = shown or set()
        if any(row.stuck != (row.learner.pk in shown) for row in rows):
            return Delta(token=token, whole=True)
        rows = [row for row in rows if row.learner.pk in shown]
    columns = [part.column(a) for a in part.assignments if a.challenge_id in challenge_ids]
    assigned = {a.challenge_id for a in part.assignments}
    cells = [
        (row, cell) for row in rows for cell in row.cells if (row.learner.pk, cell.challenge_id) in changed
    ]
    stats = board_stats(
        classroom=classroom, learners=len(part.learners), challenges=len(assigned), now=now, cells=going
    )
    return Delta(token=token, cells=cells, rows=rows, columns=columns, stats=stats)
