"""`pods`: the pods of a workload (or a label selector) are healthy, the way `kubectl get pods` shows it.

In order, for every pod: it is scheduled; no container is waiting for one of
`waitingReasons` (CrashLoopBackOff, ImagePullBackOff, CreateContainerConfigError…);
no container's current or last run ended with one of `terminatedReasons` (OOMKilled);
no container restarted in the last `restartWindowSeconds`; with `ready`, every
container is ready. For a Deployment, StatefulSet or DaemonSet the rollout must
also be complete (what `kubectl rollout status` waits for) when `rolledOut` is set.

Restarts are judged from the kubelet's own timestamps (the previous run's finishedAt,
the current run's startedAt), so one read suffices; where a status has restarts but
no timestamps, the pods are read a second time `sampleSeconds` later and a grown
restartCount fails.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from validators import podstate, rollout, selectors
from validators.podsource import PodSelection, select_pods
from validators.registry import register
from validators.result import Result
from validators.target import name_of
from validators.view import View

Obj = dict[str, Any]


class PodsSpec(PodSelection):
    """Fields (all optional but the pods): `waitingReasons` (default: the reasons a container
    cannot run: CrashLoopBackOff, ImagePullBackOff, ErrImagePull, CreateContainerConfigError, …),
    `terminatedReasons` (default [OOMKilled]), `restartWindowSeconds` (default 30; 0 ignores
    restarts), `sampleSeconds` (default 2, at most 10), `ready` (default true), `minPods`
    (default 1), `rolledOut` (default true; workloads only)."""

    waiting_reasons: list[str] = Field(default_factory=lambda: list(podstate.BAD_WAITING))
    terminated_reasons: list[str] = Field(default_factory=lambda: ["OOMKilled"])
    restart_window_seconds: int = Field(default=30, ge=0, le=600)
    sample_seconds: float = Field(default=2.0, gt=0, le=10)
    ready: bool = True
    min_pods: int = Field(default=1, ge=0, le=100)
    rolled_out: bool = True

    def rules(self) -> podstate.Rules:
        return podstate.Rules(
            waiting_reasons=tuple(self.waiting_reasons),
            terminated_reasons=tuple(self.terminated_reasons),
            restart_window=self.restart_window_seconds,
            ready=self.ready,
        )


# Why a pod is stuck, when its status does not say but the kubelet's events do.
EVENT_NOTES = {"NotReady": "Unhealthy", "ContainerCreating": "FailedMount"}


def _event_note(view: View, pod: Obj, reason: str) -> str:
    """The newest event of this reason the kubelet reported for this pod (Unhealthy, FailedMount)."""
    uid = (pod.get("metadata") or {}).get("uid")
    newest: tuple[datetime, str] | None = None
    for event in view.events():
        involved = event.get("involvedObject") or event.get("regarding") or {}
        if event.get("reason") != reason or involved.get("name") != name_of(pod):
            continue
        if involved.get("uid") and uid and involved["uid"] != uid:
            continue
        when = max(
            (
                t
                for t in (
                    podstate.parse_time(event.get("lastTimestamp")),
                    podstate.parse_time(event.get("eventTime")),
                    podstate.parse_time((event.get("series") or {}).get("lastObservedTime")),
                )
                if t is not None
            ),
            default=datetime.min.replace(tzinfo=UTC),
        )
        text = str(event.get("message") or event.get("note") or "").strip()
        if text and (newest is None or when >= newest[0]):
            newest = (when, text)
    return newest[1] if newest else ""


def _grown(spec: PodsSpec, view: View, pods: list[Obj]) -> str | None:
    """Read the pods again after sampleSeconds; a restartCount that grew is a restart in the window."""
    before = {(pod["metadata"].get("uid"), name_of(pod)): podstate.restart_counts(pod) for pod in pods}
    time.sleep(spec.sample_seconds)
    later, _, _ = select_pods(spec, view.fresh())
    for pod in later:
        counts = before.get((pod["metadata"].get("uid"), name_of(pod)))
        if counts is None:
            continue
        for container, count in podstate.restart_counts(pod).items():
            if count > counts.get(container, count):
                return (
                    f"Container {container} of pod {name_of(pod)} restarted during the check "
                    f"(restartCount {counts[container]} → {count})."
                )
    return None


def _scope(spec: PodsSpec, workload: Obj | None, pods: list[Obj]) -> list[Obj]:
    """Job pods that ended are history once the Job has finished; a Job's later pods retry the work."""
    if workload is None or workload.get("kind") != "Job":
        return pods
    done = any(
        c.get("type") in ("Complete", "SuccessCriteriaMet") and c.get("status") == "True"
        for c in (workload.get("status") or {}).get("conditions") or []
    )
    if done:
        return [pod for pod in pods if (pod.get("status") or {}).get("phase") != "Failed"]
    return pods


@register("pods", PodsSpec)
def check_pods(spec: PodsSpec, view: View) -> Result:
    pods, workload, why_none = select_pods(spec, view)
    subject = spec.describe()
    missing_workload = spec.workload is not None and workload is None
    if why_none and (missing_workload or spec.min_pods > 0):
        return Result.fail(why_none, pods=[])
    pods = _scope(spec, workload, pods)
    names = [name_of(pod) for pod in pods]
    now = datetime.now(UTC)
    rules = spec.rules()
    problems = [p for p in (podstate.diagnose(pod, rules, now) for pod in pods) if p is not None]
    details: dict[str, Any] = {"pods": names, "problems": {p.pod: p.reason for p in problems}}
    if problems:
        first = problems[0]
        message = first.message
        if first.reason in EVENT_NOTES:
            pod = next(pod for pod in pods if name_of(pod) == first.pod)
            note = _event_note(view, pod, EVENT_NOTES[first.reason])
            if note:
                message = f"{message.rstrip('.')}: {note.rstrip('.')}."
        if len(problems) > 1:
            others = len(problems) - 1
            message += f" ({others} more {'pod has' if others == 1 else 'pods have'} problems too.)"
        return Result.fail(message, **details)
    if len(pods) < spec.min_pods:
        return Result.fail(
            f"{subject} has {len(pods)} {'pod' if len(pods) == 1 else 'pods'}; the check expects at least "
            f"{spec.min_pods}.",
            **details,
        )
    if workload is not None and spec.rolled_out:
        waiting = rollout.pending(workload)
        if waiting:
            return Result.fail(waiting, **details)
    if any(podstate.needs_sample(pod, rules) for pod in pods):
        grown = _grown(spec, view, pods)
        if grown:
            return Result.fail(grown, **details)
    state = "running and ready" if spec.ready else "running"
    finished = sum(1 for pod in pods if (pod.get("status") or {}).get("phase") == "Succeeded")
    if finished:
        state += " or finished"
    restarts = (
        f", with no restart in the last {spec.restart_window_seconds} seconds"
        if spec.restart_window_seconds
        else ""
    )
    if not pods:
        return Result.ok(f"{subject} has no pods, and the check expects none.", **details)
    if spec.workload is not None:
        owner = f" of {subject}"
    else:
        owner = f" matching {selectors.format_labels(spec.label_selector or {})}" if len(pods) > 1 else ""
    if len(pods) == 1:
        return Result.ok(f"Pod {names[0]}{owner} is {state}{restarts}.", **details)
    return Result.ok(f"All {len(pods)} pods{owner} are {state}{restarts}.", **details)
