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
from datetime import UTC, datetime
from enum import StrEnum

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from classroom.dashboard.cells import cells_rebuild
from classroom.dashboard.grid import Cell, Column, GridPart, Row, grid_part
from classroom.models import CellChange, Classroom


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
    if classroom.cells_version == classroom.layout_version:
        part = grid_part(classroom=classroom, now=now)
    else:
        part = _grid_recorded(classroom, now)
    rows = [part.row(learner) for learner in part.learners]
    columns = [part.column(a) for a in part.assignments]
    stats = grid_stats(rows=rows, columns=columns, now=now)
    if stuck_only:
        rows = [r for r in rows if r.stuck]
    if sort != Sort.NAME:
        rows.sort(key=lambda r: sort_key(sort, r))
    return Dashboard(classroom=classroom, columns=columns, rows=rows, stats=stats, generated_at=now)


def _grid_recorded(classroom: Classroom, now: datetime) -> GridPart:
    """The whole grid, its cells recorded for the polls' stats bar (cells.cells_rebuild): the
    first dashboard after the class's rows or columns changed. Read with the classroom's row
    held, as the writes that record a cell hold it, so that none is recorded in between."""
    with transaction.atomic():
        locked = Classroom.objects.select_for_update().get(pk=classroom.pk)
        part = grid_part(classroom=locked, now=now)
        cells_rebuild(locked, (cell for row in part.rows.values() for cell in row.cells))
    classroom.cells_version = locked.cells_version
    return part


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


# --- the stats bar, and the cells that turn stuck with time alone


@dataclass(frozen=True)
class Stats:
    learners: int
    challenges: int
    solved_cells: int
    active_cells: int
    stuck_learners: int
    generated_at: datetime

    @property
    def cell_count(self) -> int:
        return self.learners * self.challenges


def board_stats(*, classroom: Classroom, learners: int, challenges: int, now: datetime) -> Stats:
    """The stats bar, counted by the database from the cells' records (CellChange): one query
    over one narrow row per cell with attempts, rather than every attempt of the class."""
    counts = CellChange.objects.filter(classroom=classroom).aggregate(
        solved=Count("pk", filter=Q(solved=True)),
        active=Count("pk", filter=Q(active=True)),
        stuck=Count("learner_id", distinct=True, filter=Q(stuck_at__lt=now)),
    )
    return Stats(
        learners=learners,
        challenges=challenges,
        solved_cells=counts["solved"],
        active_cells=counts["active"],
        stuck_learners=counts["stuck"],
        generated_at=now,
    )


def turned_stuck(*, classroom: Classroom, since: datetime, until: datetime) -> set[tuple[int, int]]:
    """The cells that turned stuck with time alone in [since, until): one indexed read."""
    return set(
        CellChange.objects.filter(classroom=classroom, stuck_at__gte=since, stuck_at__lt=until).values_list(
            "learner_id", "challenge_id"
        )
    )


def grid_stats(*, rows: list[Row], columns: list[Column], now: datetime) -> Stats:
    """The stats bar of the whole grid, counted from its cells (no query of its own). The same
    rule as `board_stats`, whose records are these cells' (cells.cell_stats): a cell is active
    while its latest attempt is under way, and stuck as cell_fold says."""
    return Stats(
        learners=len(rows),
        challenges=len(columns),
        solved_cells=sum(c.summary.solved for c in columns),
        active_cells=sum(c.summary.active for c in columns),
        stuck_learners=sum(row.stuck for row in rows),
        generated_at=now,
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
    changed |= turned_stuck(
        classroom=classroom,
        since=datetime.fromtimestamp(since.at, UTC),
        until=datetime.fromtimestamp(token.at, UTC),
    )
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
    stats = board_stats(classroom=classroom, learners=len(part.learners), challenges=len(assigned), now=now)
    return Delta(token=token, cells=cells, rows=rows, columns=columns, stats=stats)
