"""The runner's wire format, shared by the runner and the web side's client (stdlib only).

HTTP/1.1 over a Unix socket (`make run`, the tests) or TCP on a private network (compose).
Every request carries `Authorization: Bearer <BREAKFIX_CONSOLE_TOKEN>`.

    POST /v1/run        {"id": "…", "args": ["get", "pods"], "kubeconfig": "…",
                         "timeout_seconds": 15, "output_limit": 64000}
        200, application/x-ndjson, one JSON object a line, flushed as kubectl writes:
            {"event": "started", "id": "…"}
            {"event": "output", "data": "…"}                  (zero or more; stdout and stderr interleaved)
            {"event": "exit", "exit_code": 0, "timed_out": false, "truncated": false,
             "stopped": false, "duration_ms": 41}             (always last, unless the runner died)
        400 {"error": "invalid", "message": …}   the request is malformed
        409 {"error": "duplicate", …}            a command with this id is running
        503 {"error": "busy", …}                 BREAKFIX_CONSOLE_MAX_PROCESSES commands are running
    POST /v1/stop/<id>  200 {"stopped": true|false}  (false: nothing runs under that id any more)
    POST /v1/complete   {"args": [...words, partial], "kubeconfig": "…"} → 200 {"output": "…", "exit_code": 0}
                        the raw stdout of `kubectl __complete ARGS…` (filtered by the web side)
    GET  /v1/health     200 {"ok": true, "sandbox": "bwrap", "running": 0, "max_processes": 16,
                             "dumpable": false}
    401 {"error": "unauthorized"} for a missing or wrong token, on every path.

`exit_code` is null when the runner ended the command (time limit, output cap, stop). Closing the
response ends the command too: a web request that goes away does not leave kubectl behind.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

RUN_PATH = "/v1/run"
STOP_PATH = "/v1/stop/{id}"
COMPLETE_PATH = "/v1/complete"
HEALTH_PATH = "/v1/health"
NDJSON = "application/x-ndjson"

# Bounds on what one request may ask for; the web side sends far less.
MAX_ARGS = 512
MAX_ARGS_BYTES = 256 * 1024
MAX_KUBECONFIG_BYTES = 512 * 1024
MAX_TIMEOUT_SECONDS = 3600.0
MAX_OUTPUT_LIMIT = 16 * 1024 * 1024
MAX_BODY_BYTES = MAX_ARGS_BYTES + MAX_KUBECONFIG_BYTES + 64 * 1024
COMPLETE_TIMEOUT_SECONDS = 5.0
COMPLETE_OUTPUT_LIMIT = 256 * 1024
MIN_TOKEN_LENGTH = 32

_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


class InvalidRequest(ValueError):
    """The request does not follow this protocol; the message says which part."""


@dataclass(frozen=True)
class RunRequest:
    id: str
    args: tuple[str, ...]
    kubeconfig: str
    timeout_seconds: float
    output_limit: int
    with_stderr: bool = True  # interleaved with stdout, as a terminal shows them


def new_command_id() -> str:
    return secrets.token_urlsafe(12)


def _words(value: object, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(word, str) for word in value):
        raise InvalidRequest(f"{what} must be a list of strings")
    if len(value) > MAX_ARGS:
        raise InvalidRequest(f"{what}: at most {MAX_ARGS} words")
    if sum(len(word.encode()) for word in value) > MAX_ARGS_BYTES:
        raise InvalidRequest(f"{what}: at most {MAX_ARGS_BYTES} bytes in all")
    if any("\0" in word for word in value):
        raise InvalidRequest(f"{what}: a word contains a NUL character")
    return tuple(value)


def _kubeconfig(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest("kubeconfig must be the text of a kubeconfig")
    if len(value.encode()) > MAX_KUBECONFIG_BYTES:
        raise InvalidRequest(f"kubeconfig: at most {MAX_KUBECONFIG_BYTES} bytes")
    return value


def _number(body: dict[str, Any], key: str, default: float, top: float) -> float:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= top:
        raise InvalidRequest(f"{key} must be a number above 0 and at most {top:g}")
    return float(value)


def parse_run_request(body: object, *, default_timeout: float, default_output_limit: int) -> RunRequest:
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object")
    command_id = body.get("id") or new_command_id()
    if not isinstance(command_id, str) or not _ID.fullmatch(command_id):
        raise InvalidRequest("id must be 8 to 64 characters of A-Z, a-z, 0-9, _ and -")
    return RunRequest(
        id=command_id,
        args=_words(body.get("args"), "args"),
        kubeconfig=_kubeconfig(body.get("kubeconfig")),
        timeout_seconds=_number(body, "timeout_seconds", default_timeout, MAX_TIMEOUT_SECONDS),
        output_limit=int(_number(body, "output_limit", default_output_limit, MAX_OUTPUT_LIMIT)),
    )


def parse_complete_request(body: object) -> RunRequest:
    """A completion is a short run of `kubectl __complete WORDS…` (the last word is the partial one)."""
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object")
    return RunRequest(
        id=new_command_id(),
        args=("__complete", *_words(body.get("args"), "args")),
        kubeconfig=_kubeconfig(body.get("kubeconfig")),
        timeout_seconds=COMPLETE_TIMEOUT_SECONDS,
        output_limit=COMPLETE_OUTPUT_LIMIT,
        with_stderr=False,  # cobra's "Completion ended with directive…" note is not a candidate
    )


def is_command_id(value: str) -> bool:
    return bool(_ID.fullmatch(value))


def event_line(event: str, **fields: object) -> bytes:
    return json.dumps({"event": event, **fields}, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
