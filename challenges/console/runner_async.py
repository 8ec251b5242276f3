"""The runner's client for the streaming view: the protocol of `runner`, on httpx's async client.

Under ASGI the streaming view reads kubectl's output in the web process's event loop: a command
that streams is a task and a socket there, not a thread, so one process holds many at once
(`make bench-console` measures how many). The sync client in `runner` stays for the plain form
post and for completion, which answer at once.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import AsyncGenerator

import httpx
from django.conf import settings

from challenges.console.runner import (
    LIMITS,
    Event,
    Exit,
    RunnerError,
    RunnerUnavailable,
    auth_headers,
    parse_event,
    refusal_error,
    request_timeout,
    run_body,
    runner_address,
)
from challenges.console.runnerd.protocol import RUN_PATH, STOP_PATH

_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[int, str], httpx.AsyncClient]] = (
    weakref.WeakKeyDictionary()
)


def _client() -> httpx.AsyncClient:
    """One client per event loop, process and runner address: an async client belongs to its loop."""
    address = settings.BREAKFIX_CONSOLE_RUNNER
    per_loop = _clients.setdefault(asyncio.get_running_loop(), {})
    key = (os.getpid(), address)
    client = per_loop.get(key)
    if client is None:
        uds, base_url = runner_address(address)
        transport = httpx.AsyncHTTPTransport(uds=uds, limits=LIMITS)
        client = httpx.AsyncClient(transport=transport, base_url=base_url, trust_env=False)
        per_loop[key] = client
    return client


async def akubectl_stream(
    *,
    args: list[str],
    kubeconfig: str,
    command_id: str,
    timeout_seconds: float,
    output_limit: int | None = None,
) -> AsyncGenerator[Event]:
    """`runner.kubectl_stream`, awaited: kubectl's output as it comes, then its Exit.

    Leaving the iteration early (the browser went away, the task was cancelled) closes the
    connection, and the runner ends the command.
    """
    body = run_body(
        args=args,
        kubeconfig=kubeconfig,
        command_id=command_id,
        timeout=timeout_seconds,
        output_limit=output_limit,
    )
    try:
        async with _client().stream(
            "POST", RUN_PATH, json=body, headers=auth_headers(), timeout=request_timeout(timeout_seconds)
        ) as r:
            if r.status_code != 200:
                await r.aread()
                raise refusal_error(r)
            ended = False
            async for line in r.aiter_lines():
                event = parse_event(line)
                if event is None:
                    continue
                ended = isinstance(event, Exit)
                yield event
            if not ended:
                raise RunnerUnavailable("the runner closed the stream before the command ended")
    except httpx.TransportError as exc:
        raise RunnerUnavailable(
            f"cannot reach the console runner at {settings.BREAKFIX_CONSOLE_RUNNER}: {exc}"
        ) from exc
    except ValueError as exc:  # a line that is not JSON: not our runner
        raise RunnerError(f"the runner sent something that is not its protocol: {exc}") from exc


async def akubectl_stop(*, command_id: str) -> bool:
    """`runner.kubectl_stop`, awaited."""
    try:
        response = await _client().post(
            STOP_PATH.format(id=command_id), headers=auth_headers(), timeout=request_timeout(0)
        )
    except httpx.TransportError as exc:
        raise RunnerUnavailable(f"cannot reach the console runner: {exc}") from exc
    if response.status_code != 200:
        raise refusal_error(response)
    return bool(response.json().get("stopped"))
