"""One container's next step: pull, create, start, probe, exit, back off, restart.

Every step starts from the container's status as the API holds it. `Memory` holds only what a
kubelet also keeps in memory: pull back-offs and what a running container was started with.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from simulation import images, podstatus, resolve
from simulation.behaviour import WAIT_REPEAT_SECONDS, Facts, RunContext, plan_run, triggered
from simulation.containers import (
    CONFIG_RETRY,
    EXITED_VISIBLE,
    PULL_ERROR_VISIBLE,
    Event,
    Step,
    backoff_seconds,
    field_path,
    go_duration,
    last_terminated,
    new_container_id,
    parse_time,
    pull_backoff_seconds,
    stamp,
    state_of,
    waiting,
)
from simulation.memory import Key, Memory, PullRecord, RunRecord
from simulation.probes import evaluate
from simulation.spec import SimulationSpec

Obj = dict[str, Any]
KILLED_EXIT_CODE = 137


@dataclass(frozen=True)
class Surroundings:
    """What the node knows around a pod: its namespace's objects and the simulation there."""

    objects: resolve.Objects
    facts: Facts = field(default_factory=Facts)
    simulation: SimulationSpec | None = None
    images_on_node: frozenset[str] = frozenset()


@dataclass
class Container:
    """One container of a pod, at one sync."""

    pod: Obj
    spec: Obj
    init: bool
    old: Obj | None
    around: Surroundings
    memory: Memory
    now: datetime
    pod_ip: str
    mounted: dict[str, dict[str, str] | None]

    @property
    def name(self) -> str:
        return str(self.spec.get("name"))

    @property
    def key(self) -> Key:
        return (str(self.pod["metadata"].get("uid")), self.name)

    @property
    def image(self) -> str:
        return str(self.spec.get("image", ""))

    @property
    def policy(self) -> str:
        """When this container is restarted: Always, OnFailure or Never."""
        if self.init:
            if podstatus.is_sidecar(self.spec):
                return "Always"
            return "Never" if self.pod["spec"].get("restartPolicy") == "Never" else "OnFailure"
        return str(self.pod["spec"].get("restartPolicy") or "Always")

    def event(self, reason: str, message: str, kind: str = "Normal", at: datetime | None = None) -> Event:
        # Without a time the event is recorded at the moment it is written, to the microsecond.
        return Event(reason, message, kind, field_path(self.name, self.init), at)

    def pod_ref(self) -> str:
        meta = self.pod["metadata"]
        return f"{meta.get('name')}_{meta.get('namespace')}({meta.get('uid')})"

    def completes_by_default(self) -> bool:
        if self.init and not podstatus.is_sidecar(self.spec):
            return True
        return any(o.get("kind") == "Job" for o in self.pod["metadata"].get("ownerReferences") or [])

    def image_changed(self) -> bool:
        if not self.old:
            return False
        return images.normalize(self.image) != images.normalize(str(self.old.get("image")))

    def context(self, env: dict[str, str]) -> RunContext:
        words = [*(self.spec.get("command") or []), *(self.spec.get("args") or [])]
        argv = tuple(resolve.expand(str(word), env) for word in words)
        return RunContext(env, resolve.files(self.spec, self.mounted), argv, self.image)


def _image_size(reference: str) -> int:
    return 20_000_000 + int(hashlib.sha256(reference.encode()).hexdigest()[:6], 16) * 10


def _pull_events(c: Container) -> list[Event]:
    image = c.image
    policy = c.spec.get("imagePullPolicy") or ("Always" if images.uses_latest(image) else "IfNotPresent")
    pulled_here = bool(c.old and c.old.get("imageID")) and not c.image_changed()
    if policy != "Always" and (pulled_here or images.normalize(image) in c.around.images_on_node):
        return [c.event("Pulled", f'Container image "{image}" already present on machine')]
    took = "812ms (812ms including waiting)"
    return [
        c.event("Pulling", f'Pulling image "{image}"'),
        c.event(
            "Pulled",
            f'Successfully pulled image "{image}" in {took}. Image size: {_image_size(image)} bytes.',
        ),
    ]


