"""The learner's tools in the workspace: console, YAML editor, hints, kubeconfig; and the profile.

Only the attempt's own learner reaches an attempt's tools: anyone else gets a 404, as if the
attempt did not exist. htmx requests get a partial; plain posts (no JavaScript) come back to
the attempt page.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.module_loading import import_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from challenges import selectors, workspace, xp
from challenges.console.selectors import console_panel
from challenges.console.services import ConsoleUnavailable, console_run
from challenges.http import HtmxHttpRequest
from challenges.models import Attempt, Challenge
from challenges.secrets import SecretUnreadable
from challenges.selectors import Progress
from challenges.services import editor, hints
from challenges.services.attempts import AttemptError, attempt_learner_kubeconfig


def _back(attempt: Attempt, anchor: str) -> HttpResponse:
    return redirect(f"{attempt.get_absolute_url()}#{anchor}")


# --- console -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def console(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """GET: the history. POST: run one line; htmx gets the new entry to append."""
    attempt = get_object_or_404(Attempt.objects.of_learner(request.user), pk=pk)
    if request.method == "GET":
        return render(
            request,
            "challenges/_console.html#history",
            {"attempt": attempt, "console": console_panel(attempt=attempt)},
        )
    line = request.POST.get("line", "")
    if not line.strip():
        return HttpResponse(status=204)
    try:
        if is_ratelimited(
            request,
            group="console",
            key="user",
            rate=settings.BREAKFIX_CONSOLE_RATE,
            method="POST",
            increment=True,
        ):
            raise ConsoleUnavailable(
                "You are sending commands faster than this console takes them: wait a few seconds, "
                "then run the next one."
            )
        command = console_run(attempt=attempt, line=line)
    except ConsoleUnavailable as exc:
        if not request.htmx:
            messages.error(request, str(exc))
            return _back(attempt, "console")
        return render(request, "challenges/_console.html#unavailable", {"line": line, "error": str(exc)})
    if not request.htmx:
        return _back(attempt, "console")
    return render(request, "challenges/_console.html#entry", {"command": command})


# --- editor --------------------------------------------------------------------------------------


@login_required
@require_GET
def editor_objects(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    attempt = get_object_or_404(Attempt.objects.of_learner(request.user), pk=pk)
    try:
        refs = editor.editor_objects(attempt=attempt)
        error = ""
    except editor.EditorError as exc:
        refs, error = [], str(exc)
    return render(request, "challenges/_editor.html#objects", {"refs": refs, "error": error})


@login_required
@require_GET
def editor_load(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    attempt = get_object_or_404(Attempt.objects.of_learner(request.user), pk=pk)
    value = request.GET.get("ref", "")
    try:
        ref = editor.parse_ref(value)
        text = editor.editor_load(attempt=attempt, ref=ref)
    except editor.EditorError as exc:
        return render(request, "challenges/_editor.html#result", {"error": str(exc), "loading": True})
    return render(request, "challenges/_editor.html#result", {"loaded": ref, "text": text})


@login_required
@require_POST
def editor_diff(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    attempt = get_object_or_404(Attempt.objects.of_learner(request.user), pk=pk)
    try:
        changes = editor.editor_diff(attempt=attempt, text=request.POST.get("manifest", ""))
    except editor.EditorError as exc:
        return render(request, "challenges/_editor.html#result", {"error": str(exc)})
    return render(request, "challenges/_editor.html#result", {"changes": changes, "dry_run": True})


@login_required
@require_POST
def editor_apply(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    attempt = get_object_or_404(Attempt.objects.of_learner(request.user), pk=pk)
    try:
        changes = editor.editor_apply(attempt=attempt, text=request.POST.get("manifest", ""))
    except editor.EditorError as exc:
        if not request.htmx:
            messages.error(request, str(exc))
            return _back(attempt, "editor")
        return render(request, "challenges/_editor.html#result", {"error": str(exc)})
    if not request.htmx:
        messages.success(request, "Applied: " + ", ".join(f"{c.kind}/{c.name} {c.action}" for c in changes))
        return _back(attempt, "editor")
    response = render(request, "challenges/_editor.html#result", {"changes": changes, "applied": True})
    response["HX-Trigger"] = "editor-changed"  # the object picker lists what was just created
    return response


# --- hints and the solution ----------------------------------------------------------------------


@login_required
@require_POST
def hint_unlock(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    attempt = get_object_or_404(Attempt.objects.of_learner(request.user), pk=pk)
    error = ""
    try:
        hints.hint_unlock(attempt=attempt)
    except hints.HintError as exc:
        error = str(exc)
    attempt.refresh_from_db()
    if not request.htmx:
        if error:
            messages.error(request, error)
        return _back(attempt, "hints")
    return render(
        request,
        "challenges/_hints.html#hints",
        {"attempt": attempt, "panel": workspace.hints_context(attempt), "hint_error": error},
    )


@login_required
@require_GET
def solution(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    attempt = get_object_or_404(Attempt.objects.of_learner(request.user), pk=pk)
    try:
        files = hints.solution_files(attempt=attempt)
    except hints.HintError as exc:
        messages.error(request, str(exc))
        return _back(attempt, "hints")
    return render(request, "challenges/solution.html", {"attempt": attempt, "files": files})


# --- kubeconfig ----------------------------------------------------------------------------------


@login_required
@require_GET
def kubeconfig(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    attempt = get_object_or_404(Attempt.objects.of_learner(request.user), pk=pk)
    if settings.BREAKFIX_KUBECONFIG_DOWNLOAD == "off":
        messages.error(request, "This installation's clusters are reachable through the console only.")
        return _back(attempt, "kubeconfig")
    try:
        text = attempt_learner_kubeconfig(attempt=attempt)
    except (AttemptError, SecretUnreadable):
        messages.error(request, "Your environment is not running, so there is no kubeconfig to download.")
        return _back(attempt, "kubeconfig")
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="breakfix-{attempt.challenge.slug}-{attempt.pk}.kubeconfig"'
    )
    # It holds a credential: never cached, by the browser or anything between.
    response["Cache-Control"] = "no-store, private"
    return response


# --- profile -------------------------------------------------------------------------------------


@login_required
@require_GET
def profile(request: HtmxHttpRequest) -> HttpResponse:
    progress = selectors.progress_by_challenge(learner=request.user)
    challenges = Challenge.objects.filter(published=True).order_by("title")
    rows = [(challenge, progress.get(challenge.pk, Progress())) for challenge in challenges]
    order = {"easy": 0, "medium": 1, "hard": 2}
    rows.sort(key=lambda row: (order.get(row[0].difficulty, 3), row[0].title))
    context = {
        "rows": rows,
        "standing": selectors.learner_standing(progress=progress),
        "solved": sum(1 for _, item in rows if item.solved_count),
        "in_progress": sum(1 for _, item in rows if item.attempts and not item.solved_count),
        "attempts": sum(item.attempts for _, item in rows),
        "hints_used": sum(item.hints_used for _, item in rows),
        "ranks": xp.RANKS,
        "xp_rules": {
            "base": xp.BASE,
            "hint_penalty": xp.HINT_PENALTY_PERCENT,
            "min_percent": xp.MIN_PERCENT,
            "bonus": xp.FIRST_SOLVE_BONUS_PERCENT,
        },
        # The classroom app's list of the learner's classrooms, for one (BREAKFIX_PROFILE_SECTIONS).
        "profile_sections": [import_string(path)(request) for path in settings.BREAKFIX_PROFILE_SECTIONS],
    }
    return render(request, "challenges/profile.html", context)
