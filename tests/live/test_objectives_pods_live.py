"""`pods`, and `log`/`event` for a workload's pods, against a real API server.

The local control plane's kubelet is kwok: it starts every container at once and
never crashes one. What a failing kubelet would report (CrashLoopBackOff, an OOM
kill, a pull that fails) is written here into the pod's status through the status
subresource, with the platform's credentials, exactly as a kubelet writes it; the
scheduler, the quota admission and the controllers are the real ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from kubernetes.client import ApiClient

from tests.fixtures.cluster import Cluster, eventually
from tests.live.test_validators_live import (
    Views,
    _send,
    apply,
    deployment,
    evaluate,
    passes,
    ready_pods,
)
from validators import NamespaceView, client_from_file
from validators.namespace_view import KINDS

pytestmark = pytest.mark.live
Obj = dict[str, Any]


@pytest.fixture
def api(cluster: Cluster) -> Iterator[ApiClient]:
    with client_from_file(cluster.kubeconfig) as client:
        yield client


@pytest.fixture
def views(api: ApiClient, namespace: str) -> Views:
    return lambda: NamespaceView(api, namespace)


WEB = {"workload": {"kind": "Deployment", "name": "web"}}


def stamp(seconds_ago: float = 0) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def only_pod(views: Views, app: str) -> Obj:
    [pod] = [p for p in views().pods({"app": app}) if not p["metadata"].get("deletionTimestamp")]
    return pod


def write_status(api: ApiClient, namespace: str, pod: Obj, containers: list[Obj], *, ready: bool) -> None:
    """What a kubelet writes: the container statuses and the Ready conditions that follow from them."""
    now = stamp()
    flag = "True" if ready else "False"
    conditions = [
        {"type": "PodScheduled", "status": "True", "lastTransitionTime": now},
        {"type": "Initialized", "status": "True", "lastTransitionTime": now},
        {"type": "ContainersReady", "status": flag, "lastTransitionTime": now},
        {"type": "Ready", "status": flag, "lastTransitionTime": now},
    ]
    path = f"{KINDS['Pod'].collection(namespace)}/{pod['metadata']['name']}/status"
    body = {"status": {"conditions": conditions, "containerStatuses": containers}}
    status, data = _send(api, "PATCH", path, body=body, content_type="application/merge-patch+json")
    assert status == 200, data.decode()


def kubelet_event(api: ApiClient, namespace: str, pod: Obj, reason: str, message: str) -> None:
    """An Event about the pod, as the kubelet reports one."""
    now = stamp()
    body = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{pod['metadata']['name']}.{reason.lower()}"},
        "involvedObject": {
            "kind": "Pod",
            "name": pod["metadata"]["name"],
            "namespace": namespace,
            "uid": pod["metadata"]["uid"],
        },
        "reason": reason,
        "message": message,
        "type": "Warning",
        "source": {"component": "kubelet"},
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 3,
    }
    status, data = _send(api, "POST", f"/api/v1/namespaces/{namespace}/events", body=body)
    assert status == 201, data.decode()


def test_pods_passes_for_a_healthy_deployment_and_names_a_crash_loop(
    api: ApiClient, views: Views, namespace: str
) -> None:
    apply(api, namespace, deployment("web", replicas=1))
    ready_pods(views, "web", 1)
    result = passes("pods", WEB, views, "the web pod")
    assert result.message.startswith("Pod web-") and result.message.endswith(
        "of Deployment web is running and ready, with no restart in the last 30 seconds."
    )
    pod = only_pod(views, "web")
    crash = {
        "name": "app",
        "image": "hashicorp/http-echo:1.0",
        "ready": False,
        "restartCount": 4,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 1m20s restarting"}},
        "lastState": {
            "terminated": {"exitCode": 1, "reason": "Error", "startedAt": stamp(3), "finishedAt": stamp(2)}
        },
    }
    write_status(api, namespace, pod, [crash], ready=False)
    kubelet_event(api, namespace, pod, "BackOff", "Back-off restarting failed container app")
    result = evaluate("pods", WEB, views)
    assert result.message == (
        f"Container app of pod {pod['metadata']['name']} keeps crashing "
        "(CrashLoopBackOff, 4 restarts; it last exited with code 1, Error)."
    )
    backoff = {**WEB, "forbiddenReasons": ["BackOff"]}
    assert evaluate("event", backoff, views).message.startswith(
        f"Pod {pod['metadata']['name']} had a BackOff event "
    )
    # Back to running, but the restart was a moment ago: the window is not over yet.
    back = {
        **crash,
        "ready": True,
        "restartCount": 5,
        "state": {"running": {"startedAt": stamp(1)}},
    }
    write_status(api, namespace, pod, [back], ready=True)
    assert "restarted" in evaluate("pods", WEB, views).message
    assert evaluate("pods", {**WEB, "restartWindowSeconds": 0}, views).passed


def test_pods_names_an_oom_kill_with_the_memory_limit(api: ApiClient, views: Views, namespace: str) -> None:
    manifest = deployment("web", replicas=1)
    manifest["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"memory": "32Mi"}}
    apply(api, namespace, manifest)
    ready_pods(views, "web", 1)
    pod = only_pod(views, "web")
    oom = {
        "name": "app",
        "image": "hashicorp/http-echo:1.0",
        "ready": True,
        "restartCount": 1,
        "state": {"running": {"startedAt": stamp(1)}},
        "lastState": {
            "terminated": {
                "exitCode": 137,
                "reason": "OOMKilled",
                "startedAt": stamp(9),
                "finishedAt": stamp(2),
            }
        },
    }
    write_status(api, namespace, pod, [oom], ready=True)
    message = evaluate("pods", WEB, views).message
    assert message.startswith(
        f"Container app of pod {pod['metadata']['name']} was killed for using too much memory "
        "(OOMKilled, exit code 137) "
    )
    assert message.endswith("; its memory limit is 32Mi.")


def test_pods_says_an_image_cannot_be_pulled(api: ApiClient, views: Views, namespace: str) -> None:
    apply(api, namespace, deployment("web", replicas=1, image="hashicorp/http-echo:1.0-typo"))
    ready_pods(views, "web", 1)
    pod = only_pod(views, "web")
    pull = {
        "name": "app",
        "image": "hashicorp/http-echo:1.0-typo",
        "ready": False,
        "restartCount": 0,
        "state": {
            "waiting": {
                "reason": "ImagePullBackOff",
                "message": 'Back-off pulling image "hashicorp/http-echo:1.0-typo"',
            }
        },
    }
    write_status(api, namespace, pod, [pull], ready=False)
    assert evaluate("pods", WEB, views).message == (
        f"Container app of pod {pod['metadata']['name']} cannot pull its image hashicorp/http-echo:1.0-typo "
        '(ImagePullBackOff: Back-off pulling image "hashicorp/http-echo:1.0-typo").'
    )


def test_pods_explains_what_the_scheduler_says(api: ApiClient, views: Views, namespace: str) -> None:
    manifest = deployment("web", replicas=1)
    manifest["spec"]["template"]["spec"]["nodeSelector"] = {"disk": "ssd"}
    apply(api, namespace, manifest)

    def unschedulable() -> str | None:
        message = evaluate("pods", WEB, views).message
        return message if "cannot be scheduled" in message else None

    message = eventually(unschedulable, "the scheduler to give up on the pod")
    assert message.startswith("Pod web-")
    assert "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector." in message


def test_pods_fails_a_rollout_a_resource_quota_blocks(api: ApiClient, views: Views, namespace: str) -> None:
    quota = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "pods"},
        "spec": {"hard": {"pods": "1"}},
    }
    apply(api, namespace, quota)
    eventually(
        lambda: (q := views().get("ResourceQuota", "pods")) and (q.get("status") or {}).get("hard"),
        "the quota controller to count the namespace",
    )
    apply(api, namespace, deployment("web", replicas=2))

    def blocked() -> str | None:
        message = evaluate("pods", WEB, views).message
        return message if "exceeded quota" in message else None

    message = eventually(blocked, "the ReplicaSet to hit the quota")
    assert message.startswith(
        "The rollout of Deployment web is not finished: 1 of 2 pods run its current template"
    )
    assert "forbidden: exceeded quota: pods" in message
    assert json.dumps(views().get("ResourceQuota", "pods"))  # readable by the checks


def test_log_previous_reads_the_last_run_of_a_workloads_pods(
    api: ApiClient, views: Views, namespace: str
) -> None:
    apply(api, namespace, deployment("web", replicas=1))
    ready_pods(views, "web", 1)
    spec = {**WEB, "expectedStrings": ["DB_HOST is not set"], "previous": True}
    pod = only_pod(views, "web")
    assert evaluate("log", spec, views).message == (
        f'Pod {pod["metadata"]["name"]} has not logged "DB_HOST is not set" in its previous run. '
        f"(Container app of pod {pod['metadata']['name']} has not restarted, so it has no previous run.)"
    )
    restarted = {
        "name": "app",
        "image": "hashicorp/http-echo:1.0",
        "ready": True,
        "restartCount": 1,
        "state": {"running": {"startedAt": stamp(1)}},
        "lastState": {
            "terminated": {"exitCode": 1, "reason": "Error", "startedAt": stamp(9), "finishedAt": stamp(2)}
        },
    }
    write_status(api, namespace, pod, [restarted], ready=True)
    result = evaluate("log", spec, views)
    assert not result.passed
    # This control plane's kubelet keeps no logs without the simulation layer: the API's own refusal shows.
    assert result.details["unreadable"] and "Could not read the log of pod" in result.message


def test_a_claim_that_never_binds_shows_in_status_and_in_the_pods(
    api: ApiClient, views: Views, namespace: str
) -> None:
    # The PV controller binds a claim to a matching PersistentVolume: real on the local control plane.
    volume = f"{namespace}-data"
    body = {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": volume},
        "spec": {
            "capacity": {"storage": "1Gi"},
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": "manual",
            "hostPath": {"path": "/tmp/breakfix-unused"},
        },
    }
    status, data = _send(api, "POST", "/api/v1/persistentvolumes", body=body)
    assert status == 201, data.decode()
    try:
        claim: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "fast",
                "resources": {"requests": {"storage": "1Gi"}},
            },
        }
        manifest = deployment("web", replicas=1)
        template = manifest["spec"]["template"]["spec"]
        template["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]
        apply(api, namespace, claim, manifest)
        bound = {
            "target": {"kind": "PersistentVolumeClaim", "name": "data"},
            "checks": [{"field": "phase", "value": "Bound"}],
        }
        assert evaluate("status", bound, views).message == (
            "PersistentVolumeClaim data has status.phase = Pending; the check expects == Bound."
        )

        def unbound() -> str | None:
            message = evaluate("pods", WEB, views).message
            return message if "cannot be scheduled" in message else None

        assert "unbound immediate PersistentVolumeClaims" in eventually(unbound, "the scheduler's verdict")
        # The claim's class is immutable: the fix is a new claim (here: the same name, recreated).
        _send(api, "DELETE", f"/api/v1/namespaces/{namespace}/persistentvolumeclaims/data")
        eventually(lambda: views().get("PersistentVolumeClaim", "data") is None or None, "the claim to go")
        apply(api, namespace, {**claim, "spec": {**claim["spec"], "storageClassName": "manual"}})
        passes("status", bound, views, "the claim to bind")
        passes("pods", WEB, views, "the pod to start on its bound claim")
    finally:
        _send(api, "DELETE", f"/api/v1/persistentvolumes/{volume}")
