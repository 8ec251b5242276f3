"""The web side of the console runner: send a command, read its output as it streams back.

kubectl never runs in the web process. It runs in the console runner
(`challenges.console.runnerd`), a service of its own that holds no platform secret, in a
sandbox (bubblewrap, or the runner's own container in compose) where it can read nothing of the
platform. The learner's kubeconfig travels with each command. This module speaks the runner's
protocol (see `runnerd.protocol`) over BREAKFIX_CONSOLE_RUNNER, a Unix socket or a private TCP
address, with BREAKFIX_CONSOLE_TOKEN; httpx is the client (sync, like the views, and it speaks
HTTP over a Unix socket as well as TCP).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from django.conf import settings

from challenges.console.runnerd.protocol import (
    COMPLETE_PATH,
    HEALTH_PATH,
    RUN_PATH,
    STOP_PATH,
    new_command_id,
)

logger = logging.getLogger(__name__)

TRUNCATED = "[output truncated]"
CONNECT_SECONDS = 3.0
# Beyond the command's own time limit: start-up, the kill, the last events.
GRACE_SECONDS = 15.0


@dataclass(frozen=True)
class RunResult:
    output: str
    exit_code: int | None  # None when the command was stopped at the time limit
    duration_ms: int
    truncated: bool = False
    timed_out: bool = False
    stopped: bool = False


@dataclass(frozen=True)
class Output:
    """Some of kubectl's output (stdout and stderr interleaved), as it came."""

    data: str


@dataclass(frozen=True)
class Exit:
    """The last event of a command."""

    exit_code: int | None  # None when the runner ended it (time limit, output cap, stop)
    timed_out: bool
    truncated: bool
    stopped: bool
    duration_ms: int


type Event = Output | Exit


class RunnerError(Exception):
    """The console runner could not run the command; the message is for the operator's log."""


class RunnerUnavailable(RunnerError):
    """The runner is not there, not configured, or refused our token."""


class RunnerBusy(RunnerError):
    """The runner is at BREAKFIX_CONSOLE_MAX_PROCESSES; a moment later it may take the command."""


class KubectlMissing(Exception):
    """No kubectl binary to run: an installation problem, not the learner's."""


# --- which kubectl (for the runner's configuration and the tests) -------------------------------


def _controlplane_kubectl() -> Path | None:
    """The kubectl built with the local control plane, when it has been built."""
    override = os.environ.get("BREAKFIX_CONTROLPLANE_DIR")
    if override:
        candidate = Path(override) / "kubectl"
        return candidate if os.access(candidate, os.X_OK) else None
    versions = settings.BASE_DIR / "platform" / "controlplane" / "versions.env"
    try:
        lines = versions.read_text().splitlines()
    except OSError:
        return None
    version = next((line.split("=", 1)[1].strip() for line in lines if line.startswith("K8S_VERSION=")), "")
    candidate = settings.CACHE_DIR / "controlplane" / version / "kubectl"
    return candidate if version and os.access(candidate, os.X_OK) else None


def kubectl_path() -> str:
    """BREAKFIX_KUBECTL when it is a path; else the control plane's kubectl; else the one on PATH.

    The control plane's comes before PATH because it matches the API server's version, and
    a distribution's `kubectl` may be anything (some are wrappers around other tools).
    """
    configured = settings.BREAKFIX_KUBECTL
    if os.sep in configured:
        if not os.access(configured, os.X_OK):
            raise KubectlMissing(f"BREAKFIX_KUBECTL={configured} is not an executable file")
        return configured
    if configured == "kubectl" and (built := _controlplane_kubectl()):
        return str(built)
    found = shutil.which(configured)
    if found is None:
        raise KubectlMissing(f"no {configured!r} on PATH; set BREAKFIX_KUBECTL to kubectl's path")
    return found


# --- the client -----------------------------------------------------------------------------------

