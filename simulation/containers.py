"""One container's status and its next step, as the kubelet and its runtime would move it on.

The kubelet's restart back-off starts at 10 s and doubles (10, 20, 40, …); a container's first
exit is restarted at once. The simulation caps the back-off at `BACKOFF_CAP` instead of five
minutes, so that a learner's fix shows within the time of a check.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

Obj = dict[str, Any]

BACKOFF_BASE = 10
BACKOFF_CAP = 40
# An exited container shows as Error (or Completed, OOMKilled) this long before its back-off.
EXITED_VISIBLE = timedelta(seconds=1)
# ErrImagePull shows this long before ImagePullBackOff.
PULL_ERROR_VISIBLE = timedelta(seconds=1)
# How often a container that cannot be created is tried again (and its event repeated).
CONFIG_RETRY = timedelta(seconds=15)


def backoff_seconds(restarts: int) -> int:
    """The back-off before restarting a container that has been restarted `restarts` times."""
    if restarts <= 0:
        return 0
    return min(BACKOFF_BASE * 2 ** (restarts - 1), BACKOFF_CAP)


def pull_backoff_seconds(attempts: int) -> int:
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


def go_duration(seconds: int) -> str:
    """Go's time.Duration format, as in the kubelet's messages: 10s, 1m20s, 5m0s."""
    minutes, rest = divmod(seconds, 60)
    return f"{minutes}m{rest}s" if minutes else f"{rest}s"


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def new_container_id() -> str:
    return "containerd://" + secrets.token_hex(32)


def field_path(name: str, init: bool) -> str:
    return f"spec.{'initContainers' if init else 'containers'}{{{name}}}"


@dataclass
class Event:
    """An event about the pod. With a `count`, the event happened that many times in the
    container run `run` so far (probe failures), rather than once more."""

    reason: str
    message: str
    type: str = "Normal"
    field_path: str = ""
    at: datetime | None = None
    count: int | None = None
    first: datetime | None = None
    run: str = ""


@dataclass
class Step:
    """What one sync did to one container."""

    status: Obj
    events: list[Event] = field(default_factory=list)
    wake_at: datetime | None = None
    log_run: int | None = None  # the run whose log file is current (the restart count)
    log_lines: list[tuple[datetime, str]] | None = None  # that run's lines so far, when it is live

    def wake(self, at: datetime | None) -> None:
        if at is not None and (self.wake_at is None or at < self.wake_at):
            self.wake_at = at


def waiting(
    name: str,
    image: str,
    reason: str,
    message: str = "",
    *,
    restarts: int = 0,
    last: Obj | None = None,
    image_id: str = "",
) -> Obj:
    state: Obj = {"reason": reason}
    if message:
        state["message"] = message
    return {
        "name": name,
        "image": image,
        "imageID": image_id,
        "ready": False,
        "restartCount": restarts,
        "started": False,
        "state": {"waiting": state},
        "lastState": {"terminated": last} if last else {},
    }


def state_of(status: Obj | None) -> tuple[str, Obj]:
    """("waiting" | "running" | "terminated" | "", details)."""
    state = (status or {}).get("state") or {}
    for kind in ("running", "terminated", "waiting"):
        if kind in state:
            return kind, state[kind] or {}
    return "", {}


def last_terminated(status: Obj | None) -> Obj | None:
    found = ((status or {}).get("lastState") or {}).get("terminated")
    return found if found else None
