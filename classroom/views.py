"""Classroom pages. Who may do what (tested as a matrix in tests/classroom/test_permissions.py):

- the classroom's instructor: everything about their classroom;
- staff: every classroom's pages, dashboard, drill-downs and exports, read-only — they support
  instructors but do not change a classroom or act on a learner's environment (403);
- a learner who joined: the classroom's page with their own assignments, and leaving it; the
  instructor's pages answer 403;
- anyone else signed in, another instructor included: 404, as if the classroom did not exist;
- anonymous visitors: sent to log in (a join link first shows what it joins).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from challenges.models import LIVE_STATUSES, Attempt, Status
from challenges.services.attempts import ACTIVE_STATUSES, AttemptError
from challenges.templatetags.breakfix import duration
from classroom import selectors, services
from classroom.forms import AssignmentForm, ClassroomForm, DueDateForm, InviteForm, JoinForm
from classroom.models import Assignment, Classroom
from classroom.selectors import Role, Sort

# Wrong codes a signed-in user may try per window before joining pauses for them.
JOIN_FAILURES_ALLOWED = 20
JOIN_FAILURES_WINDOW = 15 * 60


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _classroom(request: HttpRequest, pk: int, *roles: Role) -> tuple[Classroom, Role]:
    """The classroom, if the user's role in it is one of `roles`; 404 to strangers, 403 to the rest."""
    classroom = get_object_or_404(Classroom.objects.select_related("instructor"), pk=pk)
    role = selectors.classroom_role(classroom=classroom, user=request.user)
    if role is None:
        raise Http404("No such classroom.")
    if role not in roles:
        raise PermissionDenied
    return classroom, role


# --- classrooms ---------------------------------------------------------------------------------


@login_required
def classroom_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    instructing = selectors.can_instruct(user) or user.is_staff
    run = (
        selectors.classroom_list(user=user).annotate(
            learner_count=Count("memberships", distinct=True),
            assignment_count=Count("assignments", distinct=True),
        )
        if instructing
        else Classroom.objects.none()
    )
    return render(
        request,
        "classroom/list.html",
        {
            "run": run,
            "instructing": instructing,
            "can_create": selectors.can_instruct(user),
            "form": JoinForm(),
        },
    )


@login_required
def classroom_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not selectors.can_instruct(user):
        raise PermissionDenied
    form = ClassroomForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        classroom = services.classroom_create(
            instructor=user,
            name=form.cleaned_data["name"],
            challenges=form.cleaned_data["challenges"],
            due_at=form.cleaned_data["due_at"],
            invite_expires_at=form.cleaned_data["invite_expires_at"],
        )
        messages.success(
            request, f"“{classroom.name}” is ready. Share the code or the link with your learners."
        )
        return redirect(classroom)
    return render(request, "classroom/form.html", {"form": form})


@login_required
def classroom_detail(request: HttpRequest, pk: int) -> HttpResponse:
    classroom, role = _classroom(request, pk, Role.INSTRUCTOR, Role.STAFF, Role.LEARNER)
    if role == Role.LEARNER:
        joined = next(j for j in selectors.learner_classrooms(learner=request.user) if j.classroom.pk == pk)
        return render(request, "classroom/learner.html", {"classroom": classroom, "joined": joined})
    assignments = classroom.assignments.select_related("challenge").order_by("created_at", "pk")
    learners = classroom.memberships.select_related("learner").order_by("learner__username")
    return render(
        request,
        "classroom/detail.html",
        {
            "classroom": classroom,
            "role": role,
            "assignments": [
                (a, DueDateForm(initial={"due_at": a.due_at}, prefix=f"a{a.pk}")) for a in assignments
            ],
            "learners": learners,
            "assignment_form": AssignmentForm(),
            "invite_form": InviteForm(
                initial={
                    "joining_open": classroom.joining_open,
                    "invite_expires_at": classroom.invite_expires_at,
                }
            ),
            "join_link": request.build_absolute_uri(classroom.join_url),
        },
    )


