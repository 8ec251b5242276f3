"""Log lines that say which attempt they are about: `attempt=<id>` on every line emitted while a
task works on an attempt or a request handles one of its pages.

The id lives in a context variable, so it follows the work and nothing else: a Celery pool
process runs one task at a time, each ASGI request runs in a context of its own, and a line
written between two pieces of work carries no id. `AttemptLogFilter`, on the handlers of
settings.LOGGING, copies it onto each record as `attempt` (" attempt=42", or "" outside an
attempt) for the format to end with. The tasks set it with `attempt_logging`;
`request_started` (connected in challenges.apps) sets it for a request to /attempts/<id>/….
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

current_attempt: ContextVar[int | None] = ContextVar("breakfix_attempt", default=None)

ATTEMPT_PATH = re.compile(r"^/attempts/(?P<pk>\d+)/")


@contextmanager
def attempt_logging(attempt_id: int | None) -> Iterator[None]:
    """Every line logged inside carries `attempt=<attempt_id>` (None: none)."""
    token = current_attempt.set(attempt_id)
    try:
        yield
    finally:
        current_attempt.reset(token)


class AttemptLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        attempt_id = current_attempt.get()
        record.attempt_id = attempt_id
        record.attempt = f" attempt={attempt_id}" if attempt_id is not None else ""
        return True


def attempt_of_path(path: str) -> int | None:
    match = ATTEMPT_PATH.match(path)
    return int(match["pk"]) if match else None


def request_started(
    sender: object, environ: dict[str, Any] | None = None, scope: dict[str, Any] | None = None, **kwargs: Any
) -> None:
    """A request to one of an attempt's pages (/attempts/<id>/…) logs with its id, whoever asks
    (a request for someone else's attempt is worth finding too); any other request with none.

    On Django's request_started and request_finished rather than in a middleware: Django logs a
    request's 4xx and 5xx lines ("Not Found: …") after the middleware have returned, and those
    are the lines an operator looks for. Under ASGI each request runs in a context of its own;
    a WSGI thread's is set again by every request that starts in it.
    """
    if scope is not None:
        path = scope.get("path", "").removeprefix(scope.get("root_path", ""))
    else:
        path = (environ or {}).get("PATH_INFO", "")
    current_attempt.set(attempt_of_path(path))


def request_finished(sender: object, **kwargs: Any) -> None:
    current_attempt.set(None)