def start(c: Container, last: Obj | None) -> Step:
    """Pull, create and start a new container; `last` is the run it replaces, if any."""
    before = int((c.old or {}).get("restartCount") or 0)
    restarts = before + 1 if last else 0  # the new container's restart count, should it start
    kept = before if last else 0  # the count while it has not
    log_run = before if last else None
    image = c.image
    simulation = c.around.simulation
    if simulation and images.is_missing(image, simulation.missing_images):
        previous = c.memory.pulls.get(c.key)
        attempts = previous.attempts + 1 if previous and previous.image == image else 1
        c.memory.pulls[c.key] = PullRecord(image, attempts, c.now)
        error = images.pull_error(image)
        step = Step(waiting(c.name, image, "ErrImagePull", error, restarts=kept, last=last), log_run=log_run)
        step.events += [
            c.event("Pulling", f'Pulling image "{image}"'),
            c.event("Failed", f'Failed to pull image "{image}": {error}', "Warning"),
            c.event("Failed", "Error: ErrImagePull", "Warning"),
        ]
        step.wake(c.now + PULL_ERROR_VISIBLE)
        return step
    c.memory.pulls.pop(c.key, None)
    image_id = images.image_id(image)
    events = _pull_events(c)
    try:
        env = resolve.environment(c.pod, c.spec, c.around.objects)
    except resolve.ConfigError as error:
        c.memory.retries[c.key] = c.now
        status = waiting(
            c.name,
            image,
            "CreateContainerConfigError",
            str(error),
            restarts=kept,
            last=last,
            image_id=image_id,
        )
        step = Step(status, [*events, c.event("Failed", f"Error: {error}", "Warning")], log_run=log_run)
        step.wake(c.now + CONFIG_RETRY)
        return step
    record = RunRecord(new_container_id(), c.context(env))
    c.memory.runs[c.key] = record
    events += [
        c.event("Created", f"Created container: {c.name}"),
        c.event("Started", f"Started container {c.name}"),
    ]
    c.old = {
        "name": c.name,
        "image": images.normalize(image),
        "imageID": image_id,
        "containerID": record.container_id,
        "ready": False,
        "restartCount": restarts,
        "started": False,
        "state": {"running": {"startedAt": stamp(c.now)}},
        "lastState": {"terminated": last} if last else {},
    }
    step = running(c)
    step.events[:0] = events
    return step


def running(c: Container) -> Step:
    """A running container: is it ready, does it exit, do its probes kill it?"""
    assert c.old is not None
    status = copy.deepcopy(c.old)
    started_at = parse_time(state_of(status)[1].get("startedAt")) or c.now
    record = c.memory.runs.get(c.key)
    if record is None or record.container_id != status.get("containerID"):
        # Started before this controller was: rebuild what it was started with from the objects of now.
        try:
            env = resolve.environment(c.pod, c.spec, c.around.objects)
        except resolve.ConfigError:
            env = {}
        record = RunRecord(str(status.get("containerID")), c.context(env))
        c.memory.runs[c.key] = record
    labels = c.pod["metadata"].get("labels") or {}
    simulation = c.around.simulation
    behaviour = simulation.behaviour_for(c.name, labels) if simulation else None
    limit = ((c.spec.get("resources") or {}).get("limits") or {}).get("memory")

    def plan_now() -> Any:
        return plan_run(
            behaviour=behaviour,
            run=record.context,
            facts=c.around.facts,
            started_at=started_at,
            completes_by_default=c.completes_by_default(),
            memory_limit=limit,
            released_at=record.released_at,
        )

    run = plan_now()
    if run.waiting_for is not None and not triggered(run.waiting_for, record.context, c.around.facts):
        record.released_at = c.now
        run = plan_now()
    probes = evaluate(c.spec, run, c.now, c.pod_ip)
    ends = [t for t in (run.ends_at, probes.killed_at) if t is not None and t <= c.now]
    end = c.now if c.image_changed() else min(ends, default=None)
    step = Step(status, log_run=int(status.get("restartCount") or 0))
    for unhealthy in probes.unhealthy:
        message = f"{unhealthy.kind.capitalize()} probe failed: {unhealthy.message}"
        step.events.append(
            Event(
                "Unhealthy",
                message,
                "Warning",
                field_path(c.name, c.init),
                unhealthy.last,
                unhealthy.count,
                unhealthy.first,
                run=record.container_id,
            )
        )
    step.log_lines = [(line.at, line.text) for line in run.logs_until(end or c.now)]
    if end is None:
        # An init container is ready only once it has completed.
        status["ready"] = probes.ready and not (c.init and not podstatus.is_sidecar(c.spec))
        status["started"] = probes.started
        for at in [run.ends_at, probes.next_change, run.serving_from, *(line.at for line in run.lines)]:
            if at is not None and at > c.now:
                step.wake(at)
        if run.waiting_for is not None:
            step.wake(c.now + timedelta(seconds=WAIT_REPEAT_SECONDS))
        return step
    if c.image_changed():
        step.events.append(c.event("Killing", f"Container {c.name} definition changed, will be restarted"))
        code, reason = KILLED_EXIT_CODE, "Error"
    elif probes.killed_at == end and (run.ends_at is None or end < run.ends_at):
        message = f"Container {c.name} failed {probes.killed_by} probe, will be restarted"
        step.events.append(c.event("Killing", message, at=end))
        code, reason = KILLED_EXIT_CODE, "Error"
    else:
        code, reason = run.exit_code, run.reason
    # A completed init container stays ready: that is what marks the pod Initialized.
    status["ready"] = c.init and code == 0 and not podstatus.is_sidecar(c.spec)
    status["started"] = False
    status["state"] = {
        "terminated": {
            "containerID": status.get("containerID"),
            "exitCode": code,
            "reason": reason,
            "startedAt": stamp(started_at),
            "finishedAt": stamp(end),
        }
    }
    step.wake(end + EXITED_VISIBLE)
    return step


