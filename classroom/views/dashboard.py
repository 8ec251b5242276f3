"""The instructor's live dashboard: the whole page, and what htmx's 3 s poll gets.

Why polling, with out-of-band swaps of what changed, rather than server-sent events: a poll
with nothing new costs one indexed read of the classroom's version and answers 204, through
every proxy and across every web process, with no connection held and no message bus between
the workers that write and the web processes that would push; a dropped connection needs no
catch-up path, since the next poll is one (it names the version it shows); and a reload is the
whole truth by construction. A change is on screen within the 3 s poll.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from challenges.http import HtmxHttpRequest
from classroom.access import Role, classroom_for
from classroom.dashboard.board import Sort, Token, dashboard, dashboard_delta, gc_paused
from classroom.dashboard.grid import NO_PROGRESS_WINDOW
from classroom.models import Classroom

SORTS = [(Sort.NAME, "Name"), (Sort.PROGRESS, "Most progress"), (Sort.NEEDS_HELP, "Needs help")]
MOST_SHOWN = 2000  # the `shown` row ids a poll may name


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
    now = timezone.now()
    # Built once: reversing a URL for each of thousands of cells costs more than the rest.
    drill_base = reverse("classroom_drilldown", args=[classroom.pk, 0, "x"]).removesuffix("0/x/")
    if request.htmx and "since" in request.GET:
        since = Token.parse(request.GET["since"])
        shown = {int(v) for v in request.GET.getlist("shown")[:MOST_SHOWN] if v.isdigit()}
        delta = dashboard_delta(classroom=classroom, since=since, now=now, stuck_only=stuck_only, shown=shown)
        if delta.empty and since is not None and since.version == classroom.version:
            return HttpResponse(status=204)  # nothing new: htmx swaps nothing
        if not delta.whole:
            context = {
                "delta": delta,
                "token": delta.token,
                "drill_base": drill_base,
                "stuck_only": stuck_only,
            }
            response = render(request, "classroom/dashboard.html#delta", context)
            response["HX-Reswap"] = "none"  # only the out-of-band parts are swapped
            return response
    return _whole(request, classroom, role, sort=sort, stuck_only=stuck_only, now=now, drill_base=drill_base)


@gc_paused()
def _whole(
    request: HtmxHttpRequest,
    classroom: Classroom,
    role: Role,
    *,
    sort: Sort,
    stuck_only: bool,
    now: datetime,
    drill_base: str,
) -> HttpResponse:
    """The whole page, or the whole grid for a poll, with the cyclic GC paused (gc_paused)."""
    query = urlencode(
        {k: v for k, v in (("sort", sort.value), ("filter", "stuck" if stuck_only else "")) if v}
    )
    board = dashboard(classroom=classroom, sort=sort, stuck_only=stuck_only, now=now)
    context = {
        "classroom": classroom,
        "role": role,
        "board": board,
        "token": Token.of(classroom, now),
        "sort": sort,
        "sorts": SORTS,
        "stuck_only": stuck_only,
        "poll_url": f"{request.path}?{query}" if query else request.path,
        "drill_base": drill_base,
        "no_progress_minutes": int(NO_PROGRESS_WINDOW.total_seconds() // 60),
    }
    template = "classroom/dashboard.html#grid" if request.htmx else "classroom/dashboard.html"
    try:
        return render(request, template, context)
    finally:
        # Django's template Context is a reference cycle (each ContextDict holds its Context),
        # so what it holds waits for the cyclic collector: the grid's thousands of rows and cells
        # are let go here, by reference counting, with the collector still paused (gc_paused).
        board.rows.clear()