@login_required
@require_POST
def classroom_invite(request: HttpRequest, pk: int) -> HttpResponse:
    classroom, _ = _classroom(request, pk, Role.INSTRUCTOR)
    if request.POST.get("action") == "rotate":
        services.classroom_rotate_code(classroom=classroom)
        messages.success(
            request,
            f"New invite code: {classroom.invite_code_display}. The old code and link no longer work.",
        )
        return redirect(classroom)
    form = InviteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That expiry date is not a date: use the date picker.")
        return redirect(classroom)
    services.classroom_set_joining(
        classroom=classroom,
        joining_open=form.cleaned_data["joining_open"],
        invite_expires_at=form.cleaned_data["invite_expires_at"],
    )
    if not classroom.joining_open:
        messages.success(request, "Joining is closed: the code admits nobody until you open it again.")
    elif classroom.invite_expired():
        messages.warning(request, "Joining is open, but the expiry date has passed: the code admits nobody.")
    else:
        messages.success(request, "Joining is open.")
    return redirect(classroom)


@login_required
@require_POST
def assignment_add(request: HttpRequest, pk: int) -> HttpResponse:
    classroom, _ = _classroom(request, pk, Role.INSTRUCTOR)
    form = AssignmentForm(request.POST)
    if form.is_valid():
        assignment = services.assignment_set(
            classroom=classroom, challenge=form.cleaned_data["challenge"], due_at=form.cleaned_data["due_at"]
        )
        messages.success(request, f"“{assignment.challenge.title}” is assigned.")
    else:
        messages.error(request, "Choose a challenge to assign.")
    return redirect(classroom)


@login_required
@require_POST
def assignment_update(request: HttpRequest, pk: int, assignment_pk: int) -> HttpResponse:
    classroom, _ = _classroom(request, pk, Role.INSTRUCTOR)
    assignment = get_object_or_404(
        Assignment.objects.select_related("challenge"), pk=assignment_pk, classroom=classroom
    )
    if request.POST.get("action") == "remove":
        services.assignment_remove(assignment=assignment)
        messages.success(request, f"“{assignment.challenge.title}” is no longer assigned. Attempts are kept.")
        return redirect(classroom)
    form = DueDateForm(request.POST, prefix=f"a{assignment.pk}")
    if form.is_valid():
        services.assignment_set(
            classroom=classroom, challenge=assignment.challenge, due_at=form.cleaned_data["due_at"]
        )
        messages.success(request, f"Due date of “{assignment.challenge.title}” saved.")
    else:
        messages.error(request, "That due date is not a date: use the date picker.")
    return redirect(classroom)


@login_required
@require_POST
def learner_remove(request: HttpRequest, pk: int, learner_pk: int) -> HttpResponse:
    classroom, _ = _classroom(request, pk, Role.INSTRUCTOR)
    learner = selectors.enrolled_learner(classroom=classroom, learner_id=learner_pk)
    if learner is None:
        raise Http404("That learner is not in this classroom.")
    services.membership_remove(classroom=classroom, learner=learner)
    messages.success(
        request, f"{learner.username} is no longer in “{classroom.name}”. Their attempts are kept."
    )
    return redirect(classroom)


@login_required
@require_POST
def leave(request: HttpRequest, pk: int) -> HttpResponse:
    classroom, _ = _classroom(request, pk, Role.LEARNER)
    services.membership_remove(classroom=classroom, learner=_user(request))
    messages.success(request, f"You left “{classroom.name}”: its instructor no longer sees your progress.")
    return redirect("classroom_list")


# --- joining ------------------------------------------------------------------------------------


def _join_throttled(user: User) -> bool:
    return int(cache.get(f"classroom-join-failures:{user.pk}", 0)) >= JOIN_FAILURES_ALLOWED


def _join_failed(user: User) -> None:
    key = f"classroom-join-failures:{user.pk}"
    cache.add(key, 0, JOIN_FAILURES_WINDOW)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, JOIN_FAILURES_WINDOW)


