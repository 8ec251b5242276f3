"""A console line run for the page's terminal: kubectl's output as it comes, then the stored entry.

The transport, and why: the web app is served through ASGI (uvicorn), and the streaming view
is an async view whose StreamingHttpResponse reads this async iterator. While a command runs,
what it holds in the web process is a task and two sockets (the browser's, the runner's), not a
thread or a worker: `make bench-console` measures how many one process sustains. The browser
reads the response with fetch() as newline-delimited JSON, the same framing the runner already
speaks, so one POST both starts the command and carries its output (server-sent events would
need a second request, and the EventSource API cannot send the POST body and CSRF header that
starting a command takes). Ctrl-C is a separate small POST that stops the command by its id
(`services.console_stop`); the stream then ends with the command's last events.

The one-command-at-a-time lock is held for the whole stream, and the finished command is stored
as one row with its capped output, as the plain form post stores it. A browser that goes away
ends the command (the runner kills kubectl when its connection closes) and what it had printed
is stored too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections

from challenges.console.runner import Exit, Output, RunnerError, output_with_notes
from challenges.console.runner_async import akubectl_stream
from challenges.console.services import (
    ConsoleUnavailable,
    Prepared,
    console_lock,
    console_prepare,
    console_record,
    console_unlock,
    printable_output,
    runner_unavailable,
)
from challenges.models import Attempt, ConsoleCommand

logger = logging.getLogger(__name__)

GONE = "[stopped] The page was closed or lost its connection, which ends the command."


@dataclass(frozen=True)
class Started:
    command_id: str
    seconds: float  # the time limit: BREAKFIX_CONSOLE_WATCH_SECONDS for a command that watches
    watches: bool


@dataclass(frozen=True)
class Chunk:
    data: str  # printable: control characters written as \xNN, as they are stored


@dataclass(frozen=True)
class Finished:
    command: ConsoleCommand  # stored: refused, or run with its output and exit code


@dataclass(frozen=True)
class NotRun:
    line: str
    message: str  # what the learner reads: the console could not run anything now


type StreamEvent = Started | Chunk | Finished | NotRun


def time_limit(prepared: Prepared) -> float:
    if prepared.watches:
        return float(settings.BREAKFIX_CONSOLE_WATCH_SECONDS)
    return float(settings.BREAKFIX_CONSOLE_TIMEOUT_SECONDS)


def _begin(*, attempt: Attempt, line: str) -> Prepared | ConsoleCommand:
    """Read the line; then give the thread's database connection back (sync).

    A stream may stay open for minutes, and a connection is one of PostgreSQL's hundred: an
    open stream holds none (the finished command opens one to be stored). A connection inside
    a transaction (a test's) is left alone.
    """
    try:
        return console_prepare(attempt=attempt, line=line)
    finally:
        for connection in connections.all(initialized_only=True):
            if not connection.in_atomic_block:
                connection.close()


def _finish(
    prepared: Prepared, token: str, chunks: list[str], end: Exit | None, seconds: float, started: float
) -> ConsoleCommand:
    """Give the console back and store the command (sync: the cache and the database)."""
    try:
        output = "".join(chunks)
        if end is None:  # the browser went away: the runner ended kubectl when the connection closed
            output = f"{output.rstrip()}\n{GONE}".lstrip()
            elapsed = int((time.monotonic() - started) * 1000)
            return console_record(prepared=prepared, output=output, exit_code=None, duration_ms=elapsed)
        output = output_with_notes(
            output,
            end,
            timeout=seconds,
            limit=settings.BREAKFIX_CONSOLE_OUTPUT_LIMIT,
            watching=prepared.watches,
        )
        return console_record(
            prepared=prepared, output=output, exit_code=end.exit_code, duration_ms=end.duration_ms
        )
    finally:
        console_unlock(attempt=prepared.attempt, token=token)


async def console_stream(*, attempt: Attempt, line: str) -> AsyncGenerator[StreamEvent]:
    """Run `line` as the attempt's learner: Started, the output's Chunks, then Finished (or NotRun)."""
    try:
        prepared = await sync_to_async(_begin)(attempt=attempt, line=line)
    except ConsoleUnavailable as exc:
        yield NotRun(line=line, message=str(exc))
        return
    if isinstance(prepared, ConsoleCommand):  # refused, and stored with its reason
        yield Finished(command=prepared)
        return
    seconds = time_limit(prepared)
    try:
        token = await sync_to_async(console_lock)(
            attempt=attempt, command_id=prepared.command_id, seconds=seconds
        )
    except ConsoleUnavailable as exc:
        yield NotRun(line=line, message=str(exc))
        return
    started = time.monotonic()
    chunks: list[str] = []
    end: Exit | None = None
    failed: ConsoleUnavailable | None = None
    command: ConsoleCommand | None = None
    try:
        yield Started(command_id=prepared.command_id, seconds=seconds, watches=prepared.watches)
        events = akubectl_stream(
            args=prepared.args,
            kubeconfig=prepared.kubeconfig,
            command_id=prepared.command_id,
            timeout_seconds=seconds,
        )
        try:
            # aclosing: however this generator ends, the runner's stream is closed now, not
            # whenever the garbage collector gets to it, and kubectl ends with it.
            async with contextlib.aclosing(events):
                async for event in events:
                    if isinstance(event, Output):
                        chunks.append(event.data)
                        yield Chunk(data=printable_output(event.data))
                    else:
                        end = event
        except RunnerError as exc:
            failed = runner_unavailable(exc)
    finally:
        if failed is not None:
            await sync_to_async(console_unlock)(attempt=attempt, token=token)
        else:
            # Reached when the browser goes away too (the task is cancelled): shielded, so that
            # the lock is given back and the command stored even then.
            finish = sync_to_async(_finish)(prepared, token, chunks, end, seconds, started)
            command = await asyncio.shield(finish)
    if failed is not None:
        yield NotRun(line=line, message=str(failed))
    elif command is not None:
        yield Finished(command=command)
