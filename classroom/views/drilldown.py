"""One learner at one challenge: the timeline of their attempts, and the instructor's actions on
the latest one's environment."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from challenges.http import signed_in
from challenges.services.attempts import AttemptError
from classroom import notices
from classroom.access import Role, assignment_in, attempt_in, classroom_for, learner_in
from classroom.actions import Action, attempt_act, attempt_actions
from classroom.timeline import learner_timeline


@login_required
def drilldown(request: HttpRequest, pk: int, learner_pk: int, slug: str) -> HttpResponse:
    classroom, role = classroom_for(user=request.user, pk=pk, roles=(Role.INSTRUCTOR, Role.STAFF))
    learner = learner_in(classroom=classroom, learner_id=learner_pk)
    assignment = assignment_in(classroom=classroom, slug=slug)
    timeline = learner_timeline(learner=learner, challenge=assignment.challenge, classroom=classroom)
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
            "actions": attempt_actions(attempt=current) if role == Role.INSTRUCTOR and current else [],
        },
    )


# What the instructor reads after an action: when it was done, and when the state no longer
# allowed it; {who} is the learner.
OUTCOMES = {
    Action.EXTEND: (
        (messages.SUCCESS, "{who}'s environment has more time."),
        (messages.ERROR, "{who}'s environment cannot be extended any further (or is no longer running)."),
    ),
    Action.RESET: (
        (messages.SUCCESS, "{who} gets a fresh environment; the old one is being removed."),
        (messages.ERROR, "{who}'s environment could not be reset."),
    ),
    Action.END: (
        (messages.SUCCESS, "{who}'s environment is ended."),
        (messages.INFO, "{who}'s environment had already ended."),
    ),
    Action.HINT: (
        (messages.SUCCESS, "{who} has the next hint, at no cost to them."),
        (messages.INFO, "{who} has every hint already (or the environment is no longer running)."),
    ),
}


@login_required
@require_POST
def attempt_action(request: HttpRequest, pk: int, attempt_pk: int, action: str) -> HttpResponse:
    classroom, _ = classroom_for(user=request.user, pk=pk, roles=(Role.INSTRUCTOR,))
    attempt = attempt_in(classroom=classroom, pk=attempt_pk)
    try:
        chosen = Action(action)
    except ValueError:
        raise Http404("No such action.") from None
    try:
        done = attempt_act(attempt=attempt, action=chosen, instructor=signed_in(request))
    except AttemptError as refused:
        messages.error(request, refused.message)
    else:
        level, text = OUTCOMES[chosen][0 if done else 1]
        messages.add_message(request, level, text.format(who=attempt.learner.username))
    return redirect(
        "classroom_drilldown", pk=classroom.pk, learner_pk=attempt.learner_id, slug=attempt.challenge.slug
    )


@login_required
@require_POST
def notice_send(request: HttpRequest, pk: int) -> HttpResponse:
    """An instructor tells the class (from the dashboard) or one learner (from their drill-down)."""
    classroom, _ = classroom_for(user=request.user, pk=pk, roles=(Role.INSTRUCTOR,))
    learner_pk = request.POST.get("learner", "")
    learner = learner_in(classroom=classroom, learner_id=int(learner_pk)) if learner_pk.isdigit() else None
    try:
        notices.notice_send(
            classroom=classroom, by=signed_in(request), text=request.POST.get("text", ""), learner=learner
        )
    except notices.NoticeRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, f"Sent to {learner.username if learner else 'the class'}.")
    if learner is None:
        return redirect("classroom_dashboard", pk=classroom.pk)
    assignment = assignment_in(classroom=classroom, slug=request.POST.get("slug", ""))
    return redirect(
        "classroom_drilldown", pk=classroom.pk, learner_pk=learner.pk, slug=assignment.challenge.slug
    )
