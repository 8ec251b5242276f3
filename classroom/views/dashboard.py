"""The instructor's live dashboard: the whole page, and the grid alone for htmx's 3 s poll."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from challenges.http import HtmxHttpRequest
from classroom.access import Role, classroom_for
from classroom.dashboard.board import Sort, dashboard, dashboard_version
from classroom.dashboard.cells import NO_PROGRESS_WINDOW

SORTS = [(Sort.NAME, "Name"), (Sort.PROGRESS, "Most progress"), (Sort.NEEDS_HELP, "Needs help")]


def _options(request: HtmxHttpRequest) -> tuple[Sort, bool]:
    try:
        sort = Sort(request.GET.get("sort", Sort.NAME))
    except ValueError:
        sort = Sort.NAME
    return sort, request.GET.get("filter") == "stuck"


@login_required
def dashboard_page(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    classroom, role = classroom_for(user=request.user, pk=pk, roles=(Role.INSTRUCTOR, Role.STAFF))
    sort, stuck_only = _options(request)
    version = dashboard_version(classroom=classroom)
    if request.htmx and request.GET.get("since") == version:
        # Nothing changed since the grid the page shows: htmx swaps nothing on a 204.
        return HttpResponse(status=204)
    query = urlencode(
        {k: v for k, v in (("sort", sort.value), ("filter", "stuck" if stuck_only else "")) if v}
    )
    context = {
        "classroom": classroom,
        "role": role,
        "board": dashboard(classroom=classroom, sort=sort, stuck_only=stuck_only),
        "version": version,
        "sort": sort,
        "sorts": SORTS,
        "stuck_only": stuck_only,
        "poll_url": f"{request.path}?{query}" if query else request.path,
        # Built once: reversing a URL for each of thousands of cells costs more than the rest.
        "drill_base": reverse("classroom_drilldown", args=[classroom.pk, 0, "x"]).removesuffix("0/x/"),
        "no_progress_minutes": int(NO_PROGRESS_WINDOW.total_seconds() // 60),
    }
    template = "classroom/dashboard.html#grid" if request.htmx else "classroom/dashboard.html"
    return render(request, template, context)
