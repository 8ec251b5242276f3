"""The CSV downloads of the dashboard: the grid, and every check run. Streamed as they are built."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, StreamingHttpResponse

from classroom import exports
from classroom.access import Role, classroom_for
from classroom.models import Classroom

READERS = (Role.INSTRUCTOR, Role.STAFF)


def _csv(rows: Iterator[Sequence[object]], classroom: Classroom, what: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(exports.csv_lines(rows), content_type="text/csv; charset=utf-8")
    filename = exports.export_filename(classroom=classroom, what=what)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def export_grid(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    classroom, _ = classroom_for(user=request.user, pk=pk, roles=READERS)
    return _csv(exports.grid_rows(classroom=classroom), classroom, "grid")


@login_required
def export_checks(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    classroom, _ = classroom_for(user=request.user, pk=pk, roles=READERS)
    return _csv(exports.check_run_rows(classroom=classroom), classroom, "check-runs")
