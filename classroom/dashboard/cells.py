"""What each cell adds to the stats bar, as its CellChange row records it for the polls: kept by
the writes (classroom.live.versions.cell_changed) and made whole from the grid (cells_rebuild)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from challenges.models import Attempt, Challenge
from classroom.dashboard.attempts import ACTIVE_STATES, CellState, attempt_rows
from classroom.dashboard.grid import Cell, cell_fold
from classroom.models import CellChange, Classroom

STATS_FIELDS = ("solved", "active", "stuck_at")


def cell_of(*, learner_id: int, challenge: Challenge, now: datetime) -> Cell:
    """One learner's cell at one challenge on its own (one query), folded as the grid folds it:
    what a write records of it."""
    cell = Cell(learner_id, challenge, challenge.pk)
    attempts = list(attempt_rows(Attempt.objects.filter(learner_id=learner_id, challenge_id=challenge.pk)))
    return cell_fold(cell, attempts, now) if attempts else cell


def cell_stats(cell: Cell) -> dict[str, Any]:
    """What a cell adds to the stats bar, as CellChange records it."""
    return {
        "solved": cell.state == CellState.SOLVED,
        "active": cell.state in ACTIVE_STATES,
        "stuck_at": cell.stuck_at,
    }


# What a cell without a record adds: nothing.
NOTHING = {"solved": False, "active": False, "stuck_at": None}


def cells_rebuild(classroom: Classroom, cells: Iterable[Cell]) -> None:
    """Make the classroom's cell records whole from its grid (`cells`: every cell, as folded
    after locking the classroom's row): after its rows or columns changed, or on its first
    dashboard. Only the records that differ are written (after a learner joined, their cells;
    after new content, the challenge's); a cell new here is recorded at the layout version, which
    no poll reports as a change (a poll's page is at least that recent). Learners gone and
    challenges unassigned lose theirs."""
    records = CellChange.objects.filter(classroom=classroom)
    learner_ids = classroom.memberships.values("learner_id")
    challenge_ids = classroom.assignments.values("challenge_id")
    records.exclude(learner_id__in=learner_ids, challenge_id__in=challenge_ids).delete()
    recorded = records.values_list("learner_id", "challenge_id", *STATS_FIELDS)
    kept = {
        (learner_id, challenge_id): dict(zip(STATS_FIELDS, stats, strict=True))
        for learner_id, challenge_id, *stats in recorded
    }
    differing = [
        CellChange(
            classroom=classroom,
            learner_id=cell.learner_id,
            challenge_id=cell.challenge_id,
            version=classroom.layout_version,
            **stats,
        )
        for cell in cells
        if (stats := cell_stats(cell)) != kept.get((cell.learner_id, cell.challenge_id), NOTHING)
    ]
    if differing:
        # One statement on PostgreSQL whatever the count (SQLite's are batched by its limits).
        CellChange.objects.bulk_create(
            differing,
            update_conflicts=True,
            unique_fields=["classroom", "learner", "challenge"],
            update_fields=list(STATS_FIELDS),
        )
    Classroom.objects.filter(pk=classroom.pk).update(cells_version=classroom.layout_version)
    classroom.cells_version = classroom.layout_version