# No cap on connections: the runner caps its commands itself (BREAKFIX_CONSOLE_MAX_PROCESSES) and
# answers "busy" beyond it, where httpx's default pool (100) would queue a command silently.
LIMITS = httpx.Limits(max_connections=None, max_keepalive_connections=32)

_clients: dict[tuple[int, str], httpx.Client] = {}
_clients_lock = threading.Lock()


def runner_address(address: str) -> tuple[str | None, str]:
    """(unix socket path or None, base URL) of BREAKFIX_CONSOLE_RUNNER, for the sync and async clients."""
    if address.startswith("unix://"):
        return address.removeprefix("unix://"), "http://console-runner"
    if address.startswith(("http://", "https://")):
        return None, address.rstrip("/")
    raise RunnerUnavailable(
        f"BREAKFIX_CONSOLE_RUNNER={address!r}: use unix:///path/runner.sock or http://host:port"
    )


def _client() -> httpx.Client:
    """One pooled client per process and runner address (building one costs an SSL context)."""
    address = settings.BREAKFIX_CONSOLE_RUNNER
    key = (os.getpid(), address)  # a forked worker must not share its parent's connections
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            uds, base_url = runner_address(address)
            transport = httpx.HTTPTransport(uds=uds, limits=LIMITS)
            client = httpx.Client(transport=transport, base_url=base_url, trust_env=False)
            _clients[key] = client
        return client


def auth_headers() -> dict[str, str]:
    token = settings.BREAKFIX_CONSOLE_TOKEN
    if not token:
        raise RunnerUnavailable("BREAKFIX_CONSOLE_TOKEN is not set (platform/scripts/dotenv writes one)")
    return {"Authorization": f"Bearer {token}"}


def refusal_error(response: httpx.Response) -> RunnerError:
    try:
        body = json.loads(response.read() or b"{}")
    except ValueError:
        body = {}
    message = body.get("message") or response.reason_phrase
    if response.status_code == 503 and body.get("error") == "busy":
        return RunnerBusy(message)
    if response.status_code == 401:
        return RunnerUnavailable("the runner refused BREAKFIX_CONSOLE_TOKEN: the web app and runner differ")
    return RunnerError(f"the runner answered {response.status_code}: {message}")


def request_timeout(seconds: float) -> httpx.Timeout:
    return httpx.Timeout(seconds + GRACE_SECONDS, connect=CONNECT_SECONDS)


def run_body(
    *, args: list[str], kubeconfig: str, command_id: str | None, timeout: float, output_limit: int | None
) -> dict[str, object]:
    return {
        "id": command_id or new_command_id(),
        "args": args,
        "kubeconfig": kubeconfig,
        "timeout_seconds": timeout,
        "output_limit": output_limit or settings.BREAKFIX_CONSOLE_OUTPUT_LIMIT,
    }


def parse_event(line: str) -> Event | None:
    """One line of the runner's NDJSON; None for the lines the web side has no use for.

    Raises ValueError for a line that is not the protocol, RunnerError for the runner's own error.
    """
    if not line:
        return None
    event = json.loads(line)
    kind = event.get("event")
    if kind == "output":
        return Output(data=event["data"])
    if kind == "exit":
        return Exit(
            exit_code=event["exit_code"],
            timed_out=event["timed_out"],
            truncated=event["truncated"],
            stopped=event["stopped"],
            duration_ms=event["duration_ms"],
        )
    if kind == "error":
        raise RunnerError(event.get("message", "the runner failed"))
    return None


def output_with_notes(output: str, end: Exit, *, timeout: float, limit: int, watching: bool = False) -> str:
    """kubectl's output with what the runner did to it said at the end: cut, stopped at the time limit."""
    if end.truncated:
        output = (
            f"{output.rstrip()}\n{TRUNCATED} The console shows the first {limit:,} characters; "
            "narrow the command down (-l, --tail, -o name)."
        )
    if end.timed_out:
        seconds = f"{timeout:g}"
        if watching:
            note = (
                f"[stopped after {seconds} s] The console watches for {seconds} seconds at most; "
                "run the command again to keep watching."
            )
        else:
            note = (
                f"[stopped after {seconds} s] The console runs commands that answer within {seconds} seconds."
            )
        output = f"{output.rstrip()}\n{note}".lstrip()
    if end.stopped:
        output = f"{output.rstrip()}\n[stopped] You stopped this command (Ctrl-C).".lstrip()
    return output


