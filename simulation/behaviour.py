"""What the application does in one run of a container: when it serves, logs, exits, or hangs.

A run is decided when the container starts, from what the container was started with (its
environment, files, command and image: fixed for the whole run, as on a real node) and from
the namespace around it (Services: those can change while it runs, and a run that `waits`
for one carries on once it is there).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from simulation import images, quantity
from simulation.spec import Completion, Condition, ContainerBehaviour, Failure

# A waiting application repeats its last line this often, like a shell wait loop.
WAIT_REPEAT_SECONDS = 5
# Enough lines to read a wait loop, never a file that grows without end.
MAX_REPEATS = 120
OOM_EXIT_CODE = 137


@dataclass(frozen=True)
class RunContext:
    """What this run of the container was started with."""

    env: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, str] = field(default_factory=dict)
    argv: tuple[str, ...] = ()
    image: str = ""


@dataclass(frozen=True)
class Facts:
    """What the application can see of its namespace right now."""

    services: frozenset[str] = frozenset()
    endpoints: frozenset[str] = frozenset()


@dataclass(frozen=True)
class LogLine:
    at: datetime
    text: str


@dataclass(frozen=True)
class RunPlan:
    started_at: datetime
    serving_from: datetime | None = None  # answers probes from then on; None: not in this run
    ends_at: datetime | None = None  # exits by itself then; None: runs until it is stopped
    exit_code: int = 0
    reason: str = "Completed"
    lines: tuple[LogLine, ...] = ()
    listens: tuple[int, ...] | None = None  # None: answers on any port
    http_paths: tuple[str, ...] | None = None  # None: every path answers 200
    waiting_for: Failure | None = None  # a `waits` failure that still holds

    def logs_until(self, now: datetime) -> Iterator[LogLine]:
        for line in self.lines:
            if line.at <= now:
                yield line
        if self.waiting_for is not None and self.waiting_for.logs:
            last = self.waiting_for.logs[-1]
            repeats = int((now - self.started_at).total_seconds() // WAIT_REPEAT_SECONDS)
            for k in range(1, min(repeats, MAX_REPEATS) + 1):
                yield LogLine(self.started_at + timedelta(seconds=k * WAIT_REPEAT_SECONDS), last)


def _argv_words(argv: tuple[str, ...]) -> list[str]:
    return [word for part in argv for word in part.split()]


def holds(condition: Condition, run: RunContext, facts: Facts) -> bool:
    """Whether every fact the condition names is true of this run."""
    if any(not run.env.get(name) for name in condition.env):
        return False
    if any(run.env.get(name) != value for name, value in condition.env_equals.items()):
        return False
    if any(path not in run.files for path in condition.files):
        return False
    if any(
        text not in run.files.get(path, "") or path not in run.files
        for path, text in condition.file_contains.items()
    ):
        return False
    if any(name not in facts.services for name in condition.services):
        return False
    if any(name not in facts.endpoints for name in condition.endpoints):
        return False
    if condition.argv is not None and list(run.argv) != condition.argv:
        return False
    words = _argv_words(run.argv)
    if any(word not in words for word in condition.argv_includes):
        return False
    return not condition.image or any(
        images.normalize(run.image) == images.normalize(image) for image in condition.image
    )


def triggered(failure: Failure, run: RunContext, facts: Facts) -> bool:
    if failure.when is not None:
        return holds(failure.when, run, facts)
    assert failure.unless is not None
    return not holds(failure.unless, run, facts)


def expand_line(text: str, env: Mapping[str, str]) -> str:
    """`${NAME}` in a log line becomes the variable's value in this run (empty when unset)."""
    out, rest = "", text
    while "${" in rest:
        head, _, tail = rest.partition("${")
        name, closed, after = tail.partition("}")
        if not closed:
            break
        out += head + env.get(name, "")
        rest = after
    return out + rest


def _spread(texts: list[str], start: datetime, end: datetime, env: Mapping[str, str]) -> list[LogLine]:
    """Lines from `start` to `end`, evenly; all at `start` when the two coincide."""
    if not texts:
        return []
    step = (end - start) / (len(texts) - 1) if len(texts) > 1 else timedelta(0)
    return [LogLine(start + step * i, expand_line(text, env)) for i, text in enumerate(texts)]


def _crash_lines(texts: list[str], start: datetime, end: datetime, env: Mapping[str, str]) -> list[LogLine]:
    """A crashing application's output: what it prints as it starts, and its last words as it exits."""
    if not texts:
        return []
    *early, last = texts
    lines = [
        LogLine(start + timedelta(milliseconds=10 * i), expand_line(t, env)) for i, t in enumerate(early)
    ]
    return [*lines, LogLine(end, expand_line(last, env))]


def plan_run(
    *,
    behaviour: ContainerBehaviour | None,
    run: RunContext,
    facts: Facts,
    started_at: datetime,
    completes_by_default: bool,
    memory_limit: str | None,
    released_at: datetime | None = None,
) -> RunPlan:
    """The run of a container that starts at `started_at`.

    `completes_by_default` is true for init containers and Job pods, which finish unless told
    otherwise; `released_at` is when a `waits` failure stopped holding, if it did.
    """
    if behaviour is None:
        ends = started_at + timedelta(seconds=1) if completes_by_default else None
        return RunPlan(started_at=started_at, serving_from=started_at, ends_at=ends)
    base_plan = RunPlan(
        started_at=started_at,
        listens=tuple(behaviour.listens) if behaviour.listens is not None else None,
        http_paths=tuple(behaviour.http_paths) if behaviour.http_paths is not None else None,
    )
    failure = next((f for f in behaviour.failures if triggered(f, run, facts)), None)
    if failure is not None and not failure.waits:
        assert failure.exit_code is not None
        ends = started_at + timedelta(seconds=failure.after_seconds)
        return replace(
            base_plan,
            ends_at=ends,
            exit_code=failure.exit_code,
            reason="Completed" if failure.exit_code == 0 else "Error",
            lines=tuple(_crash_lines(failure.logs, started_at, ends, run.env)),
        )
    if failure is not None and released_at is None:
        lines = tuple(_spread(failure.logs, started_at, started_at, run.env))
        return replace(base_plan, lines=lines, waiting_for=failure)

    base = released_at or started_at
    serving = base + timedelta(seconds=behaviour.start_seconds)
    healthy = tuple(_spread(behaviour.logs, base, serving, run.env))
    need = behaviour.memory_bytes()
    limit = quantity.parse(memory_limit) if memory_limit else None
    if need is not None and limit is not None and limit < need:
        killed = base + timedelta(seconds=max(1.0, behaviour.start_seconds))
        return replace(
            base_plan,
            serving_from=serving if serving < killed else None,
            ends_at=killed,
            exit_code=OOM_EXIT_CODE,
            reason="OOMKilled",
            lines=tuple(line for line in healthy if line.at < killed),
        )
    completion = behaviour.completes or (Completion() if completes_by_default else None)
    if completion is None:
        return replace(base_plan, serving_from=serving, lines=healthy)
    return replace(
        base_plan,
        serving_from=serving,
        ends_at=serving + timedelta(seconds=completion.after_seconds),
        exit_code=completion.exit_code,
        reason="Completed" if completion.exit_code == 0 else "Error",
        lines=healthy,
    )
