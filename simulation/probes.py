"""Startup, liveness and readiness probes of one run, the way the kubelet's probe workers run them.

A probe worker ticks every `periodSeconds` from the container's start and skips the ticks
before `initialDelaySeconds`; liveness and readiness wait for the startup probe to pass. The
application answers from `serving_from` on, on the ports and paths it serves: since that never
changes within a run, every outcome of the run can be worked out from its start.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from simulation.behaviour import RunPlan

Obj = dict[str, Any]
KINDS = ("startup", "liveness", "readiness")
# Exec probes whose command succeeds whatever the application does: they pass from the start.
# Any other exec probe is taken to ask the application (pg_isready, a health script) and passes
# once it is up.
ALWAYS_TRUE = {("true",), ("/bin/true",), ("/usr/bin/true",), ("exit 0",), (":",)}
# How far ahead the probes are worked out; a run that outlives it is looked at again then.
HORIZON = timedelta(hours=2)


@dataclass(frozen=True)
class Probe:
    kind: str
    handler: str  # httpGet, tcpSocket, grpc, exec
    port: int | None
    path: str
    scheme: str
    initial_delay: int
    period: int
    success_threshold: int
    failure_threshold: int
    always_passes: bool = False

    def ticks(self, start: datetime) -> Iterator[datetime]:
        first = math.ceil(self.initial_delay / self.period) if self.initial_delay else 0
        for k in range(int(HORIZON.total_seconds() // self.period)):
            yield start + timedelta(seconds=(first + k) * self.period)


def _port(value: Any, container: Obj) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    for port in container.get("ports") or []:
        if port.get("name") == value:
            return int(port.get("containerPort", 0)) or None
    return None


def probe_of(container: Obj, kind: str) -> Probe | None:
    spec = container.get(f"{kind}Probe")
    if not spec:
        return None
    handler = next((h for h in ("httpGet", "tcpSocket", "grpc", "exec") if h in spec), "exec")
    action = spec.get(handler) or {}
    return Probe(
        kind=kind,
        handler=handler,
        port=_port(action.get("port"), container),
        path=str(action.get("path") or "/"),
        scheme=str(action.get("scheme") or "HTTP").lower(),
        initial_delay=int(spec.get("initialDelaySeconds") or 0),
        period=max(1, int(spec.get("periodSeconds") or 10)),
        success_threshold=max(1, int(spec.get("successThreshold") or 1)),
        failure_threshold=max(1, int(spec.get("failureThreshold") or 3)),
        always_passes=handler == "exec" and _always_true(action.get("command") or []),
    )


def _always_true(command: list[Any]) -> bool:
    words = [str(word).strip() for word in command]
    if len(words) >= 3 and words[0].rsplit("/", 1)[-1] in ("sh", "bash", "ash", "dash") and words[1] == "-c":
        words = words[2:]
    return tuple(words) in ALWAYS_TRUE


def answer(probe: Probe, plan: RunPlan, at: datetime, pod_ip: str) -> str | None:
    """None when the application answers the probe at `at`, else the kubelet's failure output."""
    serving = plan.serving_from is not None and at >= plan.serving_from
    listening = serving and (plan.listens is None or probe.port in plan.listens)
    address = f"{pod_ip}:{probe.port}"
    if probe.handler == "exec":
        return None if serving or probe.always_passes else ""
    if probe.handler == "grpc":
        return None if listening else f'timeout: failed to connect service "{address}" within 1s'
    if not listening:
        refused = f"dial tcp {address}: connect: connection refused"
        if probe.handler == "tcpSocket":
            return refused
        return f'Get "{probe.scheme}://{address}{probe.path}": {refused}'
    if probe.handler == "httpGet" and plan.http_paths is not None and probe.path not in plan.http_paths:
        return "HTTP probe failed with statuscode: 404"
    return None


@dataclass
class Unhealthy:
    """Failed probes of one kind and output: one aggregated Unhealthy event."""

    kind: str
    message: str
    count: int
    first: datetime
    last: datetime


@dataclass
class ProbeOutcome:
    started: bool = False
    ready: bool = False
    killed_at: datetime | None = None
    killed_by: str = ""  # "liveness" or "startup"
    unhealthy: list[Unhealthy] = field(default_factory=list)
    next_change: datetime | None = None  # the next tick that changes what the status or events say


def _run(
    probe: Probe, plan: RunPlan, start: datetime, until: datetime, pod_ip: str, outcome: ProbeOutcome
) -> tuple[datetime | None, datetime | None]:
    """Probe from `start` to `until`: (when it first succeeded enough, when it failed enough)."""
    failures = successes = 0
    seen: Counter[str] = Counter()
    first: dict[str, datetime] = {}
    last: dict[str, datetime] = {}
    for tick in probe.ticks(plan.started_at):
        if tick < start:
            continue
        if tick > until:
            outcome.next_change = min(filter(None, (outcome.next_change, tick)))
            break
        output = answer(probe, plan, tick, pod_ip)
        if output is None:
            successes, failures = successes + 1, 0
            if successes >= probe.success_threshold:
                # The application keeps answering for the rest of the run: nothing changes after.
                _record(outcome, probe, seen, first, last)
                return tick, None
            continue
        successes, failures = 0, failures + 1
        seen[output] += 1
        first.setdefault(output, tick)
        last[output] = tick
        if failures >= probe.failure_threshold and probe.kind != "readiness":
            _record(outcome, probe, seen, first, last)
            return None, tick
    _record(outcome, probe, seen, first, last)
    return None, None


def _record(
    outcome: ProbeOutcome,
    probe: Probe,
    seen: Counter[str],
    first: dict[str, datetime],
    last: dict[str, datetime],
) -> None:
    for output, count in seen.items():
        outcome.unhealthy.append(Unhealthy(probe.kind, output, count, first[output], last[output]))


def evaluate(container: Obj, plan: RunPlan, now: datetime, pod_ip: str) -> ProbeOutcome:
    """Where the probes of this run stand at `now` (the run ends by itself at `plan.ends_at`)."""
    outcome = ProbeOutcome()
    until = min(now, plan.ends_at) if plan.ends_at else now
    startup = probe_of(container, "startup")
    started_at: datetime | None = plan.started_at
    if startup is not None:
        started_at, killed = _run(startup, plan, plan.started_at, until, pod_ip, outcome)
        if killed is not None:
            outcome.killed_at, outcome.killed_by = killed, "startup"
            return outcome
    if started_at is None:
        return outcome
    outcome.started = True
    liveness = probe_of(container, "liveness")
    if liveness is not None:
        _, killed = _run(liveness, plan, started_at, until, pod_ip, outcome)
        if killed is not None:
            outcome.killed_at, outcome.killed_by = killed, "liveness"
            until = killed
    readiness = probe_of(container, "readiness")
    if readiness is None:
        outcome.ready = outcome.killed_at is None
        return outcome
    ready_at, _ = _run(readiness, plan, started_at, until, pod_ip, outcome)
    outcome.ready = ready_at is not None and outcome.killed_at is None
    return outcome
