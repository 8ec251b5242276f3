"""What each cell adds to the stats bar, as its CellChange row records it for the polls: kept by
the writes (classroom.live.versions.cell_changed) and made whole from the grid (cells_rebuild)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from classroom.dashboard.grid import ACTIVE_STATES, Cell, CellState
from classroom.models import CellChange, Classroom

STATS_FIELDS = ("solved", "active", "stuck_at")


def cell_stats(cell: Cell) -> dict[str, Any]:
    """What a cell adds to the stats bar, as CellChange records it."""
    return {
        "solved": cell.state == CellState.SOLVED,
        "active": cell.state in ACTIVE_STATES,
        "stuck_at": cell.stuck_at,
    }


def cells_rebuild(classroom: Classroom, cells: Iterable[Cell]) -> None:
    """Make the classroom's cell records whole from its grid (`cells`: every cell, as folded
    after locking the classroom's row): after its rows or columns changed, or on its first
    dashboard. A cell new here is recorded at the layout version, which no poll reports as a
    change (a poll's page is at least that recent); learners gone and challenges unassigned go."""
    records = CellChange.objects.filter(classroom=classroom)
    records.update(solved=False, active=False, stuck_at=None)
    learner_ids = classroom.memberships.values("learner_id")
    challenge_ids = classroom.assignments.values("challenge_id")
    records.exclude(learner_id__in=learner_ids, challenge_id__in=challenge_ids).delete()
    CellChange.objects.bulk_create(
        [
            CellChange(
                classroom=classroom,
                learner_id=cell.learner_id,
                challenge_id=cell.challenge_id,
                version=classroom.layout_version,
                **cell_stats(cell),
            )
            for cell in cells
            if cell.attempts
        ],
        update_conflicts=True,
        unique_fields=["classroom", "learner", "challenge"],
        update_fields=list(STATS_FIELDS),
        batch_size=1000,
    )
    Classroom.objects.filter(pk=classroom.pk).update(cells_version=classroom.layout_version)
    classroom.cells_version = classroom.layout_version
