"""What a dashboard's poll sends: only what changed since the state the page shows.

The page holds a token: the classroom version it was built at and when. A poll with it reads
the cells changed since that version (Classroom.cells_changed_since: one indexed read) and the
cells that turned stuck with time alone since then (the environments under way, which the stats
bar reads anyway), and rebuilds only those cells, their rows' and columns' summaries and the
stats bar. The page swaps them in place (htmx out-of-band swaps) and re-sorts its rows in the
browser when sorted by progress (the rows carry their sort figures).

The whole grid is sent instead when the rows or columns changed (a learner joined, a challenge
was assigned: the layout version moved), when the token is unknown or too old to trust, when
more cells changed than a partial answer is worth, and, under the "stuck" filter, when a learner
joins or leaves the filtered rows (the page says which rows it shows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from classroom.dashboard.board import Column, Row, Stats, board_stats, grid_part, under_way
from classroom.dashboard.cells import Cell
from classroom.models import Classroom

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
