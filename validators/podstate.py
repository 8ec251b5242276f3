"""What is wrong with a pod, in the words of someone who has run `kubectl get pods` and `describe`.

Everything comes from the pod's status as the kubelet writes it (conditions,
containerStatuses with state and lastState, restartCount, timestamps), so it reads
alike on a real cluster and on the local control plane's simulated kubelet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from validators.target import name_of

Obj = dict[str, Any]

# The waiting reasons a kubelet reports for a container that cannot run.
BAD_WAITING = (
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "ErrImageNeverPull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
    "PreStartHookError",
    "PostStartHookError",
)
_PULL = ("ImagePullBackOff", "ErrImagePull", "ErrImageNeverPull", "InvalidImageName")
_MESSAGE_LIMIT = 240


@dataclass(frozen=True)
class Rules:
    """What counts as a problem; the `pods` objective's spec fills these in."""

    waiting_reasons: tuple[str, ...] = BAD_WAITING
    terminated_reasons: tuple[str, ...] = ("OOMKilled",)
    restart_window: int = 30  # seconds; 0: restarts are not judged
    ready: bool = True


@dataclass(frozen=True)
class Problem:
    pod: str
    reason: str  # a short key, e.g. CrashLoopBackOff, Unschedulable, NotReady
    message: str


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def ago(when: datetime, now: datetime) -> str:
    seconds = max(0, int((now - when).total_seconds()))
    if seconds < 120:
        return f"{seconds} seconds ago" if seconds != 1 else "1 second ago"
    return f"{seconds // 60} minutes ago"


def _short(text: Any) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 3] + "..."


def _end(text: str) -> str:
    """A sentence ends once, whatever the kubelet's message ended with."""
    return text if text.endswith((".", "!", "?")) else text + "."


def _restarts(count: int) -> str:
    return "1 restart" if count == 1 else f"{count} restarts"


def _exit(terminated: Obj) -> str:
    code = terminated.get("exitCode")
    reason = terminated.get("reason")
    parts = [f"code {code}" if code is not None else "", str(reason) if reason else ""]
    return ", ".join(part for part in parts if part)


def _container_specs(pod: Obj) -> dict[str, Obj]:
    spec = pod.get("spec") or {}
    return {
        str(c.get("name")): c for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
    }


def _memory_limit(pod: Obj, container: str) -> str | None:
    limits = ((_container_specs(pod).get(container) or {}).get("resources") or {}).get("limits") or {}
    memory = limits.get("memory")
    return str(memory) if memory else None


def _condition(pod: Obj, type_: str) -> Obj | None:
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if isinstance(condition, dict) and condition.get("type") == type_:
            return condition
    return None