def _join(request: HttpRequest, code: str) -> HttpResponse | None:
    """Join by code and redirect; None (with a message) when the code admits nobody."""
    user = _user(request)
    if _join_throttled(user):
        messages.error(request, "Too many wrong codes. Wait a few minutes, then try again.")
        return None
    try:
        classroom, created = services.classroom_join(learner=user, code=code)
    except services.JoinRefused as refused:
        if isinstance(refused, services.InviteCodeUnknown):
            _join_failed(user)
        messages.error(request, refused.message)
        return None
    if created:
        messages.success(request, f"Welcome to “{classroom.name}”! Your assignments are below.")
    else:
        messages.info(request, f"You are already in “{classroom.name}”.")
    return redirect(classroom)


@login_required
def join(request: HttpRequest) -> HttpResponse:
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        response = _join(request, form.cleaned_data["code"])
        if response is not None:
            return response
    return render(request, "classroom/join.html", {"form": form})


def join_code(request: HttpRequest, code: str) -> HttpResponse:
    """The link an instructor shares: sign up or log in first (next= brings you back), then one click."""
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('login')}?{urlencode({'next': request.path})}")
        response = _join(request, code)
        if response is not None:
            return response
        return redirect("classroom_join")
    classroom: Classroom | None = None
    problem = ""
    try:
        classroom = services.classroom_find(code=code)
    except services.JoinRefused as refused:
        problem = refused.message
    already = bool(
        classroom is not None
        and request.user.is_authenticated
        and classroom.memberships.filter(learner_id=request.user.pk).exists()
    )
    return render(
        request,
        "classroom/join_code.html",
        {"classroom": classroom, "problem": problem, "code": code, "already": already, "next": request.path},
        status=200 if classroom is not None else 404,
    )


# --- the dashboard ------------------------------------------------------------------------------


def _dashboard_options(request: HttpRequest) -> tuple[Sort, bool]:
    try:
        sort = Sort(request.GET.get("sort", Sort.NAME))
    except ValueError:
        sort = Sort.NAME
    return sort, request.GET.get("filter") == "stuck"


