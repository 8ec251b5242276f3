"""The pods a workload runs: selected by its selector AND owned by it (through a ReplicaSet for Deployments).

Both, because a selector alone also catches a bare pod that merely carries the
right labels, and ownership alone misses nothing the controller made.
"""

from __future__ import annotations

from typing import Any

from validators import selectors
from validators.view import View

Obj = dict[str, Any]

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")


def controller_uid(obj: Obj) -> str | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return str(ref.get("uid"))
    return None


def is_deleting(obj: Obj) -> bool:
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))


def is_ready(pod: Obj) -> bool:
    if is_deleting(pod):
        return False
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def is_live(pod: Obj) -> bool:
    """Neither finished nor on its way out."""
    return not is_deleting(pod) and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")


def workload_pods(view: View, workload: Obj) -> list[Obj]:
    """The workload's pods, including ones not ready yet; sorted by name."""
    spec = workload.get("spec") or {}
    selector = spec.get("selector") or {}
    if not selector or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        return []
    query = selectors.to_query(selector)
    uid = (workload.get("metadata") or {}).get("uid")
    owners = {uid}
    if workload.get("kind") == "Deployment":
        owners = {
            (rs.get("metadata") or {}).get("uid")
            for rs in view.list("ReplicaSet", query)
            if controller_uid(rs) == uid
        }
    pods = [pod for pod in view.list("Pod", query) if controller_uid(pod) in owners]
    return sorted(pods, key=lambda pod: pod["metadata"]["name"])
