"""The console's one write: run a line for an attempt and keep it in the attempt's history."""

from __future__ import annotations

import logging

from challenges.console.parser import Refused, Scope, parse
from challenges.console.runner import RunnerBusy, RunnerError, kubectl_run
from challenges.models import Attempt, ConsoleCommand, Status
from challenges.secrets import SecretUnreadable
from challenges.services.attempts import AttemptError, attempt_learner_kubeconfig

logger = logging.getLogger(__name__)

CONSOLE_STATUSES = (Status.READY, Status.SOLVED)
# What is kept of a refused line: enough to recognise it, not a place to store essays.
MAX_STORED_LINE = 4000


class ConsoleUnavailable(Exception):
    """The console cannot run anything for this attempt now; the message says why."""


def console_scope(*, attempt: Attempt) -> Scope:
    # Both backends run the challenge in the namespace named after the environment; on kind
    # the learner administers a cluster of their own, so other namespaces are theirs too.
    return Scope(namespace=attempt.environment, cluster_wide=attempt.backend == "kind")


def console_run(*, attempt: Attempt, line: str) -> ConsoleCommand:
    """Run one console line as the attempt's learner; refused lines are stored too."""
    if attempt.status not in CONSOLE_STATUSES or not attempt.environment:
        raise ConsoleUnavailable(
            "Your environment is not running, so there is nothing to run commands against."
        )
    line = line.strip()
    scope = console_scope(attempt=attempt)
    try:
        command = parse(line, scope=scope)
    except Refused as refused:
        return ConsoleCommand.objects.create(
            attempt=attempt, command=line[:MAX_STORED_LINE], refused=True, output=refused.refusal.message
        )
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
        command=line,
        refused=False,
        exit_code=result.exit_code,
        output=result.output,
        duration_ms=result.duration_ms,
    )


def console_history(*, attempt: Attempt, limit: int = 200) -> list[ConsoleCommand]:
    """The attempt's latest commands, oldest first."""
    latest = list(attempt.console_commands.order_by("-created_at", "-pk")[:limit])
    return latest[::-1]