@login_required
def dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    classroom, role = _classroom(request, pk, Role.INSTRUCTOR, Role.STAFF)
    sort, stuck_only = _dashboard_options(request)
    version = selectors.dashboard_version(classroom=classroom)
    if request.htmx and request.GET.get("since") == version:  # type: ignore[attr-defined]
        # Nothing changed since the grid the page shows: htmx swaps nothing on a 204.
        return HttpResponse(status=204)
    board = selectors.dashboard(classroom=classroom, sort=sort, stuck_only=stuck_only)
    query = urlencode(
        {k: v for k, v in (("sort", sort.value), ("filter", "stuck" if stuck_only else "")) if v}
    )
    context = {
        "classroom": classroom,
        "role": role,
        "board": board,
        "version": version,
        "sort": sort,
        "sorts": [(Sort.NAME, "Name"), (Sort.PROGRESS, "Most progress"), (Sort.NEEDS_HELP, "Needs help")],
        "stuck_only": stuck_only,
        "poll_url": f"{request.path}?{query}" if query else request.path,
        # Built once: reversing a URL for each of thousands of cells costs more than the rest.
        "drill_base": reverse("classroom_drilldown", args=[classroom.pk, 0, "x"]).removesuffix("0/x/"),
        "no_progress_minutes": int(selectors.NO_PROGRESS_WINDOW.total_seconds() // 60),
    }
    template = "classroom/dashboard.html#grid" if request.htmx else "classroom/dashboard.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
def drilldown(request: HttpRequest, pk: int, learner_pk: int, slug: str) -> HttpResponse:
    classroom, role = _classroom(request, pk, Role.INSTRUCTOR, Role.STAFF)
    learner = selectors.enrolled_learner(classroom=classroom, learner_id=learner_pk)
    assignment = selectors.assignment_for(classroom=classroom, slug=slug)
    if learner is None or assignment is None:
        raise Http404("That learner or challenge is not in this classroom.")
    timeline = selectors.learner_timeline(learner=learner, challenge=assignment.challenge)
    current = timeline[0].attempt if timeline else None
    return render(
        request,
        "classroom/drilldown.html",
        {
            "classroom": classroom,
            "role": role,
            "learner": learner,
            "assignment": assignment,
            "challenge": assignment.challenge,
            "timeline": timeline,
            "current": current,
            "actions": _actions(current) if role == Role.INSTRUCTOR and current is not None else [],
        },
    )


ACTIONS = {
    "extend": "Extend time",
    "reset": "Reset environment",
    "end": "End environment",
}


def _actions(attempt: Attempt) -> list[tuple[str, str]]:
    """What an instructor can do to a learner's latest attempt in its current state."""
    names = []
    if attempt.status in ACTIVE_STATUSES and attempt.expires_at is not None:
        names.append("extend")
    if attempt.status in (*ACTIVE_STATUSES, Status.FAILED):
        names.append("reset")  # a failed environment gets a fresh one, as the learner's Retry would
    if attempt.status in LIVE_STATUSES:
        names.append("end")
    return [(name, ACTIONS[name]) for name in names]


@login_required
@require_POST
def attempt_action(request: HttpRequest, pk: int, attempt_pk: int, action: str) -> HttpResponse:
    classroom, _ = _classroom(request, pk, Role.INSTRUCTOR)
    attempt = get_object_or_404(
        Attempt.objects.select_related("challenge", "learner").filter(
            learner__classroom_memberships__classroom=classroom,
            challenge__assignments__classroom=classroom,
        ),
        pk=attempt_pk,
    )
    if action not in ACTIONS:
        raise Http404("No such action.")
    instructor = _user(request)
    who = attempt.learner.username
    if action == "extend":
        if services.environment_extend(attempt=attempt, instructor=instructor):
            messages.success(request, f"{who}'s environment has more time.")
        else:
            messages.error(
                request, f"{who}'s environment cannot be extended any further (or is no longer running)."
            )
    elif action == "reset":
        try:
            services.environment_reset(attempt=attempt, instructor=instructor)
        except AttemptError as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, f"{who} gets a fresh environment; the old one is being removed.")
    elif services.environment_end(attempt=attempt, instructor=instructor):
        messages.success(request, f"{who}'s environment is ended.")
    else:
        messages.info(request, f"{who}'s environment had already ended.")
    return redirect(
        "classroom_drilldown", pk=classroom.pk, learner_pk=attempt.learner_id, slug=attempt.challenge.slug
    )


# --- exports ------------------------------------------------------------------------------------


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell_value(value: object) -> object:
    """Keep spreadsheets from running a learner-chosen name as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv(rows: Iterable[Iterable[object]], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow([_cell_value(v) for v in row]) for row in rows),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _filename(classroom: Classroom, what: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", classroom.name.lower()).strip("-")[:40] or "classroom"
    return f"{slug}-{what}-{timezone.now():%Y%m%d-%H%M}.csv"


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


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


@login_required
def export_grid(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    classroom, _ = _classroom(request, pk, Role.INSTRUCTOR, Role.STAFF)
    board = selectors.dashboard(classroom=classroom)

    def rows() -> Iterator[Sequence[object]]:
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

    return _csv(rows(), _filename(classroom, "grid"))


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


@login_required
def export_checks(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    classroom, _ = _classroom(request, pk, Role.INSTRUCTOR, Role.STAFF)

    def rows() -> Iterator[Sequence[object]]:
        yield CHECKS_HEADER
        for run in selectors.check_run_export(classroom=classroom):
            failed = [r.get("key", "") for r in run.results or () if not r.get("passed")]
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
                ";".join(failed),
                run.error,
            ]

    return _csv(rows(), _filename(classroom, "check-runs"))
