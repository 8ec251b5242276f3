"""The page's terminal: a streamed command, Ctrl-C, and Tab completion.

The plain form post (`workspace.console`) stays the console without JavaScript. With it, the
page posts each line here and reads the answer as it streams (see `challenges.console.streaming`
for the transport, and why). Only the attempt's own learner reaches these views; anyone else
gets a 404, as if the attempt did not exist.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse, StreamingHttpResponse
from django.shortcuts import aget_object_or_404, get_object_or_404
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from challenges.console import streaming
from challenges.console.runnerd.protocol import NDJSON
from challenges.console.services import console_complete, console_stop
from challenges.console.tab import Completion
from challenges.models import Attempt

TOO_FAST = (
    "You are sending commands faster than this console takes them: wait a few seconds, then run the next one."
)
TABBING_TOO_FAST = (
    "You are pressing Tab faster than the console completes: wait a second, then press it again."
)


def _limited(request: HttpRequest, *, group: str, rate: str, user_pk: object) -> bool:
    # The key is the user's pk, as django-ratelimit's "user" key: the streamed and the plain
    # console share one count ("console").
    return bool(
        is_ratelimited(
            request,
            group=group,
            key=lambda _group, _request: str(user_pk),
            rate=rate,
            method="POST",
            increment=True,
        )
    )


def _line(event: str, **fields: object) -> bytes:
    return json.dumps({"event": event, **fields}, ensure_ascii=False).encode() + b"\n"


def _announce(event: streaming.Finished) -> str:
    """What a screen reader says when a command finishes (the page's live region)."""
    command = event.command
    if command.refused:
        return f"Not run: {command.output}"
    lines = len(command.output.splitlines())
    exit_text = "stopped" if command.exit_code is None else f"exit code {command.exit_code}"
    summary = f"Finished, {exit_text}, {lines} line{'s' if lines != 1 else ''} of output."
    return f"{summary} {command.output}" if len(command.output) <= 300 else summary


def _render(event: streaming.StreamEvent) -> bytes:
    """One event as the page reads it: a JSON object on a line; the last carries the stored entry."""
    if isinstance(event, streaming.Chunk):
        return _line("output", data=event.data)
    if isinstance(event, streaming.Started):
        return _line("started", id=event.command_id, seconds=event.seconds, watches=event.watches)
    if isinstance(event, streaming.Finished):
        html = render_to_string("challenges/_console.html#entry", {"command": event.command})
        return _line(
            "end",
            html=html,
            line=event.command.command,
            exit_code=event.command.exit_code,
            refused=event.command.refused,
            announce=_announce(event),
        )
    html = render_to_string(
        "challenges/_console.html#unavailable", {"line": event.line, "error": event.message}
    )
    return _line("end", html=html, line=event.line, refused=True, announce=f"Not run: {event.message}")


async def _ndjson(attempt: Attempt, line: str) -> AsyncIterator[bytes]:
    # aclosing: when the response's iterator is closed, the command's is too, at once.
    async with contextlib.aclosing(streaming.console_stream(attempt=attempt, line=line)) as events:
        async for event in events:
            yield _render(event)


@login_required
@require_POST
async def console_stream(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Run one line and stream kubectl's output (NDJSON): started, output…, end (the stored entry)."""
    user = await request.auser()
    attempt = await aget_object_or_404(Attempt.objects.of_learner(user), pk=pk)
    line = request.POST.get("line", "")
    if not line.strip():
        return HttpResponse(status=204)
    limited = await sync_to_async(_limited)(
        request, group="console", rate=settings.BREAKFIX_CONSOLE_RATE, user_pk=user.pk
    )
    if limited:
        return HttpResponse(_render(streaming.NotRun(line=line, message=TOO_FAST)), content_type=NDJSON)
    response = StreamingHttpResponse(_ndjson(attempt, line), content_type=NDJSON)
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"  # a proxy in front (nginx) passes each line on at once
    return response


@login_required
@require_POST
def console_stop_view(request: HttpRequest, pk: int) -> JsonResponse:
    """Ctrl-C: end the attempt's running command, named by the id its stream started with."""
    attempt = get_object_or_404(Attempt.objects.of_learner(request.user), pk=pk)
    return JsonResponse({"stopped": console_stop(attempt=attempt, command_id=request.POST.get("id", ""))})


def _completion_json(completion: Completion) -> JsonResponse:
    return JsonResponse(
        {
            "partial": completion.partial,
            "candidates": [
                {"value": item.value, "description": item.description} for item in completion.candidates
            ],
            "no_space": completion.no_space,
            "message": completion.message,
            "more": completion.more,
        }
    )


@login_required
@require_POST
def console_complete_view(request: HttpRequest, pk: int) -> JsonResponse:
    """Tab: what may complete the word before the cursor (`line` is the text up to the cursor)."""
    attempt = get_object_or_404(Attempt.objects.of_learner(request.user), pk=pk)
    line = request.POST.get("line", "")
    if _limited(
        request,
        group="console-complete",
        rate=settings.BREAKFIX_CONSOLE_COMPLETE_RATE,
        user_pk=request.user.pk,
    ):
        return _completion_json(Completion(partial="", message=TABBING_TOO_FAST))
    return _completion_json(console_complete(attempt=attempt, line=line))
