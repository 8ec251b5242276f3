"""`pods`, and `log`/`event` for a workload's pods, against a real API server.

What a kubelet reports (a crash loop, an OOM kill, a pull that fails, the previous run's log) is
the simulation layer's: each test declares what its application does in a `Simulation` for the
test's namespace, the way a challenge does, and the simulation controller (the only writer of
pod status) plays it. The scheduler, the quota admission and the controllers are the real ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes.client import ApiClient

import validators
from tests.fixtures.cluster import Cluster, eventually
from tests.live.simulated import simulate
from tests.live.test_validators_live import (
    Views,
    _send,
    apply,
    delete,
    deployment,
    evaluate,
    passes,
    ready_pods,
    service,
)
from validators import NamespaceView, Result, client_from_file
from validators.workloads import is_deleting, workload_pods

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
# The web application needs its database's Service: while there is none it exits at once (the
# simulation judges `services` throughout a run, so deleting the Service crashes a running pod).
NEEDS_DB = {
    "containers": [
        {
            "name": "app",
            "logs": ["web starting", "connected to db"],
            "failures": [
                {
                    "unless": {"services": ["db"]},
                    "exitCode": 1,
                    "logs": ["web starting", "FATAL: database db not found"],
                }
            ],
        }
    ]
}


def db_service() -> Obj:
    return service("db", {"app": "db"}, port=5432, target=5432)


def only_pod(views: Views, app: str) -> Obj:
    [pod] = [p for p in views().pods({"app": app}) if not p["metadata"].get("deletionTimestamp")]
    return pod


def judged(kind: str, spec: Obj, views: Views) -> tuple[Result, Obj, Obj]:
    """The verdict, the one web pod and its app container's status, all from one snapshot.

    A view reads each thing once, so the pod read after the check is the one the check judged:
    the simulation moves the pod on meanwhile, and the message must match the state it names.
    """
    view = views()
    result = validators.evaluate(kind, spec, view)
    workload = view.get("Deployment", "web")
    pods = [p for p in workload_pods(view, workload) if not is_deleting(p)] if workload else []
    pod = pods[0] if len(pods) == 1 else {}  # {} until there is exactly one
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return result, pod, next((s for s in statuses if s.get("name") == "app"), {})


def waiting_reason(container: Obj) -> str:
    return str(((container.get("state") or {}).get("waiting") or {}).get("reason") or "")


def restarts(count: int) -> str:
    return "1 restart" if count == 1 else f"{count} restarts"


def test_pods_passes_for_a_healthy_deployment_and_names_a_crash_loop(
    api: ApiClient, views: Views, namespace: str
) -> None:
    simulate(api, namespace, NEEDS_DB)
    apply(api, namespace, db_service(), deployment("web", replicas=1))
    ready_pods(views, "web", 1)
    result = passes("pods", WEB, views, "the web pod")
    assert result.message.startswith("Pod web-") and result.message.endswith(
        "of Deployment web is running and ready, with no restart in the last 30 seconds."
    )
    pod = only_pod(views, "web")

    delete(api, namespace, "Service", "db")

    def crash_looping() -> tuple[Result, Obj, Obj] | None:
        found = judged("pods", WEB, views)
        return found if waiting_reason(found[2]) == "CrashLoopBackOff" else None

    result, looping, app = eventually(crash_looping, "the web pod to crash-loop")
    assert looping["metadata"]["uid"] == pod["metadata"]["uid"]  # the same pod, restarted in place
    count = int(app["restartCount"])
    assert count >= 1
    assert result.message == (
        f"Container app of pod {pod['metadata']['name']} keeps crashing "
        f"(CrashLoopBackOff, {restarts(count)}; it last exited with code 1, Error)."
    )
    backoff = {**WEB, "forbiddenReasons": ["BackOff"]}

    def backed_off() -> str | None:
        message = evaluate("event", backoff, views).message
        return message if message.startswith(f"Pod {pod['metadata']['name']} had a BackOff event ") else None

    had_backoff = eventually(backed_off, "the kubelet's BackOff event")
    assert "Back-off restarting failed container app" in had_backoff

    # The database is back: the next restart runs cleanly, but the restart was a moment ago and
    # the window is not over yet.
    apply(api, namespace, db_service())
    clean_run = {**WEB, "expectedStrings": ["connected to db"], "sinceSeconds": 30}
    # Back-offs are capped at 40 s in the simulation: the clean run starts within one of them.
    eventually(
        lambda: evaluate("log", clean_run, views).passed or None, "the clean run after the fix", timeout=60
    )
    result, _, app = judged("pods", WEB, views)
    now = int(app["restartCount"])
    assert "running" in app["state"] and now > count
    assert result.message.startswith(f"Container app of pod {pod['metadata']['name']} restarted ")
    assert result.message.endswith(f" (it exited with code 1, Error); {restarts(now)} in all.")
    assert evaluate("pods", {**WEB, "restartWindowSeconds": 0}, views).passed


def test_pods_names_an_oom_kill_with_the_memory_limit(api: ApiClient, views: Views, namespace: str) -> None:
    # It needs 300Mi once it has started (8 s): a 32Mi limit kills it then, and again 8 s later.
    simulate(api, namespace, {"containers": [{"name": "app", "memory": "300Mi", "startSeconds": 8}]})
    manifest = deployment("web", replicas=1)
    manifest["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"memory": "32Mi"}}
    apply(api, namespace, manifest)

    def oom_killed() -> tuple[Result, Obj, Obj] | None:
        found = judged("pods", WEB, views)
        last = ((found[2].get("lastState") or {}).get("terminated") or {}).get("reason")
        running = "running" in (found[2].get("state") or {})
        return found if running and last == "OOMKilled" else None

    # Between the first kill and the second the container runs again, with the kill as its last state.
    result, pod, app = eventually(oom_killed, "the first OOM kill", timeout=45)
    assert app["lastState"]["terminated"]["exitCode"] == 137
    assert result.message.startswith(
        f"Container app of pod {pod['metadata']['name']} was killed for using too much memory "
        "(OOMKilled, exit code 137) "
    )
    assert result.message.endswith("; its memory limit is 32Mi.")


def test_pods_says_an_image_cannot_be_pulled(api: ApiClient, views: Views, namespace: str) -> None:
    typo = "hashicorp/http-echo:1.0-typo"
    simulate(api, namespace, {"missingImages": [typo]})
    apply(api, namespace, deployment("web", replicas=1, image=typo))

    def backing_off() -> tuple[Result, Obj, Obj] | None:
        found = judged("pods", WEB, views)
        return found if waiting_reason(found[2]) == "ImagePullBackOff" else None

    result, pod, _ = eventually(backing_off, "ImagePullBackOff")
    full = f"docker.io/{typo}"
    # The kubelet's message, as long as the objective shows one (it shortens long ones).
    assert result.message.startswith(
        f"Container app of pod {pod['metadata']['name']} cannot pull its image {typo} "
        f'(ImagePullBackOff: Back-off pulling image "{typo}": ErrImagePull: '
        f'rpc error: code = NotFound desc = failed to pull and unpack image "{full}": '
    )
    assert result.message.endswith(").")


def test_pods_explains_what_the_scheduler_says(api: ApiClient, views: Views, namespace: str) -> None:
    manifest = deployment("web", replicas=1)
    manifest["spec"]["template"]["spec"]["nodeSelector"] = {"disk": "ssd"}
    apply(api, namespace, manifest)

    def unschedulable() -> str | None:
        message = evaluate("pods", WEB, views).message
        return message if "cannot be scheduled" in message else None

    message = eventually(unschedulable, "the scheduler to give up on the pod")
    assert message.startswith("Pod web-")
    # The scheduler counts, for each node, the first filter that refused it, and lists the counts
    # sorted as text: a tainted node (the GPU node of platform/controlplane/simulation/nodes.yaml)
    # fails on its taint before its labels are looked at; every other node lacks disk=ssd.
    status, data = _send(api, "GET", "/api/v1/nodes")
    assert status == 200, data.decode()
    nodes = json.loads(data)["items"]
    tainted = sum(
        1
        for node in nodes
        if any(t.get("effect") in ("NoSchedule", "NoExecute") for t in node["spec"].get("taints") or [])
    )
    reasons = [
        f"{count} {reason}"
        for count, reason in [
            (tainted, "node(s) had untolerated taint(s)"),
            (len(nodes) - tainted, "node(s) didn't match Pod's node affinity/selector"),
        ]
        if count
    ]
    assert tainted and len(nodes) > tainted, "the cluster should have tainted and untainted nodes"
    assert f"0/{len(nodes)} nodes are available: {', '.join(sorted(reasons))}." in message


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
    simulate(api, namespace, NEEDS_DB)
    apply(api, namespace, db_service(), deployment("web", replicas=1))
    ready_pods(views, "web", 1)
    spec = {**WEB, "expectedStrings": ["database db not found"], "previous": True}
    pod = only_pod(views, "web")
    name = pod["metadata"]["name"]
    assert evaluate("log", spec, views).message == (
        f'Pod {name} has not logged "database db not found" in its previous run. '
        f"(Container app of pod {name} has not restarted, so it has no previous run.)"
    )
    # Its database goes away: the app exits with its last words, and the kubelet restarts it.
    delete(api, namespace, "Service", "db")
    result = passes("log", spec, views, "the previous run's last words")
    assert result.message == 'Pods of Deployment web logged "database db not found".'
    assert result.details["found"] == {"database db not found": name}
    assert not result.details["unreadable"]
    # The current run's log is another one: what the app logged before it crashed is not in it.
    current = {**WEB, "expectedStrings": ["connected to db"]}
    assert not evaluate("log", current, views).passed


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
        claim: Obj = {
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
