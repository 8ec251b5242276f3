"""The console's writes: run a line for an attempt and keep it in the attempt's history; stop it.

A line is read (`console_prepare`), run under the attempt's one-command lock, and stored with
its capped output (`console_record`): here at once for the plain form post (`console_run`),
or as it streams in `streaming` for the page's terminal. `console_stop` is Ctrl-C.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache

from challenges.console import tab
from challenges.console.parser import Refused, Scope, parse, printable
from challenges.console.runner import RunnerBusy, RunnerError, kubectl_complete, kubectl_run, kubectl_stop
from challenges.console.runnerd.protocol import new_command_id
from challenges.console.tab import Completion
from challenges.console.table import TableMissing
from challenges.models import Attempt, ConsoleCommand
from challenges.secrets import SecretUnreadable
from challenges.services.attempts import TIME_IS_UP, AttemptError, attempt_learner_kubeconfig

logger = logging.getLogger(__name__)

# What is kept of a refused line: enough to recognise it, not a place to store essays.
MAX_STORED_LINE = 4000
# kubectl's completions of one line are reused this long: repeated Tabs ask kubectl once.
COMPLETE_CACHE_SECONDS = 3


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


@dataclass(frozen=True)
class Prepared:
    """A line the console will run: kubectl's arguments, and what running them as the learner takes."""

    attempt: Attempt
    line: str
    args: list[str]
    kubeconfig: str
    watches: bool  # `get -w`, `logs -f`, `rollout status`…: runs until stopped or done
    command_id: str = field(default_factory=new_command_id)


def _lock_key(attempt: Attempt) -> str:
    return f"console:running:{attempt.pk}"


def console_lock(*, attempt: Attempt, command_id: str, seconds: float) -> str:
    """Take the attempt's console for one command (ConsoleBusy when another holds it); a token to give back.

    In the cache every web process shares. The lock expires on its own a little after the
    longest the command may run, so a web process that dies mid-command cannot keep the console
    closed. It names the command, so that Ctrl-C (another request) knows what to stop.
    """
    token = uuid.uuid4().hex
    if not cache.add(_lock_key(attempt), f"{token} {command_id}", timeout=int(seconds) + 15):
        raise ConsoleBusy(
            "A command is still running in this console: wait for its answer, or stop it with "
            "Ctrl-C, then type the next one."
        )
    return token


def console_unlock(*, attempt: Attempt, token: str) -> None:
    # Only our own lock: one that expired and was taken by the next command stays.
    held = cache.get(_lock_key(attempt))
    if isinstance(held, str) and held.split(" ", 1)[0] == token:
        cache.delete(_lock_key(attempt))


def console_running_id(*, attempt: Attempt) -> str | None:
    """The id of the command running in the attempt's console now, if any."""
    held = cache.get(_lock_key(attempt))
    if not isinstance(held, str) or " " not in held:
        return None
    return held.split(" ", 1)[1]


@contextmanager
def _one_at_a_time(prepared: Prepared, seconds: float) -> Iterator[None]:
    token = console_lock(attempt=prepared.attempt, command_id=prepared.command_id, seconds=seconds)
    try:
        yield
    finally:
        console_unlock(attempt=prepared.attempt, token=token)


def console_scope(*, attempt: Attempt) -> Scope:
    # Both backends run the challenge in the namespace named after the environment; on kind
    # the learner administers a cluster of their own, so other namespaces are theirs too.
    return Scope(namespace=attempt.environment, cluster_wide=attempt.backend == "kind")


def _check_running(attempt: Attempt) -> None:
    if attempt.is_frozen:
        raise ConsoleUnavailable(TIME_IS_UP)
    if not attempt.is_workspace_open or not attempt.environment:
        raise ConsoleUnavailable(
            "Your environment is not running, so there is nothing to run commands against."
        )


def _kubeconfig(attempt: Attempt) -> str:
    try:
        return attempt_learner_kubeconfig(attempt=attempt)
    except (AttemptError, SecretUnreadable) as exc:
        raise ConsoleUnavailable(
            "Your environment's credentials are not available: is it still running?"
        ) from exc


