"""The learner's workspace: start an environment, watch it come up, check, extend, reset, end.

Only the attempt's own learner reaches these pages; anyone else gets a 404, as if the attempt
did not exist (Attempt.objects.of_learner). The page's context comes from challenges.workspace,
the check panel's from the attempt itself; htmx requests get a partial of the same template,
and a poll that reaches a final state is told to stop polling.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh, HttpResponseStopPolling

from challenges import workspace
from challenges.http import HtmxHttpRequest, signed_in
from challenges.models import Attempt, Challenge, Status
from challenges.services import attempts as services
from challenges.services import checks


@login_required
@require_POST
def attempt_start(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    challenge = get_object_or_404(Challenge, slug=slug, published=True)
    if refusal := services.start_refusal(learner=signed_in(request), challenge=challenge):
        messages.error(request, refusal)
        return redirect(challenge)
    try:
        attempt = services.attempt_start(learner=signed_in(request), challenge=challenge)
    except services.AttemptError as exc:
        messages.error(request, exc.message)
        return redirect(challenge)
    # When the broker could not take the work, the attempt's page says so (it is kept).
    return redirect(attempt)


@login_required
@require_GET
def attempt(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Attempt.objects.of_learner(request.user), pk=pk)
    return render(request, "challenges/attempt.html", workspace.attempt_page(attempt=item))


@login_required
@require_GET
def attempt_status(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The status panel, polled by htmx. When the status moved on since the page was drawn, the
    page reloads to show what the new status brings (the workspace, or the summary)."""
    item = get_object_or_404(Attempt.objects.of_learner(request.user), pk=pk)
    seen = request.GET.get("seen", "")
    if seen and seen != item.status:
        return HttpResponseClientRefresh()
    content = render_to_string("challenges/attempt.html#status", workspace.status_context(item), request)
    return HttpResponse(content) if item.is_live else HttpResponseStopPolling(content)


@login_required
@require_GET
def attempt_notices(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """What an instructor told the learner, polled while the workspace is open."""
    item = get_object_or_404(Attempt.objects.of_learner(request.user), pk=pk)
    content = render_to_string("challenges/attempt.html#notices", workspace.notices_context(item), request)
    return HttpResponse(content) if item.is_workspace_open else HttpResponseStopPolling(content)


@login_required
@require_GET
def attempt_checks(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The objectives and the latest check's results, polled while a check runs."""
    item = get_object_or_404(Attempt.objects.of_learner(request.user), pk=pk)
    check, objectives = item.objective_results()
    context = {"attempt": item, "check": check, "objectives": objectives}
    if check is not None and check.is_pending:
        return render(request, "challenges/attempt.html#checks", context)
    if item.was_solved and request.GET.get("seen") == Status.READY:
        return HttpResponseClientRefresh()  # solved: the page shows the achievement
    return HttpResponseStopPolling(render_to_string("challenges/attempt.html#checks", context, request))


@login_required
@require_POST
def attempt_check(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Attempt.objects.of_learner(request.user), pk=pk)
    error = ""
    try:
        checks.attempt_check_request(attempt=item, requested_by=signed_in(request))
    except services.AttemptError as exc:
        error = exc.message
    if request.htmx:
        # A check the broker could not take is shown as kept: the panel reads the run afresh.
        check, objectives = item.objective_results()
        context = {"attempt": item, "check": check, "objectives": objectives, "check_error": error}
        return render(request, "challenges/attempt.html#checks", context)
    if error:
        messages.error(request, error)
    return redirect(item)


@login_required
@require_POST
def attempt_extend(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Attempt.objects.of_learner(request.user), pk=pk)
    if services.attempt_extend(attempt=item, actor=signed_in(request)):
        messages.success(request, "Your environment got more time.")
    else:
        messages.error(request, "This environment cannot be extended any further.")
    return redirect(item)


@login_required
@require_POST
def attempt_end(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Attempt.objects.of_learner(request.user), pk=pk)
    if services.attempt_end(attempt=item, actor=signed_in(request), message="Ended by the learner."):
        messages.success(request, "Your environment is being removed.")
    return redirect(item)


@login_required
@require_POST
def attempt_reset(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Start over with a fresh environment; also the Retry of a failed attempt."""
    item = get_object_or_404(Attempt.objects.of_learner(request.user), pk=pk)
    try:
        fresh = services.attempt_reset(attempt=item, actor=signed_in(request))
    except services.AttemptError as exc:
        messages.error(request, exc.message)
        return redirect(item)
    return redirect(fresh)
