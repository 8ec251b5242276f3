"""One sync of one pod, like the kubelet's syncPod: its next status, events, logs, next look.

Mount the volumes (a missing ConfigMap or Secret keeps the pod ContainerCreating), give the
sandbox an IP, run the init containers one after the other, then the containers, and derive
the phase and conditions from them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from simulation import podstatus, resolve
from simulation.containers import CONFIG_RETRY, Event, Step, stamp, waiting
from simulation.lifecycle import Container, Surroundings, step
from simulation.memory import Memory

Obj = dict[str, Any]


@dataclass
class PodSync:
    status: Obj | None = None  # the pod's new status; None when nothing changed
    events: list[Event] = field(default_factory=list)
    wake_at: datetime | None = None
    # container → (the run whose log is current, that run's lines when it is live)
    logs: dict[str, tuple[int, list[tuple[datetime, str]] | None]] = field(default_factory=dict)

    def wake(self, at: datetime | None) -> None:
        if at is not None and (self.wake_at is None or at < self.wake_at):
            self.wake_at = at


@dataclass(frozen=True)
class Node:
    host_ip: str = ""
    allocate_ip: Callable[[], str] = lambda: ""


def _placeholder(container: Obj, reason: str) -> Obj:
    return waiting(str(container.get("name")), str(container.get("image", "")), reason)


def _mount_failed(pod: Obj, error: resolve.MountError, memory: Memory, now: datetime, result: PodSync) -> Obj:
    """The status of a pod whose volumes cannot be mounted: no sandbox, no IP, nothing started."""
    uid = str(pod["metadata"].get("uid"))
    spec = pod["spec"]
    key = (uid, "")
    tried = memory.retries.get(key)
    if tried is None or now >= tried + CONFIG_RETRY:
        memory.retries[key] = tried = now
        result.events.append(Event("FailedMount", str(error), "Warning", at=now))
    result.wake(tried + CONFIG_RETRY)
    init = [_placeholder(c, "PodInitializing") for c in spec.get("initContainers") or []]
    main_reason = "PodInitializing" if init else "ContainerCreating"
    main = [_placeholder(c, main_reason) for c in spec.get("containers") or []]
    return {"initContainerStatuses": init, "containerStatuses": main}


def sync(pod: Obj, around: Surroundings, node: Node, memory: Memory, now: datetime | None = None) -> PodSync:
    meta, spec, old = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    result = PodSync()
    if (
        meta.get("deletionTimestamp")
        or not spec.get("nodeName")
        or old.get("phase") in ("Succeeded", "Failed")
    ):
        return result
    # The API keeps whole seconds: work in them, so a restarted controller reads the same times.
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    status: Obj = {key: value for key, value in old.items() if key not in ("conditions",)}
    status.setdefault("startTime", stamp(now))
    pod_ip = str(old.get("podIP") or "")
    try:
        mounted = resolve.volumes(pod, around.objects, strict=not pod_ip)
    except resolve.MountError as error:
        status.update(_mount_failed(pod, error, memory, now, result))
        sandbox = False
    else:
        sandbox = True
        _sandbox(pod, node, status)
        _containers(pod, around, memory, now, mounted, status, result)

    init_statuses = status.get("initContainerStatuses") or []
    statuses = status.get("containerStatuses") or []
    initialized = podstatus.initialized_condition(spec, init_statuses, statuses, "Pending")
    is_terminal = podstatus.terminal(spec, init_statuses, statuses)
    phase = podstatus.phase(
        spec, init_statuses, statuses, is_terminal=is_terminal, initialized=initialized["status"] == "True"
    )
    initialized = podstatus.initialized_condition(spec, init_statuses, statuses, phase)
    containers_ready, ready = podstatus.ready_conditions(pod, init_statuses, statuses, phase)
    to_start = {
        "type": "PodReadyToStartContainers",
        "status": "True" if sandbox and not is_terminal else "False",
    }
    generation = meta.get("generation")
    status["conditions"] = podstatus.merge_conditions(
        old.get("conditions") or [],
        [to_start, initialized, ready, containers_ready],
        now=stamp(now),
        generation=int(generation) if generation is not None else None,
    )
    status["phase"] = phase
    if generation is not None:
        status["observedGeneration"] = int(generation)
    if not spec.get("initContainers"):
        status.pop("initContainerStatuses", None)
    if is_terminal:
        result.wake_at = None
    if status != old:
        result.status = status
    return result


def _sandbox(pod: Obj, node: Node, status: Obj) -> None:
    if node.host_ip:
        status.setdefault("hostIP", node.host_ip)
        status.setdefault("hostIPs", [{"ip": node.host_ip}])
    if status.get("podIP"):
        return
    ip = node.host_ip if pod["spec"].get("hostNetwork") else node.allocate_ip()
    if ip:
        status["podIP"] = ip
        status["podIPs"] = [{"ip": ip}]


def _containers(
    pod: Obj,
    around: Surroundings,
    memory: Memory,
    now: datetime,
    mounted: dict[str, dict[str, str] | None],
    status: Obj,
    result: PodSync,
) -> None:
    spec = pod["spec"]
    old_init = {s.get("name"): s for s in status.get("initContainerStatuses") or []}
    old_main = {s.get("name"): s for s in status.get("containerStatuses") or []}
    pod_ip = str(status.get("podIP") or "")

    def advance(container: Obj, init: bool, table: dict[Any, Obj]) -> Obj:
        c = Container(
            pod, container, init, table.get(container.get("name")), around, memory, now, pod_ip, mounted
        )
        moved: Step = step(c)
        result.events.extend(moved.events)
        result.wake(moved.wake_at)
        if moved.log_run is not None:
            result.logs[c.name] = (moved.log_run, moved.log_lines)
        return moved.status

    init_out: list[Obj] = []
    initialized = True
    for container in spec.get("initContainers") or []:
        if not initialized:
            init_out.append(old_init.get(container.get("name")) or _placeholder(container, "PodInitializing"))
            continue
        current = old_init.get(container.get("name"))
        state = (current or {}).get("state") or {}
        done = "terminated" in state and state["terminated"].get("exitCode") == 0
        if done and not podstatus.is_sidecar(container):
            init_out.append(current or {})
            continue
        moved = advance(container, True, old_init)
        init_out.append(moved)
        state = moved.get("state") or {}
        if podstatus.is_sidecar(container):
            initialized = "running" in state and bool(moved.get("started"))
        else:
            initialized = "terminated" in state and state["terminated"].get("exitCode") == 0
    status["initContainerStatuses"] = init_out
    if initialized:
        status["containerStatuses"] = [advance(c, False, old_main) for c in spec.get("containers") or []]
    else:
        status["containerStatuses"] = [
            old_main.get(c.get("name")) or _placeholder(c, "PodInitializing")
            for c in spec.get("containers") or []
        ]
