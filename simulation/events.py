"""Events about pods, recorded as the kubelet records them: source kubelet, repeats aggregated.

The kubelet's event correlator turns the same event about the same object into one Event
whose count grows; `kubectl describe` then shows "(x4 over 2m)". Events are named like the
kubelet's, `<pod>.<hex nanoseconds>` of their first occurrence, so that `kubectl describe`
lists events of the same second in the order they happened. A restarted controller finds the
Events it made by listing those of the pod once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import urllib3

from simulation.containers import Event
from simulation.kube import Kube

Obj = dict[str, Any]
logger = logging.getLogger(__name__)
COMPONENT = "kubelet"
Key = tuple[str, str, str, str]  # reason, message, fieldPath, type


def _seconds(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: Any, default: datetime) -> datetime:
    if not isinstance(value, str) or not value:
        return default
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def key_of(event: Event) -> Key:
    return (event.reason, event.message, event.field_path, event.type)


def body(pod: Obj, event: Event, *, name: str, node: str, count: int, first: datetime, last: datetime) -> Obj:
    meta = pod["metadata"]
    involved: Obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "name": meta.get("name"),
        "namespace": meta.get("namespace"),
        "uid": meta.get("uid"),
    }
    if event.field_path:
        involved["fieldPath"] = event.field_path
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": meta.get("namespace")},
        "involvedObject": involved,
        "reason": event.reason,
        "message": event.message,
        "type": event.type,
        "source": {"component": COMPONENT, "host": node},
        "reportingComponent": COMPONENT,
        "reportingInstance": node,
        "firstTimestamp": _seconds(first),
        "lastTimestamp": _seconds(last),
        "count": count,
    }


@dataclass
class Seen:
    name: str
    count: int
    first: datetime


class Recorder:
    def __init__(self, kube: Kube, *, started: datetime) -> None:
        self.kube = kube
        self.started = started  # pods made since have no events of ours yet: no need to look
        self.pods: dict[str, dict[Key, Seen]] = {}  # pod uid → what was recorded about it
        self.per_run: dict[tuple[str, Key, str], int] = {}  # (uid, key, run) → count reached in that run

    def _known(self, pod: Obj) -> dict[Key, Seen]:
        meta = pod["metadata"]
        uid = str(meta.get("uid"))
        if uid in self.pods:
            return self.pods[uid]
        known: dict[Key, Seen] = {}
        self.pods[uid] = known
        created = _parse(meta.get("creationTimestamp"), self.started)
        if created > self.started:
            return known
        path = f"/api/v1/namespaces/{meta.get('namespace')}/events"
        query = [("fieldSelector", f"involvedObject.uid={uid},source={COMPONENT}")]
        try:
            status, answer = self.kube.request("GET", path, query=query)
        except (urllib3.exceptions.HTTPError, OSError):
            status, answer = 0, {}
        now = datetime.now(UTC)
        for item in answer.get("items") or [] if status == 200 else []:
            involved = item.get("involvedObject") or {}
            key = (
                str(item.get("reason")),
                str(item.get("message")),
                str(involved.get("fieldPath") or ""),
                str(item.get("type")),
            )
            name = str((item.get("metadata") or {}).get("name"))
            known[key] = Seen(name, int(item.get("count") or 1), _parse(item.get("firstTimestamp"), now))
        self.pods[uid] = known
        return known

    def record(self, pod: Obj, event: Event, *, node: str) -> None:
        """Record one more occurrence; an event with a count for its run records the new ones."""
        uid = str(pod["metadata"].get("uid"))
        namespace = str(pod["metadata"].get("namespace"))
        at = event.at or datetime.now(UTC)
        key = key_of(event)
        known = self._known(pod)
        seen = known.get(key)
        more = 1
        if event.count is not None:
            run_key = (uid, key, event.run)
            more = event.count - self.per_run.get(run_key, 0)
            if more <= 0:
                return
        first = seen.first if seen else (event.first or at)
        count = (seen.count if seen else 0) + more
        name = seen.name if seen else f"{pod['metadata'].get('name')}.{int(first.timestamp() * 1e9):x}"
        document = body(pod, event, name=name, node=node, count=count, first=first, last=at)
        path = f"/api/v1/namespaces/{namespace}/events"
        try:
            if seen is None:
                status, answer = self.kube.request("POST", path, body=document)
            else:
                patch = {"count": count, "lastTimestamp": document["lastTimestamp"]}
                status, answer = self.kube.request(
                    "PATCH", f"{path}/{name}", body=patch, content_type="application/merge-patch+json"
                )
                if status == 404:
                    status, answer = self.kube.request("POST", path, body=document)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            logger.warning("event about %s/%s not recorded: %s", namespace, pod["metadata"].get("name"), exc)
            return
        if 200 <= status < 300:
            known[key] = Seen(name, count, first)
            if event.count is not None:
                self.per_run[(uid, key, event.run)] = event.count
        elif status != 403:  # a namespace on its way out refuses new events
            logger.warning(
                "event %s/%s not recorded: HTTP %s %s", namespace, name, status, answer.get("message")
            )

    def forget(self, uid: str) -> None:
        self.pods.pop(uid, None)
        for key in [k for k in self.per_run if k[0] == uid]:
            del self.per_run[key]
