"""The pod-level status a kubelet derives from its containers: phase and conditions.

Ports of getPhase (pkg/kubelet/kubelet_pods.go) and of the condition generators
(pkg/kubelet/status/generate.go) of Kubernetes v1.34, without the alpha ContainerRestartRules.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]
CONDITION_ORDER = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")


def is_sidecar(container: Obj) -> bool:
    return container.get("restartPolicy") == "Always"


def _by_name(statuses: list[Obj]) -> dict[str, Obj]:
    return {str(s.get("name")): s for s in statuses}


def _go_list(names: list[str]) -> str:
    return "[" + " ".join(names) + "]"


def terminal(spec: Obj, init_statuses: list[Obj], statuses: list[Obj]) -> bool:
    """No container of the pod will run again: it is Succeeded or Failed for good."""
    policy = spec.get("restartPolicy") or "Always"
    if policy == "Always":
        return False
    found = _by_name(statuses)
    containers = spec.get("containers") or []
    ended = [found.get(str(c.get("name")), {}).get("state", {}).get("terminated") for c in containers]
    if all(ended) and (policy == "Never" or all(t.get("exitCode") == 0 for t in ended if t)):
        return True
    if policy == "Never":
        init = _by_name(init_statuses)
        for container in spec.get("initContainers") or []:
            if is_sidecar(container):
                continue
            done = (init.get(str(container.get("name"))) or {}).get("state", {}).get("terminated")
            if done and done.get("exitCode") != 0:
                return True
    return False


def phase(
    spec: Obj, init_statuses: list[Obj], statuses: list[Obj], *, is_terminal: bool, initialized: bool
) -> str:
    init = _by_name(init_statuses)
    pending_init = failed_init = pending_sidecars = 0
    for container in spec.get("initContainers") or []:
        status = init.get(str(container.get("name")))
        state = (status or {}).get("state") or {}
        last = ((status or {}).get("lastState") or {}).get("terminated")
        if is_sidecar(container):
            if (
                status is None
                or ("waiting" in state and not last)
                or ("running" in state and not status.get("started"))
            ):
                pending_sidecars += 1
            continue
        if status is None or "running" in state:
            pending_init += 1
        elif "terminated" in state:
            failed_init += state["terminated"].get("exitCode") != 0
        elif "waiting" in state:
            if last:
                failed_init += last.get("exitCode") != 0
            else:
                pending_init += 1
        else:
            pending_init += 1

    unknown = running = waiting = stopped = succeeded = 0
    found = _by_name(statuses)
    for container in spec.get("containers") or []:
        status = found.get(str(container.get("name")))
        state = (status or {}).get("state") or {}
        if status is None or not state:
            unknown += 1
        elif "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            succeeded += state["terminated"].get("exitCode") == 0
        elif "waiting" in state:
            if (status.get("lastState") or {}).get("terminated"):
                stopped += 1
            else:
                waiting += 1

    policy = spec.get("restartPolicy") or "Always"
    if failed_init and policy == "Never":
        return "Failed"
    if pending_init or (pending_sidecars and not initialized) or waiting:
        return "Pending"
    if running and not unknown:
        return "Running"
    if not running and stopped and not unknown:
        if is_terminal:
            return "Succeeded" if stopped == succeeded else "Failed"
        if policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        return "Failed" if policy == "Never" else "Running"
    return "Pending"


def any_regular_started(statuses: list[Obj]) -> bool:
    return any(
        "running" in (s.get("state") or {}) or "terminated" in (s.get("state") or {}) or s.get("lastState")
        for s in statuses
    )


def _condition(kind: str, ok: bool, reason: str = "", message: str = "") -> Obj:
    condition: Obj = {"type": kind, "status": "True" if ok else "False"}
    if reason:
        condition["reason"] = reason
    if message:
        condition["message"] = message
    return condition


def initialized_condition(spec: Obj, init_statuses: list[Obj], statuses: list[Obj], pod_phase: str) -> Obj:
    found = _by_name(init_statuses)
    unknown, incomplete = [], []
    for container in spec.get("initContainers") or []:
        name = str(container.get("name"))
        status = found.get(name)
        if status is None:
            unknown.append(name)
        elif not (status.get("started") if is_sidecar(container) else status.get("ready")):
            incomplete.append(name)
    if pod_phase == "Succeeded" and not unknown:
        return _condition("Initialized", True, "PodCompleted")
    if any_regular_started(statuses):
        return _condition("Initialized", True)
    messages = []
    if unknown:
        messages.append(f"containers with unknown status: {_go_list(unknown)}")
    if incomplete:
        messages.append(f"containers with incomplete status: {_go_list(incomplete)}")
    if messages:
        return _condition("Initialized", False, "ContainersNotInitialized", ", ".join(messages))
    return _condition("Initialized", True)


def ready_conditions(
    pod: Obj, init_statuses: list[Obj], statuses: list[Obj], pod_phase: str
) -> tuple[Obj, Obj]:
    """(ContainersReady, Ready)."""
    spec = pod.get("spec") or {}
    if pod_phase in ("Succeeded", "Failed"):
        reason = "PodCompleted" if pod_phase == "Succeeded" else "PodFailed"
        return _condition("ContainersReady", False, reason), _condition("Ready", False, reason)
    unknown, unready = [], []
    init = _by_name(init_statuses)
    found = _by_name(statuses)
    sidecars = [c for c in spec.get("initContainers") or [] if is_sidecar(c)]
    for container, table in [
        *((c, init) for c in sidecars),
        *((c, found) for c in spec.get("containers") or []),
    ]:
        name = str(container.get("name"))
        status = table.get(name)
        if status is None:
            unknown.append(name)
        elif not status.get("ready"):
            unready.append(name)
    messages = []
    if unknown:
        messages.append(f"containers with unknown status: {_go_list(unknown)}")
    if unready:
        messages.append(f"containers with unready status: {_go_list(unready)}")
    if messages:
        containers_ready = _condition("ContainersReady", False, "ContainersNotReady", ", ".join(messages))
        return containers_ready, _condition("Ready", False, "ContainersNotReady", ", ".join(messages))
    gates = []
    existing = {c.get("type"): c for c in (pod.get("status") or {}).get("conditions") or []}
    for gate in spec.get("readinessGates") or []:
        kind = gate.get("conditionType")
        if kind not in existing:
            gates.append(f'corresponding condition of pod readiness gate "{kind}" does not exist.')
        elif existing[kind].get("status") != "True":
            gates.append(
                f'the status of pod readiness gate "{kind}" is not "True", but {existing[kind].get("status")}'
            )
    if gates:
        return _condition("ContainersReady", True), _condition(
            "Ready", False, "ReadinessGatesNotReady", ", ".join(gates)
        )
    return _condition("ContainersReady", True), _condition("Ready", True)


def merge_conditions(old: list[Obj], new: list[Obj], *, now: str, generation: int | None) -> list[Obj]:
    """The new conditions in the kubelet's order, keeping transition times that did not change,
    and any condition someone else owns (PodScheduled, readiness gates, DisruptionTarget)."""
    previous = {c.get("type"): c for c in old}
    ours = {c["type"]: c for c in new}
    merged: list[Obj] = []
    for kind in CONDITION_ORDER:
        if kind in ours:
            condition = {"lastProbeTime": None, **ours[kind]}
            before = previous.get(kind)
            same = before is not None and before.get("status") == condition["status"]
            condition["lastTransitionTime"] = before.get("lastTransitionTime") if same and before else now
            if generation is not None:
                condition["observedGeneration"] = generation
            merged.append(condition)
        elif kind in previous:
            merged.append(previous[kind])
    merged.extend(c for c in old if c.get("type") not in CONDITION_ORDER)
    return merged
