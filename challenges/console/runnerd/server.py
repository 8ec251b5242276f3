"""The runner's HTTP side: token check, the cap on concurrent commands, streaming responses.

aiohttp serves it: one well-kept asyncio library that gives a server on a Unix socket and on
TCP, streaming responses and graceful shutdown, with nothing of a web framework we do not use
(it is already in the lock file, as a dependency of the kubernetes client). A command is a few
pipes and a child process, so one event loop holds many at once without a thread each.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from challenges.console.runnerd.execution import Command
from challenges.console.runnerd.protocol import (
    COMPLETE_PATH,
    HEALTH_PATH,
    MAX_BODY_BYTES,
    NDJSON,
    RUN_PATH,
    STOP_PATH,
    InvalidRequest,
    RunRequest,
    event_line,
    is_command_id,
    parse_complete_request,
    parse_run_request,
)
from challenges.console.runnerd.sandbox import Sandbox

logger = logging.getLogger("breakfix.console.runner")

PR_GET_DUMPABLE = 3

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Runner:
    """What the handlers share: the sandbox, the token, and the commands running now."""

    def __init__(
        self,
        *,
        sandbox: Sandbox,
        token: str,
        max_processes: int,
        default_timeout: float = 15.0,
        default_output_limit: int = 64_000,
    ) -> None:
        self.sandbox = sandbox
        self._token = token.encode()
        self.max_processes = max_processes
        self.default_timeout = default_timeout
        self.default_output_limit = default_output_limit
        self.running: dict[str, Command] = {}

    def authorized(self, request: web.Request) -> bool:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        # Constant time: how long a wrong token takes to refuse says nothing about the right one.
        return scheme == "Bearer" and hmac.compare_digest(given.encode(), self._token)

    def admit(self, run: RunRequest) -> Command:
        if run.id in self.running:
            raise web.HTTPConflict(
                text=_json_text("duplicate", f"a command with id {run.id} is running"),
                content_type="application/json",
            )
        if len(self.running) >= self.max_processes:
            raise web.HTTPServiceUnavailable(
                text=_json_text("busy", f"{self.max_processes} commands are running; try again shortly"),
                content_type="application/json",
                headers={"Retry-After": "1"},
            )
        command = Command(run, self.sandbox)
        self.running[run.id] = command
        return command

    def stop_all(self) -> None:
        for command in list(self.running.values()):
            command.stop()


def _json_text(error: str, message: str) -> str:
    return json.dumps({"error": error, "message": message})


RUNNER = web.AppKey("runner", Runner)


@web.middleware
async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.app[RUNNER].authorized(request):
        return web.json_response({"error": "unauthorized", "message": "missing or wrong token"}, status=401)
    return await handler(request)


async def _body(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError as exc:
        raise web.HTTPBadRequest(
            text=_json_text("invalid", f"the body is not JSON: {exc}"), content_type="application/json"
        ) from exc


async def run(request: web.Request) -> web.StreamResponse:
    runner = request.app[RUNNER]
    try:
        command_request = parse_run_request(
            await _body(request),
            default_timeout=runner.default_timeout,
            default_output_limit=runner.default_output_limit,
        )
    except InvalidRequest as exc:
        return web.json_response({"error": "invalid", "message": str(exc)}, status=400)
    command = runner.admit(command_request)
    try:
        response = web.StreamResponse(headers={"Content-Type": NDJSON, "Cache-Control": "no-store"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        async with contextlib.aclosing(command.events()) as events:
            try:
                async for line in events:
                    await response.write(line)
            except (ConnectionError, RuntimeError, asyncio.CancelledError) as exc:
                # The reader went away: leaving the `async with` ends the command and reaps it.
                logger.info("command %s: the client went away; stopping it", command_request.id)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                return response
            except Exception as exc:
                logger.exception("command %s failed in the runner", command_request.id)
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await response.write(event_line("error", message=f"the runner failed: {exc}"))
        with contextlib.suppress(ConnectionError, RuntimeError):
            await response.write_eof()
        return response
    finally:
        runner.running.pop(command_request.id, None)


async def complete(request: web.Request) -> web.StreamResponse:
    """`kubectl __complete WORDS…`, answered in one JSON body: completion is not worth a stream."""
    runner = request.app[RUNNER]
    try:
        command_request = parse_complete_request(await _body(request))
    except InvalidRequest as exc:
        return web.json_response({"error": "invalid", "message": str(exc)}, status=400)
    command = runner.admit(command_request)
    output: list[str] = []
    result: dict[str, Any] = {}
    try:
        async with contextlib.aclosing(command.events()) as events:
            async for line in events:
                event = json.loads(line)
                if event["event"] == "output":
                    output.append(event["data"])
                elif event["event"] == "exit":
                    result = event
    finally:
        runner.running.pop(command_request.id, None)
    return web.json_response(
        {
            "output": "".join(output),
            "exit_code": result.get("exit_code"),
            "timed_out": result.get("timed_out", False),
            "duration_ms": result.get("duration_ms", 0),
        }
    )


async def stop(request: web.Request) -> web.StreamResponse:
    command_id = request.match_info["id"]
    command = request.app[RUNNER].running.get(command_id) if is_command_id(command_id) else None
    if command is not None:
        command.stop()
    return web.json_response({"stopped": command is not None})


async def health(request: web.Request) -> web.StreamResponse:
    runner = request.app[RUNNER]
    return web.json_response(
        {
            "ok": True,
            "sandbox": runner.sandbox.name,
            "running": len(runner.running),
            "max_processes": runner.max_processes,
            "dumpable": dumpable(),
        }
    )


def dumpable() -> bool:
    """Whether same-uid processes may read this one's /proc/<pid>/environ and memory (they must not)."""
    return bool(ctypes.CDLL(None).prctl(PR_GET_DUMPABLE, 0, 0, 0, 0))


async def _on_shutdown(app: web.Application) -> None:
    app[RUNNER].stop_all()


async def _on_cleanup(app: web.Application) -> None:
    app[RUNNER].sandbox.close()


def make_app(runner: Runner) -> web.Application:
    app = web.Application(middlewares=[authenticate], client_max_size=MAX_BODY_BYTES)
    app[RUNNER] = runner
    app.router.add_post(RUN_PATH, run)
    app.router.add_post(STOP_PATH, stop)
    app.router.add_post(COMPLETE_PATH, complete)
    app.router.add_get(HEALTH_PATH, health)
    app.on_shutdown.append(_on_shutdown)
    app.on_cleanup.append(_on_cleanup)
    return app
