"""The CSV files an instructor downloads: the grid (a row per learner and challenge) and every
check run. Rows are produced one at a time, so a large class streams instead of building a file.
Durations read as they do on the dashboard."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from django.utils import timezone

from challenges.formats import duration
from challenges.models import CheckRun
from classroom.dashboard.board import Dashboard, dashboard
from classroom.models import Assignment, Classroom, Membership

GRID_HEADER = [
    "learner",
    "email",
    "challenge",
    "challenge_title",
    "due_at",
    "status",
    "checks_passed",
    "checks_total",
    "attempts",
    "check_runs",
    "hints_used",
    "time_to_solve_seconds",
    "time_to_solve",
    "solved_at",
    "late",
    "stuck",
]

CHECKS_HEADER = [
    "learner",
    "challenge",
    "attempt",
    "check_run",
    "created_at",
    "state",
    "passed",
    "passed_count",
    "total",
    "failed_objectives",
    "error",
]


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def export_filename(*, classroom: Classroom, what: str, now: datetime | None = None) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", classroom.name.lower()).strip("-")[:40] or "classroom"
    return f"{slug}-{what}-{now or timezone.now():%Y%m%d-%H%M}.csv"


def grid_rows(*, classroom: Classroom) -> Iterator[Sequence[object]]:
    """The header, then a row per learner and assigned challenge, as the dashboard counts them.
    The grid is read at once; only its rows stream."""
    return _grid_rows(dashboard(classroom=classroom))


def _grid_rows(board: Dashboard) -> Iterator[Sequence[object]]:
    yield GRID_HEADER
    for row in board.rows:
        for column, cell in zip(board.columns, row.cells, strict=True):
            due = column.assignment.due_at
            late = due is not None and (cell.solved_at or board.generated_at) > due
            yield [
                row.learner.username,
                row.learner.email,
                column.challenge.slug,
                column.challenge.title,
                _iso(due),
                cell.state.value,
                cell.passed if cell.total else "",
                cell.total or "",
                cell.attempts,
                cell.check_runs,
                cell.hints_used,
                int(cell.best_time.total_seconds()) if cell.best_time is not None else "",
                duration(cell.best_time) if cell.best_time is not None else "",
                _iso(cell.solved_at),
                "yes" if late else "no",
                "yes" if cell.stuck else "no",
            ]


def check_run_rows(*, classroom: Classroom) -> Iterator[Sequence[object]]:
    """The header, then every check run of the classroom's learners at its assigned challenges,
    oldest first; each run's failing objectives as it stored them when it finished."""
    runs = (
        CheckRun.objects.filter(
            attempt__learner_id__in=Membership.objects.filter(classroom=classroom).values("learner_id"),
            attempt__challenge_id__in=Assignment.objects.filter(classroom=classroom).values("challenge_id"),
        )
        .select_related("attempt", "attempt__learner", "attempt__challenge")
        .defer("results", "attempt__learner_kubeconfig")
        .order_by("created_at", "pk")
    )
    yield CHECKS_HEADER
    for run in runs.iterator(chunk_size=1000):
        yield [
            run.attempt.learner.username,
            run.attempt.challenge.slug,
            run.attempt_id,
            run.pk,
            _iso(run.created_at),
            run.state,
            "yes" if run.passed else "no",
            run.passed_count,
            run.total,
            ";".join(run.failed_objectives or ()),
            run.error,
        ]


class _Echo:
    """A file that hands back what is written to it, so csv.writer yields lines to stream."""

    def write(self, value: str) -> str:
        return value


def _defused(value: object) -> object:
    """Keep spreadsheets from running a learner-chosen name as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([_defused(v) for v in row])
