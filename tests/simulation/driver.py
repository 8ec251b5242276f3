"""Drive `simulation.kubelet.sync` through simulated time, the way the controller would."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from simulation import kubelet, resolve
from simulation.behaviour import Facts
from simulation.containers import Event
from simulation.lifecycle import Surroundings
from simulation.memory import Memory
from simulation.spec import SimulationSpec

Obj = dict[str, Any]
T0 = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)


def pod(
    name: str = "web",
    *,
    containers: list[Obj] | None = None,
    init: list[Obj] | None = None,
    restart_policy: str | None = None,
    labels: dict[str, str] | None = None,
    owner: str | None = None,
    volumes: list[Obj] | None = None,
) -> Obj:
    spec: Obj = {
        "nodeName": "kwok-node-0",
        "containers": containers or [{"name": "app", "image": "nginx:1.27"}],
    }
    if init:
        spec["initContainers"] = init
    if restart_policy:
        spec["restartPolicy"] = restart_policy
    if volumes:
        spec["volumes"] = volumes
    meta: Obj = {
        "name": name,
        "namespace": "shop",
        "uid": f"uid-{name}",
        "labels": labels or {},
        "generation": 1,
    }
    if owner:
        meta["ownerReferences"] = [{"kind": owner, "name": "owner", "uid": "o"}]
    return {
        "metadata": meta,
        "spec": spec,
        "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "True"}]},
    }


@dataclass
class Run:
    """A pod driven through time, with everything the kubelet said on the way."""

    pod: Obj
    around: Surroundings
    now: datetime = T0
    memory: Memory = field(default_factory=Memory)
    events: list[tuple[datetime, Event]] = field(default_factory=list)
    logs: dict[str, tuple[int, list[tuple[datetime, str]] | None]] = field(default_factory=dict)
    history: list[tuple[datetime, Obj]] = field(default_factory=list)

    def sync(self) -> kubelet.PodSync:
        node = kubelet.Node("172.18.0.10", lambda: "10.244.0.7")
        result = kubelet.sync(self.pod, self.around, node, self.memory, self.now)
        if result.status is not None:
            self.pod["status"] = copy.deepcopy(result.status)
            self.history.append((self.now, copy.deepcopy(result.status)))
        self.events += [(self.now, e) for e in result.events]
        for name, (run, lines) in result.logs.items():
            # As the controller does: a finished run's file keeps the lines written while it ran.
            known = self.logs.get(name)
            if lines is None and known is not None and known[0] == run:
                continue
            self.logs[name] = (run, lines)
        self._wake = result.wake_at
        return result

    def until(self, seconds: float, stop: Callable[[Obj], bool] | None = None) -> Obj:
        """Sync at every wake-up for `seconds` (or until `stop` holds); return the last status."""
        end = self.now + timedelta(seconds=seconds)
        self.sync()
        while self.now < end:
            if stop is not None and stop(self.pod["status"]):
                break
            wake = self._wake or end
            self.now = min(max(wake, self.now + timedelta(milliseconds=1)), end)
            self.sync()
        return self.pod["status"]

    def reasons(self) -> list[str]:
        return [e.reason for _, e in self.events]

    def container(self, name: str = "app", init: bool = False) -> Obj:
        key = "initContainerStatuses" if init else "containerStatuses"
        return next(s for s in self.pod["status"].get(key) or [] if s["name"] == name)


def world(
    simulation: Obj | None = None,
    *,
    configmaps: dict[str, Obj] | None = None,
    secrets: dict[str, Obj] | None = None,
    services: frozenset[str] = frozenset(),
) -> Surroundings:
    return Surroundings(
        objects=resolve.Objects("shop", configmaps or {}, secrets or {}),
        facts=Facts(services=services, endpoints=services),
        simulation=SimulationSpec.model_validate(simulation) if simulation is not None else None,
    )


def state(status: Obj) -> str:
    """waiting:Reason, running, terminated:Reason of the first container."""
    kind, detail = next(iter(status["state"].items()))
    return f"{kind}:{detail.get('reason')}" if kind != "running" else "running"


def condition(status: Obj, kind: str) -> str:
    return next(c["status"] for c in status["conditions"] if c["type"] == kind)