def kubectl_stream(
    *,
    args: list[str],
    kubeconfig: str,
    command_id: str | None = None,
    timeout_seconds: float | None = None,
    output_limit: int | None = None,
) -> Iterator[Event]:
    """Run `kubectl ARGS` as the holder of `kubeconfig`; yield its output as it comes, then its Exit.

    Closing the iterator early ends the command in the runner. `command_id` is what
    `kubectl_stop` takes to end it from elsewhere (another request: Ctrl-C).
    """
    timeout = float(timeout_seconds or settings.BREAKFIX_CONSOLE_TIMEOUT_SECONDS)
    body = run_body(
        args=args, kubeconfig=kubeconfig, command_id=command_id, timeout=timeout, output_limit=output_limit
    )
    try:
        with _client().stream(
            "POST", RUN_PATH, json=body, headers=auth_headers(), timeout=request_timeout(timeout)
        ) as r:
            if r.status_code != 200:
                raise refusal_error(r)
            ended = False
            for line in r.iter_lines():
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


def kubectl_run(*, args: list[str], kubeconfig: str, command_id: str | None = None) -> RunResult:
    """Run `kubectl ARGS` as the holder of `kubeconfig`, within the console's time and output limits.

    stdout and stderr come interleaved, the way a terminal shows them.
    """
    timeout = settings.BREAKFIX_CONSOLE_TIMEOUT_SECONDS
    limit = settings.BREAKFIX_CONSOLE_OUTPUT_LIMIT
    chunks: list[str] = []
    end: Exit | None = None
    for event in kubectl_stream(args=args, kubeconfig=kubeconfig, command_id=command_id):
        if isinstance(event, Output):
            chunks.append(event.data)
        else:
            end = event
    assert end is not None  # kubectl_stream raises when the stream ends without one
    output = output_with_notes("".join(chunks), end, timeout=timeout, limit=limit)
    return RunResult(
        output=output,
        exit_code=end.exit_code,
        duration_ms=end.duration_ms,
        truncated=end.truncated,
        timed_out=end.timed_out,
        stopped=end.stopped,
    )


def kubectl_stop(*, command_id: str) -> bool:
    """End the running command `command_id`; False when nothing runs under that id (any more)."""
    try:
        response = _client().post(
            STOP_PATH.format(id=command_id), headers=auth_headers(), timeout=request_timeout(0)
        )
    except httpx.TransportError as exc:
        raise RunnerUnavailable(f"cannot reach the console runner: {exc}") from exc
    if response.status_code != 200:
        raise refusal_error(response)
    return bool(response.json().get("stopped"))


def kubectl_complete(*, words: list[str], kubeconfig: str) -> str:
    """The raw output of `kubectl __complete WORDS…` (candidates, then the `:N` directive line)."""
    try:
        response = _client().post(
            COMPLETE_PATH,
            json={"args": words, "kubeconfig": kubeconfig},
            headers=auth_headers(),
            timeout=request_timeout(5),
        )
    except httpx.TransportError as exc:
        raise RunnerUnavailable(f"cannot reach the console runner: {exc}") from exc
    if response.status_code != 200:
        raise refusal_error(response)
    return str(response.json().get("output", ""))


def runner_health() -> dict[str, object]:
    """What the runner says of itself: its sandbox, how many commands run, its cap."""
    try:
        response = _client().get(HEALTH_PATH, headers=auth_headers(), timeout=request_timeout(0))
    except httpx.TransportError as exc:
        raise RunnerUnavailable(f"cannot reach the console runner: {exc}") from exc
    if response.status_code != 200:
        raise refusal_error(response)
    health: dict[str, object] = response.json()
    return health
