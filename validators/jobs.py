"""A Job's outcome as `kubectl describe job` tells it: its conditions, its pod counts, its pods' exits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from validators import podstate
from validators.target import name_of
from validators.view import View
from validators.workloads import workload_pods

Obj = dict[str, Any]


def condition(job: Obj, *types: str) -> Obj | None:
    for found in (job.get("status") or {}).get("conditions") or []:
        if isinstance(found, dict) and found.get("type") in types and found.get("status") == "True":
            return found
    return None


def succeeded(job: Obj) -> bool:
    return condition(job, "Complete", "SuccessCriteriaMet") is not None


def failed(job: Obj) -> Obj | None:
    return condition(job, "Failed", "FailureTarget")


def counts(job: Obj) -> str:
    status = job.get("status") or {}
    parts = [f"{int(status.get('succeeded') or 0)} succeeded"]
    for key, word in (("active", "running"), ("failed", "failed")):
        if status.get(key):
            parts.append(f"{int(status[key])} {word}")
    return ", ".join(parts)


def last_exit(view: View, job: Obj) -> str:
    """How the Job's most recent failed pod ended: `its pod x exited with code 127 (Error: …)`."""
    failed_pods = [p for p in workload_pods(view, job) if (p.get("status") or {}).get("phase") == "Failed"]
    if not failed_pods:
        return ""
    newest = max(failed_pods, key=lambda p: str((p.get("metadata") or {}).get("creationTimestamp") or ""))
    for status in (newest.get("status") or {}).get("containerStatuses") or []:
        ended = (status.get("state") or {}).get("terminated") or {}
        if ended.get("exitCode") not in (None, 0):
            why = ", ".join(str(part) for part in (ended.get("reason"), ended.get("message")) if part)
            detail = f" ({' '.join(why.split())[:200]})" if why else ""
            return f"its pod {name_of(newest)} exited with code {ended['exitCode']}{detail}"
    return f"its pod {name_of(newest)} failed"


def stuck_pod(view: View, job: Obj) -> str | None:
    """Why a running Job's pods make no progress (a pull that fails, a crash loop, no node), if they don't."""
    rules = podstate.Rules(ready=False, restart_window=0)
    now = datetime.now(UTC)
    for pod in workload_pods(view, job):
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            continue
        problem = podstate.diagnose(pod, rules, now)
        if problem is not None:
            return problem.message
    return None


def outcome(view: View, job: Obj, *, label: str | None = None) -> tuple[bool | None, str]:
    """(True: completed, False: failed, None: still going) and a sentence saying so."""
    label = label or f"Job {name_of(job)}"
    done = failed(job)
    if done is not None:
        why = ": ".join(str(done[k]) for k in ("reason", "message") if done.get(k))
        exit_text = last_exit(view, job)
        return False, f"{label} failed ({why})" + (f"; {exit_text}" if exit_text else "") + "."
    if succeeded(job):
        return True, f"{label} completed ({counts(job)})."
    if (job.get("spec") or {}).get("suspend"):
        return None, f"{label} is suspended (spec.suspend: true), so it starts no pods."
    stuck = stuck_pod(view, job)
    if stuck:
        return None, f"{label} has not completed ({counts(job)}): {stuck[0].lower()}{stuck[1:]}"
    exit_text = last_exit(view, job)
    return None, f"{label} has not completed yet ({counts(job)})" + (
        f"; {exit_text}" if exit_text else ""
    ) + "."