def restart_evidence(status: Obj, now: datetime, window: int) -> tuple[bool, datetime | None]:
    """(restarted within the window, when) from the kubelet's timestamps; (False, None) when it cannot tell.

    A restart ends the previous run (lastState.terminated.finishedAt) and starts the current
    one (state.running.startedAt); a restart inside the window is a restart count that grew.
    """
    count = int(status.get("restartCount") or 0)
    if count == 0 or window <= 0:
        return False, None
    finished = parse_time(((status.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))
    started = parse_time(((status.get("state") or {}).get("running") or {}).get("startedAt"))
    latest = max((t for t in (finished, started) if t is not None), default=None)
    if latest is None:
        return False, None
    return (now - latest).total_seconds() <= window, latest


def needs_sample(pod: Obj, rules: Rules) -> bool:
    """A container has restarted at some point but its status carries no timestamps to say when."""
    if rules.restart_window <= 0:
        return False
    for status in _statuses(pod):
        if int(status.get("restartCount") or 0) == 0:
            continue
        last = ((status.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
        started = ((status.get("state") or {}).get("running") or {}).get("startedAt")
        if not last and not started:
            return True
    return False


def restart_counts(pod: Obj) -> dict[str, int]:
    return {str(s.get("name")): int(s.get("restartCount") or 0) for s in _statuses(pod)}


def _statuses(pod: Obj) -> list[Obj]:
    status = pod.get("status") or {}
    return [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]


def _waiting(label: str, pod: Obj, status: Obj) -> Problem | None:
    waiting = (status.get("state") or {}).get("waiting") or {}
    reason = str(waiting.get("reason") or "")
    if not reason:
        return None
    message = _short(waiting.get("message"))
    name = name_of(pod)
    if reason == "CrashLoopBackOff":
        count = int(status.get("restartCount") or 0)
        last = (status.get("lastState") or {}).get("terminated") or {}
        exited = f"; it last exited with {_exit(last)}" if _exit(last) else ""
        return Problem(
            name, reason, f"{label} keeps crashing (CrashLoopBackOff, {_restarts(count)}{exited})."
        )
    if reason in _PULL:
        image = status.get("image") or (_container_specs(pod).get(str(status.get("name"))) or {}).get("image")
        detail = f": {message}" if message else ""
        return Problem(name, reason, f"{label} cannot pull its image {image} ({reason}{detail}).")
    if reason in ("CreateContainerConfigError", "CreateContainerError", "RunContainerError"):
        return Problem(
            name, reason, _end(f"{label} cannot start: {reason}" + (f": {message}" if message else ""))
        )
    return Problem(name, reason, _end(f"{label} is waiting: {reason}" + (f": {message}" if message else "")))


def _terminated(label: str, pod: Obj, status: Obj, rules: Rules, now: datetime) -> Problem | None:
    for which in ("state", "lastState"):
        terminated = (status.get(which) or {}).get("terminated") or {}
        reason = str(terminated.get("reason") or "")
        if reason not in rules.terminated_reasons:
            continue
        when = parse_time(terminated.get("finishedAt"))
        at = f" {ago(when, now)}" if when else ""
        if reason == "OOMKilled":
            limit = _memory_limit(pod, str(status.get("name")))
            has_limit = f"; its memory limit is {limit}" if limit else ""
            return Problem(
                name_of(pod),
                reason,
                f"{label} was killed for using too much memory "
                f"(OOMKilled, exit code {terminated.get('exitCode', 137)}){at}{has_limit}.",
            )
        return Problem(name_of(pod), reason, f"{label} was terminated: {_exit(terminated)}{at}.")
    return None


def diagnose(pod: Obj, rules: Rules, now: datetime) -> Problem | None:
    """The first thing wrong with this pod, or None when it is healthy by the rules."""
    name = name_of(pod)
    status = pod.get("status") or {}
    phase = status.get("phase")
    scheduled = _condition(pod, "PodScheduled")
    if scheduled is not None and scheduled.get("status") == "False":
        why = _short(scheduled.get("message")) or str(scheduled.get("reason") or "no node fits it")
        return Problem(
            name,
            str(scheduled.get("reason") or "Unschedulable"),
            _end(f"Pod {name} cannot be scheduled: {why}"),
        )
    specs = _container_specs(pod)
    init_names = {str(c.get("name")) for c in (pod.get("spec") or {}).get("initContainers") or []}
    for container in _statuses(pod):
        cname = str(container.get("name"))
        kind = "Init container" if cname in init_names else "Container"
        label = f"{kind} {cname} of pod {name}"
        waiting = _waiting(label, pod, container)
        if waiting is not None and waiting.reason in rules.waiting_reasons:
            return waiting
        problem = _terminated(label, pod, container, rules, now)
        if problem is not None:
            return problem
        if cname in init_names and phase == "Pending":
            done = (container.get("state") or {}).get("terminated") or {}
            if done and done.get("exitCode") not in (0, None):
                return Problem(name, "InitFailed", f"{label} failed: it exited with {_exit(done)}.")
        recent, when = restart_evidence(container, now, rules.restart_window)
        if recent and when is not None and not (cname in init_names and phase == "Running"):
            count = int(container.get("restartCount") or 0)
            last = (container.get("lastState") or {}).get("terminated") or {}
            exited = f" (it exited with {_exit(last)})" if _exit(last) else ""
            return Problem(
                name,
                "Restarted",
                f"{label} restarted {ago(when, now)}{exited}; {_restarts(count)} in all.",
            )
    if phase == "Failed":
        why = _short(status.get("message")) or str(status.get("reason") or "")
        for container in _statuses(pod):
            ended = (container.get("state") or {}).get("terminated") or {}
            if ended.get("exitCode") not in (None, 0):
                why = f"container {container.get('name')} exited with {_exit(ended)}"
                break
        return Problem(name, "Failed", _end(f"Pod {name} has failed" + (f": {why}" if why else "")))
    if phase == "Succeeded" or not rules.ready:
        return None
    return _not_ready(pod, specs, init_names)


def _not_ready(pod: Obj, specs: dict[str, Obj], init_names: set[str]) -> Problem | None:
    name = name_of(pod)
    statuses = {str(s.get("name")): s for s in (pod.get("status") or {}).get("containerStatuses") or []}
    for cname in (c for c in specs if c not in init_names):
        container = statuses.get(cname)
        label = f"Container {cname} of pod {name}"
        if container is None:
            phase = (pod.get("status") or {}).get("phase") or "Pending"
            return Problem(name, "NotStarted", f"Pod {name} has not started its containers yet ({phase}).")
        state = container.get("state") or {}
        if state.get("waiting"):
            reason = state["waiting"].get("reason") or "waiting"
            return Problem(name, str(reason), f"{label} is not running yet ({reason}).")
        if state.get("terminated"):
            return Problem(
                name, "Terminated", f"{label} is not running: it exited with {_exit(state['terminated'])}."
            )
        if not container.get("ready"):
            return Problem(name, "NotReady", f"{label} is running but not ready.")
    ready = _condition(pod, "Ready")
    if ready is None or ready.get("status") != "True":
        why = _short((ready or {}).get("message"))
        return Problem(name, "NotReady", _end(f"Pod {name} is not Ready" + (f": {why}" if why else "")))
    return None
