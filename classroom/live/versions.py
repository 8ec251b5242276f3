"""The classroom version: one number per classroom, moved by every change its live pages show.

Kept where attempts and check runs are written, not recomputed by the pages: the challenges app
sends `attempt_changed` after each such write (challenges.signals), and `cell_changed` moves the
version of every classroom that shows that learner at that challenge, in the writer's
transaction, recording the cell's new version (CellChange). A dashboard that shows version N
asks for the cells changed after N: one indexed read, whatever the class size.

Why a counter under a row lock rather than a sequence or timestamps: the UPDATE that moves it
holds the classroom's row until the writer commits, so versions commit in order. A page that
read version N has seen every change up to N, and a slower transaction can never commit a
smaller version after it (which a sequence's numbers, handed out before commit, would allow).
The lock is held only from the write to its commit: a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from challenges.models import Challenge
from classroom.dashboard.cells import STATS_FIELDS, cell_of, cell_stats
from classroom.dashboard.grid import Cell
from classroom.models import CellChange, Classroom


def classrooms_showing(*, learner_id: int, challenge_id: int) -> list[int]:
    """The classrooms whose pages show this learner at this challenge: they joined it, and it is
    assigned there."""
    return list(
        Classroom.objects.filter(memberships__learner_id=learner_id, assignments__challenge_id=challenge_id)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )


def _bump(classroom_id: int, *, layout: bool) -> int:
    """Move one classroom's version on and return it (one statement: UPDATE … RETURNING, which
    PostgreSQL and SQLite both speak)."""
    table = connection.ops.quote_name(Classroom._meta.db_table)
    layout_sql = ", layout_version = version + 1" if layout else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET version = version + 1{layout_sql} WHERE id = %s RETURNING version",  # noqa: S608 -- names, not data
            [classroom_id],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def classroom_changed(*, classroom_ids: Iterable[int], layout: bool = False) -> None:
    """Something the classroom's pages show changed (a layout change: its rows or columns)."""
    with transaction.atomic():
        for classroom_id in sorted(set(classroom_ids)):  # one order: two writers never deadlock
            _bump(classroom_id, layout=layout)


def cell_changed(*, learner_id: int, challenge_id: int) -> None:
    """A learner's cell at a challenge changed: move the versions of the classrooms showing it,
    and record what the cell now adds to their stats bars."""
    with transaction.atomic():
        changes = []
        cell: Cell | None = None
        for classroom_id in classrooms_showing(learner_id=learner_id, challenge_id=challenge_id):
            version = _bump(classroom_id, layout=False)
            if cell is None:
                # Read once the first classroom's row is held: a writer of the same cell that got
                # there first has committed by now, so the last to record it has seen every change.
                challenge = Challenge.objects.only("id", "estimated_minutes").get(pk=challenge_id)
                cell = cell_of(learner_id=learner_id, challenge=challenge, now=timezone.now())
            changes.append(
                CellChange(
                    classroom_id=classroom_id,
                    learner_id=learner_id,
                    challenge_id=challenge_id,
                    version=version,
                    **cell_stats(cell),
                )
            )
        if changes:
            CellChange.objects.bulk_create(
                changes,
                update_conflicts=True,
                unique_fields=["classroom", "learner", "challenge"],
                update_fields=["version", *STATS_FIELDS],
            )
