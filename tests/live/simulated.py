"""Helpers for the simulation's live tests: objects in, kubectl and pod states out."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from kubernetes.client import ApiClient

from challenges.kube import apply_documents, apply_simulation
from tests.fixtures.cluster import binaries_dir
from validators import kube

Obj = dict[str, Any]


def kubectl(
    kubeconfig: Path | str, namespace: str, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(binaries_dir() / "kubectl"), "--kubeconfig", str(kubeconfig), "-n", namespace, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "KUBECONFIG": ""},
    )
    if check:
        assert done.returncode == 0, f"kubectl {' '.join(args)}: {done.stderr}"
    return done


def apply(api: ApiClient, namespace: str, *documents: Obj) -> None:
    apply_documents(api, namespace, list(documents), field_manager="test-learner")


def simulate(api: ApiClient, namespace: str, spec: Obj) -> None:
    assert apply_simulation(api, namespace, spec), "the cluster does not serve the simulation API"


def pod_doc(name: str, containers: list[Obj], **spec: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"containers": containers, **spec},
    }


def deployment(name: str, containers: list[Obj], replicas: int = 1, **spec: Any) -> Obj:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": containers, **spec}},
        },
    }


def pods(api: ApiClient, namespace: str, selector: str) -> list[Obj]:
    found = (
        kube.call(
            api,
            "GET",
            f"/api/v1/namespaces/{namespace}/pods",
            what="list pods",
            query=[("labelSelector", selector)],
        )
        or {}
    )
    return [p for p in found.get("items") or [] if not p["metadata"].get("deletionTimestamp")]


def pod(api: ApiClient, namespace: str, name: str) -> Obj:
    return kube.call(api, "GET", f"/api/v1/namespaces/{namespace}/pods/{name}", what="read pod") or {}


def container(p: Obj, name: str | None = None, *, init: bool = False) -> Obj:
    statuses = (p.get("status") or {}).get("initContainerStatuses" if init else "containerStatuses") or []
    return next((s for s in statuses if name is None or s.get("name") == name), {})


def state(status: Obj) -> str:
    """waiting:Reason, running or terminated:Reason; "" before the kubelet reported."""
    for kind, detail in (status.get("state") or {}).items():
        return "running" if kind == "running" else f"{kind}:{(detail or {}).get('reason')}"
    return ""


def condition(p: Obj, kind: str) -> str:
    return next(
        (c.get("status") for c in (p.get("status") or {}).get("conditions") or [] if c.get("type") == kind),
        "",
    )


def events(api: ApiClient, namespace: str, pod_name: str) -> list[Obj]:
    found = (
        kube.call(
            api,
            "GET",
            f"/api/v1/namespaces/{namespace}/events",
            what="list events",
            query=[("fieldSelector", f"involvedObject.name={pod_name}")],
        )
        or {}
    )
    return list(found.get("items") or [])


def reasons(api: ApiClient, namespace: str, pod_name: str) -> set[str]:
    return {str(e.get("reason")) for e in events(api, namespace, pod_name)}