def console_prepare(*, attempt: Attempt, line: str) -> Prepared | ConsoleCommand:
    """Read a console line: what running it takes, or the refused line, stored with its reason."""
    _check_running(attempt)
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
    return Prepared(
        attempt=attempt, line=line, args=args, kubeconfig=_kubeconfig(attempt), watches=command.watches
    )


def console_record(
    *, prepared: Prepared, output: str, exit_code: int | None, duration_ms: int
) -> ConsoleCommand:
    """Keep a command that ran in the attempt's history, with its (capped) output."""
    return ConsoleCommand.objects.create(
        attempt=prepared.attempt,
        command=printable(prepared.line),
        refused=False,
        exit_code=exit_code,
        output=printable_output(output),
        duration_ms=duration_ms,
    )


def runner_unavailable(exc: RunnerError) -> ConsoleUnavailable:
    """What the learner reads when the runner could not run the command (the operator reads the log)."""
    if isinstance(exc, RunnerBusy):
        logger.warning("console: the runner is busy: %s", exc)
        return ConsoleUnavailable(
            "The console is busy right now: many commands are running at once. "
            "Run yours again in a few seconds."
        )
    logger.error("console: %s", exc)
    return ConsoleUnavailable(
        "The console is not available right now. Try again in a minute; "
        "if it stays unavailable, tell your instructor or the platform's operator."
    )


def console_run(*, attempt: Attempt, line: str) -> ConsoleCommand:
    """Run one console line as the attempt's learner and wait for its answer; refused lines are stored too.

    The plain form post's path: every command, watching ones too, within BREAKFIX_CONSOLE_TIMEOUT_SECONDS.
    """
    prepared = console_prepare(attempt=attempt, line=line)
    if isinstance(prepared, ConsoleCommand):
        return prepared
    with _one_at_a_time(prepared, settings.BREAKFIX_CONSOLE_TIMEOUT_SECONDS):
        try:
            result = kubectl_run(
                args=prepared.args, kubeconfig=prepared.kubeconfig, command_id=prepared.command_id
            )
        except RunnerError as exc:
            raise runner_unavailable(exc) from exc
    return console_record(
        prepared=prepared, output=result.output, exit_code=result.exit_code, duration_ms=result.duration_ms
    )


def console_stop(*, attempt: Attempt, command_id: str) -> bool:
    """End the attempt's running command `command_id` (Ctrl-C); False when it is not running any more."""
    if not command_id or console_running_id(attempt=attempt) != command_id:
        return False  # only the attempt's own running command: an id alone is no permission
    try:
        return kubectl_stop(command_id=command_id)
    except RunnerError as exc:
        logger.error("console: stopping %s: %s", command_id, exc)
        return False


def console_complete(*, attempt: Attempt, line: str) -> Completion:
    """What Tab offers at the end of `line`: kubectl's `__complete` as the learner, through the allowlist.

    Cheap: kubectl runs only when the line so far is one the console would run, and its answer
    is kept for a few seconds, so pressing Tab again (or two tabs of one browser) asks once.
    """
    try:
        _check_running(attempt)
    except ConsoleUnavailable as exc:
        return Completion(partial="", message=str(exc))
    scope = console_scope(attempt=attempt)
    try:
        planned = tab.plan(line, scope=scope)
    except TableMissing as exc:
        logger.error("console: %s", exc)
        return Completion(partial="", message="Completion is not available on this installation.")
    if isinstance(planned, Completion):
        return planned
    words = planned.kubectl_args(scope)
    key = "console:complete:{}:{}".format(attempt.pk, hashlib.sha256("\0".join(words).encode()).hexdigest())
    output = cache.get(key)
    if not isinstance(output, str):
        try:
            output = kubectl_complete(words=words, kubeconfig=_kubeconfig(attempt))
        except (ConsoleUnavailable, RunnerError) as exc:
            message = str(exc) if isinstance(exc, ConsoleUnavailable) else str(runner_unavailable(exc))
            return Completion(partial=planned.partial, message=message)
        cache.set(key, output, timeout=COMPLETE_CACHE_SECONDS)
    return tab.finish(planned, output, scope=scope)


def console_history(*, attempt: Attempt, limit: int = 200) -> list[ConsoleCommand]:
    """The attempt's latest commands, oldest first."""
    latest = list(attempt.console_commands.order_by("-created_at", "-pk")[:limit])
    return latest[::-1]
