"""Assessments: the instructor schedules one, watches its results come in (the table polls),
adds time for one learner, ends it early and downloads the results; a learner opens their
sitting, starts its challenges within its window, and reads their result once it is scored.

Access as for the rest of the classroom (classroom.access): the instructor acts, staff read,
a learner sees their own sitting only, anyone else gets a 404.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from challenges.http import HtmxHttpRequest, signed_in
from classroom import exports
from classroom.access import Role, assessment_in, classroom_for, learner_in
from classroom.assessments import results, services
from classroom.forms import AssessmentForm, ExtensionForm
from classroom.models import Assessment

READERS = (Role.INSTRUCTOR, Role.STAFF)
EVERYONE = (Role.INSTRUCTOR, Role.STAFF, Role.LEARNER)


@login_required
def assessment_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    classroom, _ = classroom_for(user=request.user, pk=pk, roles=(Role.INSTRUCTOR,))
    form = AssessmentForm(request.POST or None, classroom=classroom)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assessment = services.assessment_create(
                classroom=classroom,
                by=signed_in(request),
                title=data["title"],
                challenges=data["challenges"],
                starts_at=data["starts_at"],
                ends_at=data["starts_at"] + timedelta(minutes=data["minutes"]),
                duration_minutes=data["duration_minutes"],
                hints_allowed=data["hints_allowed"],
                hint_penalty_percent=data["hint_penalty_percent"],
                show_solution=data["show_solution"],
                max_attempts=data["max_attempts"],
            )
        except services.AssessmentError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"“{assessment.title}” is scheduled.")
            return redirect(assessment)
    return render(request, "classroom/assessment_form.html", {"classroom": classroom, "form": form})


@login_required
def assessment_page(request: HtmxHttpRequest, pk: int, assessment_pk: int) -> HttpResponse:
    """The results table for the instructor and staff (its body polled by htmx); the sitting for a learner."""
    classroom, role = classroom_for(user=request.user, pk=pk, roles=EVERYONE)
    assessment = assessment_in(classroom=classroom, pk=assessment_pk)
    if role == Role.LEARNER:
        return _sitting_page(request, assessment)
    try:
        sort = results.Sort(request.GET.get("sort", results.Sort.NAME))
    except ValueError:
        sort = results.Sort.NAME
    context = {
        "classroom": classroom,
        "role": role,
        "assessment": assessment,
        "table": results.results_table(assessment=assessment, sort=sort),
        "sort": sort,
        "extension_form": ExtensionForm(),
    }
    template = "classroom/assessment.html#results" if request.htmx else "classroom/assessment.html"
    return render(request, template, context)


def _sitting_page(request: HtmxHttpRequest, assessment: Assessment) -> HttpResponse:
    """Opening the page begins the sitting; with a time per learner, their first Open does (a look
    at the page does not start their clock)."""
    learner = signed_in(request)
    if assessment.duration_minutes is None:
        sitting = services.sitting_open(assessment=assessment, learner=learner)
    else:
        sitting = services.sitting_of(assessment=assessment, learner=learner)
    context = {
        "classroom": assessment.classroom,
        "assessment": assessment,
        "sitting": sitting,
        "may_begin": services.may_begin(assessment=assessment, sitting=sitting),
        "challenges": results.assessment_challenges(assessment),
        "mine": results.my_results(sitting=sitting) if sitting and sitting.closed_at else [],
    }
    return render(request, "classroom/sitting.html", context)


@login_required
@require_POST
def assessment_start(request: HtmxHttpRequest, pk: int, assessment_pk: int, slug: str) -> HttpResponse:
    classroom, _ = classroom_for(user=request.user, pk=pk, roles=(Role.LEARNER,))
    assessment = assessment_in(classroom=classroom, pk=assessment_pk)
    try:
        attempt = services.assessment_start(assessment=assessment, learner=signed_in(request), slug=slug)
    except services.AssessmentError as exc:
        messages.error(request, exc.message)
        return redirect(assessment)
    return redirect(attempt)


@login_required
@require_POST
def assessment_extend(request: HtmxHttpRequest, pk: int, assessment_pk: int, learner_pk: int) -> HttpResponse:
    classroom, _ = classroom_for(user=request.user, pk=pk, roles=(Role.INSTRUCTOR,))
    assessment = assessment_in(classroom=classroom, pk=assessment_pk)
    learner = learner_in(classroom=classroom, learner_id=learner_pk)
    form = ExtensionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the minutes (1 to 240) and a reason.")
        return redirect(assessment)
    try:
        services.sitting_extend(
            assessment=assessment,
            learner=learner,
            minutes=form.cleaned_data["minutes"],
            reason=form.cleaned_data["reason"],
            by=signed_in(request),
        )
    except services.AssessmentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{learner.username} has {form.cleaned_data['minutes']} more minutes.")
    return redirect(assessment)


@login_required
@require_POST
def assessment_end(request: HtmxHttpRequest, pk: int, assessment_pk: int) -> HttpResponse:
    classroom, _ = classroom_for(user=request.user, pk=pk, roles=(Role.INSTRUCTOR,))
    assessment = assessment_in(classroom=classroom, pk=assessment_pk)
    if services.assessment_end_now(assessment=assessment):
        messages.success(request, "Ended: every environment gets its last check, then the results come in.")
    return redirect(assessment)


@login_required
def assessment_export(request: HtmxHttpRequest, pk: int, assessment_pk: int) -> StreamingHttpResponse:
    classroom, _ = classroom_for(user=request.user, pk=pk, roles=READERS)
    assessment = assessment_in(classroom=classroom, pk=assessment_pk)
    rows = results.result_csv_rows(assessment=assessment)
    response = StreamingHttpResponse(exports.csv_lines(rows), content_type="text/csv; charset=utf-8")
    filename = exports.export_filename(classroom=classroom, what=f"assessment-{assessment.pk}")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
