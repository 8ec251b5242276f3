"""`event`: reasons of recent Events about the matched objects: some must not appear, some must."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Self

from pydantic import Field, model_validator

from validators.podsource import PodSelection, WorkloadRef, select_pods
from validators.registry import register
from validators.result import Result
from validators.spec import Spec
from validators.target import Target, name_of, resolve
from validators.view import View


class EventSpec(Spec):
    """`target` ({kind, name} or {kind, labelSelector}) or `workload: {kind, name}` (the Events
    about its current pods); `forbiddenReasons`: none may have happened in the window;
    `requiredReasons`: each must have; `sinceSeconds` (default 300): the window."""

    target: Target | None = None
    workload: WorkloadRef | None = None
    forbidden_reasons: list[str] = Field(default_factory=list)
    required_reasons: list[str] = Field(default_factory=list)
    since_seconds: int = Field(default=300, ge=1, le=86400)

    @model_validator(mode="after")
    def _asks_something(self) -> Self:
        if (self.target is None) == (self.workload is None):
            raise ValueError("give exactly one of target and workload")
        if not self.forbidden_reasons and not self.required_reasons:
            raise ValueError("give forbiddenReasons, requiredReasons or both")
        return self


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def last_seen(event: dict[str, Any]) -> datetime | None:
    """When the event last happened. core/v1 and events.k8s.io/v1 fill different fields."""
    candidates = [
        (event.get("series") or {}).get("lastObservedTime"),
        event.get("lastTimestamp"),
        event.get("eventTime"),
        event.get("firstTimestamp"),
        (event.get("metadata") or {}).get("creationTimestamp"),
    ]
    times = [t for t in (_parse_time(c) for c in candidates) if t is not None]
    return max(times) if times else None


def _about(event: dict[str, Any], kind: str, obj: dict[str, Any]) -> bool:
    involved = event.get("involvedObject") or event.get("regarding") or {}
    if involved.get("kind") != kind or involved.get("name") != name_of(obj):
        return False
    # An object deleted and created again under the same name is another object.
    uid = (obj.get("metadata") or {}).get("uid")
    return not (involved.get("uid") and uid and involved["uid"] != uid)


def _ago(when: datetime, now: datetime) -> str:
    seconds = max(0, int((now - when).total_seconds()))
    return f"{seconds}s ago" if seconds < 120 else f"{seconds // 60}m ago"


@register("event", EventSpec)
def check_event(spec: EventSpec, view: View) -> Result:
    if spec.target is not None:
        kind, described = spec.target.kind, spec.target.describe()
        objects = resolve(spec.target, view)
        if not objects:
            return Result.fail(spec.target.nothing_matched(), matched=[])
    else:
        # A workload's events that matter are about its pods (BackOff, Unhealthy, Failed…);
        # the pods it runs now, so a fix that replaced them leaves the old ones' events behind.
        kind, described = "Pod", f"pods of {spec.workload.describe() if spec.workload else ''}"
        objects, _, why_none = select_pods(PodSelection(workload=spec.workload), view)
        if why_none:
            return Result.fail(why_none, matched=[])
    names = [name_of(obj) for obj in objects]
    now = datetime.now(UTC)
    since = now - timedelta(seconds=spec.since_seconds)
    recent = [e for e in view.events() if (seen := last_seen(e)) is not None and seen >= since]
    for obj in objects:
        label = f"{kind} {name_of(obj)}"
        about = [e for e in recent if _about(e, kind, obj)]
        for event in about:
            if event.get("reason") in spec.forbidden_reasons:
                seen = last_seen(event) or now
                note = (event.get("note") or event.get("message") or "").strip()
                return Result.fail(
                    f"{label} had a {event['reason']} event {_ago(seen, now)}"
                    + (f": {note}" if note else "."),
                    matched=names,
                    failing=name_of(obj),
                    event_reason=event["reason"],
                )
        reasons = {e.get("reason") for e in about}
        for required in spec.required_reasons:
            if required not in reasons:
                return Result.fail(
                    f"{label} has had no {required} event in the last {spec.since_seconds} seconds.",
                    matched=names,
                    failing=name_of(obj),
                    event_reason=required,
                )
    parts = []
    if spec.required_reasons:
        parts.append(f"reported {', '.join(spec.required_reasons)}")
    if spec.forbidden_reasons:
        parts.append(f"had no {', '.join(spec.forbidden_reasons)} events")
    subject = f"{kind} {names[0]}" if len(objects) == 1 else f"The {len(objects)} {described}"
    return Result.ok(
        f"{subject} {' and '.join(parts)} in the last {spec.since_seconds} seconds.", matched=names
    )
