"""Has a workload finished rolling out? The answer `kubectl rollout status` gives, from the same fields.

Deployments, StatefulSets and DaemonSets report their progress in `.status`; a
ReplicaSet only counts ready pods. None is returned when the rollout is complete,
otherwise a sentence that says what it is waiting for.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


def _int(value: Any, default: int = 0) -> int:
    return int(value) if isinstance(value, int) else default


def _condition(obj: Obj, type_: str) -> Obj:
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if isinstance(condition, dict) and condition.get("type") == type_:
            return condition
    return {}


def _pods(n: int) -> str:
    return "1 pod" if n == 1 else f"{n} pods"


def pending(workload: Obj) -> str | None:
    kind = workload.get("kind")
    name = (workload.get("metadata") or {}).get("name", "?")
    label = f"{kind} {name}"
    spec = workload.get("spec") or {}
    status = workload.get("status") or {}
    generation = _int((workload.get("metadata") or {}).get("generation"))
    observed = _int(status.get("observedGeneration"))
    if kind in ("Deployment", "StatefulSet", "DaemonSet") and (observed == 0 or generation > observed):
        return f"{label} has not taken up its latest change yet."
    if kind == "Deployment":
        return _deployment(label, spec, status, workload)
    if kind == "StatefulSet":
        return _statefulset(label, spec, status)
    if kind == "DaemonSet":
        desired = _int(status.get("desiredNumberScheduled"))
        updated = _int(status.get("updatedNumberScheduled"))
        if updated < desired:
            return (
                f"The rollout of {label} is not finished: {updated} of {desired} pods run its current "
                "template."
            )
        available = _int(status.get("numberAvailable"))
        if available < desired:
            return f"The rollout of {label} is not finished: {available} of {desired} pods are available."
        return None
    if kind == "ReplicaSet":
        wanted = _int(spec.get("replicas"), 1)
        ready = _int(status.get("readyReplicas"))
        if ready < wanted:
            failure = _condition(workload, "ReplicaFailure")
            why = (
                f" ({failure['message']})"
                if failure.get("status") == "True" and failure.get("message")
                else ""
            )
            return f"{label} has {ready} of {wanted} ready pods{why}."
    return None


def _deployment(label: str, spec: Obj, status: Obj, workload: Obj) -> str | None:
    wanted = _int(spec.get("replicas"), 1)
    updated = _int(status.get("updatedReplicas"))
    # A controller that cannot create pods (a quota, a LimitRange, an admission policy) says why here.
    failure = _condition(workload, "ReplicaFailure")
    why = f" ({failure['message']})" if failure.get("status") == "True" and failure.get("message") else ""
    progressing = _condition(workload, "Progressing")
    if progressing.get("reason") == "ProgressDeadlineExceeded":
        return (
            f"The rollout of {label} has stalled: it exceeded its progress deadline with {updated} of "
            f"{wanted} pods on its current template{why}."
        )
    if updated < wanted:
        return (
            f"The rollout of {label} is not finished: {updated} of {wanted} pods run its current "
            f"template{why}."
        )
    total = _int(status.get("replicas"))
    if total > updated:
        return (
            f"The rollout of {label} is not finished: {_pods(total - updated)} of the old template still run."
        )
    available = _int(status.get("availableReplicas"))
    if available < updated:
        return f"The rollout of {label} is not finished: {available} of {updated} updated pods are available."
    return None


def _statefulset(label: str, spec: Obj, status: Obj) -> str | None:
    wanted = _int(spec.get("replicas"), 1)
    ready = _int(status.get("readyReplicas"))
    if ready < wanted:
        return f"{label} has {ready} of {wanted} ready pods."
    strategy = spec.get("updateStrategy") or {}
    partition = _int((strategy.get("rollingUpdate") or {}).get("partition"))
    if partition:
        updated = _int(status.get("updatedReplicas"))
        if updated < wanted - partition:
            return (
                f"The partitioned rollout of {label} is not finished: {updated} of {wanted - partition} "
                "pods run its current template."
            )
        return None
    if status.get("updateRevision") and status.get("updateRevision") != status.get("currentRevision"):
        updated = _int(status.get("updatedReplicas"))
        hint = (
            " (updateStrategy OnDelete: old pods are replaced only when deleted)"
            if strategy.get("type") == "OnDelete"
            else ""
        )
        return (
            f"The rollout of {label} is not finished: {updated} of {wanted} pods run its current "
            f"template{hint}."
        )
    return None