def exited(c: Container) -> Step:
    """An exited container: restarted at once the first time, after a growing back-off later."""
    assert c.old is not None
    ended = dict(state_of(c.old)[1])
    restarts = int(c.old.get("restartCount") or 0)
    step = Step(copy.deepcopy(c.old), log_run=restarts)
    code = int(ended.get("exitCode") or 0)
    if not (c.policy == "Always" or (c.policy == "OnFailure" and code != 0)):
        return step
    finished = parse_time(ended.get("finishedAt")) or c.now
    delay = backoff_seconds(restarts)
    visible = finished + EXITED_VISIBLE
    due = max(finished + timedelta(seconds=delay), visible)
    if c.now >= due:
        return start(c, ended)
    if c.now < visible:
        step.wake(visible)
        return step
    message = f"back-off {go_duration(delay)} restarting failed container={c.name} pod={c.pod_ref()}"
    back = waiting(
        c.name,
        str(c.old.get("image")),
        "CrashLoopBackOff",
        message,
        restarts=restarts,
        last=ended,
        image_id=str(c.old.get("imageID") or ""),
    )
    back["containerID"] = c.old.get("containerID")
    step.status = back
    message = f"Back-off restarting failed container {c.name} in pod {c.pod_ref()}"
    step.events.append(c.event("BackOff", message, "Warning"))
    step.wake(due)
    return step


def _pull_backoff(c: Container, reason: str, last: Obj | None, step: Step) -> Step:
    record = c.memory.pulls.setdefault(c.key, PullRecord(c.image, 1, c.now))
    if record.image != c.image:
        return start(c, last)
    shown_until = record.last + PULL_ERROR_VISIBLE
    retry = record.last + timedelta(seconds=pull_backoff_seconds(record.attempts))
    if reason == "ErrImagePull" and c.now < shown_until:
        step.wake(shown_until)
        return step
    if c.now >= retry:
        return start(c, last)
    if reason == "ErrImagePull":
        error = images.pull_error(c.image)
        message = f'Back-off pulling image "{c.image}": ErrImagePull: {error}'
        step.status = waiting(
            c.name,
            c.image,
            "ImagePullBackOff",
            message,
            restarts=int(c.old.get("restartCount") or 0) if c.old else 0,
            last=last,
        )
        step.events += [
            c.event("BackOff", f'Back-off pulling image "{c.image}"'),
            c.event("Failed", "Error: ImagePullBackOff", "Warning"),
        ]
    step.wake(retry)
    return step


def waiting_step(c: Container) -> Step:
    """A container that is not running: why not, and is it time to try again?"""
    assert c.old is not None
    reason = str(state_of(c.old)[1].get("reason", ""))
    last = last_terminated(c.old)
    step = Step(copy.deepcopy(c.old), log_run=int(c.old.get("restartCount") or 0) if last else None)
    if reason == "CrashLoopBackOff" and last is not None:
        restarts = int(c.old.get("restartCount") or 0)
        due = (parse_time(last.get("finishedAt")) or c.now) + timedelta(seconds=backoff_seconds(restarts))
        if c.now >= due or c.image_changed():
            return start(c, last)
        step.wake(due)
        return step
    if reason in ("ErrImagePull", "ImagePullBackOff"):
        return _pull_backoff(c, reason, last, step)
    if reason == "CreateContainerConfigError":
        try:
            resolve.environment(c.pod, c.spec, c.around.objects)
        except resolve.ConfigError:
            tried = c.memory.retries.get(c.key)
            if tried is not None and c.now < tried + CONFIG_RETRY:
                step.wake(tried + CONFIG_RETRY)
                return step
    return start(c, last)


def step(c: Container) -> Step:
    kind, _ = state_of(c.old)
    if kind == "running":
        return running(c)
    if kind == "terminated":
        return exited(c)
    if kind == "waiting":
        return waiting_step(c)
    return start(c, None)
