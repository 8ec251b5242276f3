"""What a device plugin adds to a container it allocated devices to, as the container runtime sees it.

A container that asks for `nvidia.com/gpu` is given the node's GPUs by the NVIDIA device
plugin: its Allocate answer puts `NVIDIA_VISIBLE_DEVICES` (the GPUs' ids) into the container's
environment, and the NVIDIA container runtime exposes those devices. A CUDA application started
without it finds no device. The scheduler only places such a container on a node that has the
GPUs free, so the simulation gives it the variable whenever the container asks for one. Set by
hand in a container that asks for no GPU it gives no device (the NVIDIA runtime is configured to
ignore it from unprivileged containers, as it should be on shared nodes), so it is dropped.
"""

from __future__ import annotations

import hashlib
from typing import Any

Obj = dict[str, Any]
GPU = "nvidia.com/gpu"


def _count(container: Obj) -> int:
    resources = container.get("resources") or {}
    wanted = (resources.get("limits") or {}).get(GPU) or (resources.get("requests") or {}).get(GPU)
    try:
        return int(str(wanted or 0))
    except ValueError:
        return 0


VISIBLE = "NVIDIA_VISIBLE_DEVICES"


def apply(pod: Obj, container: Obj, env: dict[str, str]) -> None:
    """Give `env` what the device plugin gives the container, and take away what it does not."""
    env.pop(VISIBLE, None)
    env.update(environment(pod, container))


def environment(pod: Obj, container: Obj) -> dict[str, str]:
    """The variables the device plugin adds; none for a container that asks for no device."""
    count = _count(container)
    if count <= 0:
        return {}
    node = str((pod.get("spec") or {}).get("nodeName") or "")
    ids = []
    for index in range(count):
        digest = hashlib.sha256(f"{node}/{index}".encode()).hexdigest()
        ids.append(f"GPU-{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}")
    return {VISIBLE: ",".join(ids)}
