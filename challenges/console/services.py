"""The console's one write: run a line for an attempt and keep it in the attempt's history."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache

from challenges.console.parser import Refused, Scope, parse, printable
from challenges.console.runner import RunnerBusy, RunnerError, kubectl_run
from challenges.console.table import TableMissing
from challenges.models import Attempt, ConsoleCommand
from challenges.secrets import SecretUnreadable
from challenges.services.attempts import AttemptError, attempt_learner_kubeconfig

logger = logging.getLogger(__name__)

# What is kept of a refused line: enough to recognise it, not a place to store essays.
MAX_STORED_LINE = 4000


class ConsoleUnavailable(Exception):
    """The console cannot run anything for this attempt now; the message says why."""


class ConsoleBusy(ConsoleUnavailable):
    """The attempt's previous command is still running: one at a time per attempt."""


# kubectl's output may carry control characters (a pod's log can hold anything): PostgreSQL
# refuses NUL in text, and escapes could repaint the learner's terminal. They are kept as
# \xNN escapes; tabs and newlines are the output's layout and stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def printable_output(text: str) -> str:
    """kubectl's output with control characters other than tab and newline written as \\xNN."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


@contextmanager
def _one_at_a_time(attempt: Attempt) -> Iterator[None]:
    """Hold the attempt's console for one command, in the cache every web process shares.

    The lock expires on its own a little after the longest a command may run, so a web process
    that dies mid-command cannot keep the console closed.
    """
    key = f"console:running:{attempt.pk}"
    token = uuid.uuid4().hex
    if not cache.add(key, token, timeout=settings.BREAKFIX_CONSOLE_TIMEOUT_SECONDS + 15):
        raise ConsoleBusy(
            "A command is still running in this console: wait for its answer, then type the next one."
        )
    try:
        yield
    finally:
        # Only our own lock: one that expired and was taken by the next command stays.
        if cache.get(key) == token:
            cache.delete(key)


def console_scope(*, attempt: Attempt) -> Scope:
    # Both backends run the challenge in the namespace named after the environment; on kind
    # the learner administers a cluster of their own, so other namespaces are theirs too.
    return Scope(namespace=attempt.environment, cluster_wide=attempt.backend == "kind")


def console_run(*, attempt: Attempt, line: str) -> ConsoleCommand:
    """Run one console line as the attempt's learner; refused lines are stored too."""
    if not attempt.is_workspace_open or not attempt.environment:
        raise ConsoleUnavailable(
            "Your environment is not running, so there is nothing to run commands against."
        )
    scope = console_scope(attempt=attempt)
    try:
        # The line as typed: the parser judges its length and characters before it strips blanks.
        command = parse(line, scope=scope)
    except TableMissing as exc:
        logger.error("console: %s", exc)
        raise ConsoleUnavailable(
            "The console is not available on this installation (kubectl's command table is missing)."
        ) from exc
    except Refused as refused:
        line = line.strip(" \t")
        # Stored as printable text: PostgreSQL refuses NUL, and the history shows what was typed.
        return ConsoleCommand.objects.create(
            attempt=attempt,
            command=printable(line[:MAX_STORED_LINE]),
            refused=True,
            output=refused.refusal.message,
        )
    line = line.strip(" \t")
    args = command.args
    if not scope.cluster_wide or not (command.namespace_given or command.all_namespaces):
        # Before the verb, so that it can never become part of an exec'd container command.
        args = [f"--namespace={scope.namespace}", *args]
    try:
        kubeconfig = attempt_learner_kubeconfig(attempt=attempt)
    except (AttemptError, SecretUnreadable) as exc:
        raise ConsoleUnavailable(
            "Your environment's credentials are not available: is it still running?"
        ) from exc
    with _one_at_a_time(attempt):
        try:
            result = kubectl_run(args=args, kubeconfig=kubeconfig)
        except RunnerBusy as exc:
            logger.warning("console: the runner is busy: %s", exc)
            raise ConsoleUnavailable(
                "The console is busy right now: many commands are running at once. "
                "Run yours again in a few seconds."
            ) from exc
        except RunnerError as exc:
            logger.error("console: %s", exc)
            raise ConsoleUnavailable(
                "The console is not available right now. Try again in a minute; "
                "if it stays unavailable, tell your instructor or the platform's operator."
            ) from exc
    return ConsoleCommand.objects.create(
        attempt=attempt,
        command=printable(line),
        refused=False,
        exit_code=result.exit_code,
        output=printable_output(result.output),
        duration_ms=result.duration_ms,
    )


def console_history(*, attempt: Attempt, limit: int = 200) -> list[ConsoleCommand]:
    """The attempt's latest commands, oldest first."""
    latest = list(attempt.console_commands.order_by("-created_at", "-pk")[:limit])
    return latest[::-1]
