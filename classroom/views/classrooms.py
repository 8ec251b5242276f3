"""The classrooms an instructor runs: the list, creating one, its page, and managing its invite
code, assignments and learners. A learner who joined sees the classroom's page with their own
assignments, and may leave."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from challenges.http import signed_in
from classroom import roster, services
from classroom.access import Role, assignment_in, can_instruct, classroom_for, learner_in
from classroom.forms import AssignmentForm, ClassroomForm, DueDateForm, InviteForm, JoinForm, WarmPoolForm
from classroom.learner import learner_classrooms
from classroom.models import Classroom
from classroom.warmpool import WarmPoolRefused, warm_pool_cancel, warm_pool_raise, warm_pools_of

EVERYONE = (Role.INSTRUCTOR, Role.STAFF, Role.LEARNER)


@login_required
def classroom_list(request: HttpRequest) -> HttpResponse:
    user = signed_in(request)
    instructing = can_instruct(user) or user.is_staff
    return render(
        request,
        "classroom/list.html",
        {
            "run": roster.classrooms_run(user=user) if instructing else Classroom.objects.none(),
            "instructing": instructing,
            "can_create": can_instruct(user),
            "form": JoinForm(),
            "joined_list": learner_classrooms(learner=user),
        },
    )


@login_required
def classroom_create(request: HttpRequest) -> HttpResponse:
    user = signed_in(request)
    if not can_instruct(user):
        raise PermissionDenied("Only instructors create classrooms.")
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
    classroom, role = classroom_for(user=request.user, pk=pk, roles=EVERYONE)
    if role == Role.LEARNER:
        (joined,) = learner_classrooms(learner=request.user, classroom=classroom)
        return render(
            request,
            "classroom/learner.html",
            {"classroom": classroom, "joined": joined, "assessments": classroom.assessments.all()},
        )
    return render(
        request,
        "classroom/detail.html",
        {
            "classroom": classroom,
            "role": role,
            "assignments": [
                (a, DueDateForm(initial={"due_at": a.due_at}, prefix=f"a{a.pk}"))
                for a in roster.classroom_assignments(classroom=classroom)
            ],
            "learners": roster.classroom_memberships(classroom=classroom),
            "assignment_form": AssignmentForm(),
            "invite_form": InviteForm(
                initial={
                    "joining_open": classroom.joining_open,
                    "invite_expires_at": classroom.invite_expires_at,
                }
            ),
            "join_link": request.build_absolute_uri(classroom.join_url),
            "assessments": classroom.assessments.all(),
            "warm_pools": warm_pools_of(classroom=classroom),
            "warm_pool_form": WarmPoolForm(classroom=classroom, initial={"starts_at": timezone.localtime()}),
        },
    )


@login_required
@require_POST
def classroom_invite(request: HttpRequest, pk: int) -> HttpResponse:
    classroom, _ = classroom_for(user=request.user, pk=pk, roles=(Role.INSTRUCTOR,))
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
    classroom, _ = classroom_for(user=request.user, pk=pk, roles=(Role.INSTRUCTOR,))
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
    classroom, _ = classroom_for(user=request.user, pk=pk, roles=(Role.INSTRUCTOR,))
    assignment = assignment_in(classroom=classroom, pk=assignment_pk)
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
    classroom, _ = classroom_for(user=request.user, pk=pk, roles=(Role.INSTRUCTOR,))
    learner = learner_in(classroom=classroom, learner_id=learner_pk)
    services.membership_remove(classroom=classroom, learner=learner)
    messages.success(
        request, f"{learner.username} is no longer in “{classroom.name}”. Their attempts are kept."
    )
    return redirect(classroom)


@login_required
@require_POST
def leave(request: HttpRequest, pk: int) -> HttpResponse:
    classroom, _ = classroom_for(user=request.user, pk=pk, roles=(Role.LEARNER,))
    services.membership_remove(classroom=classroom, learner=signed_in(request))
    messages.success(request, f"You left “{classroom.name}”: its instructor no longer sees your progress.")
    return redirect("classroom_list")


@login_required
@require_POST
def warm_pool_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Keep environments of an assigned challenge ready for the class, for a while."""
    classroom, _ = classroom_for(user=request.user, pk=pk, roles=(Role.INSTRUCTOR,))
    form = WarmPoolForm(request.POST, classroom=classroom)
    if not form.is_valid():
        problems = "; ".join(
            f"{form.fields[name].label or name}: {' '.join(str(e) for e in errors)}"
            for name, errors in form.errors.items()
        )
        messages.error(request, f"No warm pool was set: {problems}")
        return redirect(classroom)
    data = form.cleaned_data
    try:
        pool = warm_pool_raise(
            classroom=classroom,
            instructor=signed_in(request),
            challenge=data["challenge"],
            ready=data["ready"],
            starts_at=data["starts_at"],
            minutes=data["minutes"],
        )
    except WarmPoolRefused as exc:
        messages.error(request, str(exc))
        return redirect(classroom)
    schedule = pool.schedule
    messages.success(
        request,
        f"{schedule.target} environments of “{schedule.challenge.title}” will be kept ready from "
        f"{timezone.localtime(schedule.starts_at):%H:%M} to {timezone.localtime(schedule.ends_at):%H:%M}.",
    )
    return redirect(classroom)


@login_required
@require_POST
def warm_pool_remove(request: HttpRequest, pk: int, pool_pk: int) -> HttpResponse:
    classroom, _ = classroom_for(user=request.user, pk=pk, roles=(Role.INSTRUCTOR,))
    schedule = warm_pool_cancel(classroom=classroom, pk=pool_pk)
    messages.success(request, f"The warm pool for “{schedule.challenge.title}” is cancelled.")
    return redirect(classroom)
