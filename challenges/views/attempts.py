"""The learner's workspace: start an environment, watch it come up, check, extend, reset, end.

Only the attempt's own learner reaches these pages; anyone else gets a 404, as if the attempt
did not exist. htmx requests get a partial of the same template; a poll that reaches a final
state answers 286 so htmx stops polling.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from challenges.console.selectors import console_panel
from challenges.models import LIVE_STATUSES, Attempt, Challenge, Status
from challenges.services import attempts as services

# Statuses the page shows as "on its way": it polls fast while in one of these.
WAITING = (Status.REQUESTED, Status.PROVISIONING)
STOP_POLLING = 286


def _learner(request: HttpRequest) -> AbstractBaseUser:
    user = request.user
    if isinstance(user, AnonymousUser):  # login_required stands in front of every view here
        raise PermissionDenied
    return user


def _own_attempt(request: HttpRequest, pk: int) -> Attempt:
    return get_object_or_404(
        Attempt.objects.select_related("challenge", "version"), pk=pk, learner_id=request.user.pk
    )


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _context(attempt: Attempt) -> dict[str, object]:
    latest_check = attempt.check_runs.first()
    results = {row.get("key"): row for row in (latest_check.results if latest_check else [])}
    # The version the attempt runs, not whatever the challenge is now.
    objectives = [
        {"key": item.key, "title": item.title, "result": results.get(item.key)}
        for item in attempt.version.objectives()
    ]
    return {
        "attempt": attempt,
        "challenge": attempt.challenge,
        "objectives": objectives,
        "situation": attempt.version.initial_situation(),
        "check": latest_check,
        "waiting": attempt.status in WAITING,
        "live": attempt.status in LIVE_STATUSES,
        "workspace": attempt.status in (Status.READY, Status.SOLVED),
        "can_extend": services.attempt_extended_deadline(attempt=attempt) is not None,
    }


@login_required
@require_POST
def attempt_start(request: HttpRequest, slug: str) -> HttpResponse:
    challenge = get_object_or_404(Challenge, slug=slug, published=True)
    try:
        attempt = services.attempt_start(learner=_learner(request), challenge=challenge)
    except services.AttemptError as exc:
        messages.error(request, exc.message)
        return redirect(challenge)
    return redirect(attempt)


@login_required
@require_GET
def attempt(request: HttpRequest, pk: int) -> HttpResponse:
    item = _own_attempt(request, pk)
    context = _context(item)
    if context["workspace"]:
        context["console"] = console_panel(attempt=item)
    return render(request, "challenges/attempt.html", context)


@login_required
@require_GET
def attempt_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The status panel, polled by htmx. When the status moved on since the page was drawn, the
    page reloads to show what the new status brings (the workspace, or the summary)."""
    item = _own_attempt(request, pk)
    response = render(request, "challenges/attempt.html#status", _context(item))
    seen = request.GET.get("seen", "")
    if seen and seen != item.status:
        response["HX-Refresh"] = "true"
    if item.status not in LIVE_STATUSES:
        response.status_code = STOP_POLLING
    return response


@login_required
@require_GET
def attempt_checks(request: HttpRequest, pk: int) -> HttpResponse:
    """The objectives and the latest check's results, polled while a check runs."""
    item = _own_attempt(request, pk)
    context = _context(item)
    response = render(request, "challenges/attempt.html#checks", context)
    check = context["check"]
    if check is None or getattr(check, "state", None) != "pending":
        response.status_code = STOP_POLLING
        if item.status == Status.SOLVED and request.GET.get("seen") == Status.READY:
            response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def attempt_check(request: HttpRequest, pk: int) -> HttpResponse:
    item = _own_attempt(request, pk)
    error = ""
    try:
        services.attempt_check_request(attempt=item, requested_by=_learner(request))
    except services.AttemptError as exc:
        error = exc.message
    if _is_htmx(request):
        return render(request, "challenges/attempt.html#checks", {**_context(item), "check_error": error})
    if error:
        messages.error(request, error)
    return redirect(item)


@login_required
@require_POST
def attempt_extend(request: HttpRequest, pk: int) -> HttpResponse:
    item = _own_attempt(request, pk)
    if services.attempt_extend(attempt=item, actor=_learner(request)):
        messages.success(request, "Your environment got more time.")
    else:
        messages.error(request, "This environment cannot be extended any further.")
    return redirect(item)


@login_required
@require_POST
def attempt_end(request: HttpRequest, pk: int) -> HttpResponse:
    item = _own_attempt(request, pk)
    if services.attempt_end(attempt=item, actor=_learner(request), message="Ended by the learner."):
        messages.success(request, "Your environment is being removed.")
    return redirect(item)


@login_required
@require_POST
def attempt_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """Start over with a fresh environment; also the Retry of a failed attempt."""
    item = _own_attempt(request, pk)
    try:
        fresh = services.attempt_reset(attempt=item, actor=_learner(request))
    except services.AttemptError as exc:
        messages.error(request, exc.message)
        return redirect(item)
    return redirect(fresh)
