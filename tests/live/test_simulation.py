"""The simulation layer on the real local control plane: each failure shows what a kubelet would
show (status, reasons, events, logs) and recovers when the pod spec (or what it uses) is fixed.

Back-offs are the kubelet's (10 s, 20 s, …) capped at 40 s, so the slowest test here waits for
one back-off.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from kubernetes.client import ApiClient

from tests.fixtures.cluster import Cluster, eventually
from tests.live.simulated import (
    apply,
    condition,
    container,
    deployment,
    events,
    kubectl,
    pod,
    pod_doc,
    pods,
    reasons,
    simulate,
    state,
)

pytestmark = pytest.mark.live
Obj = dict[str, Any]

CRASH = {
    "containers": [
        {
            "name": "api",
            "listens": [8080],
            "logs": ["api starting", "connected to ${DATABASE_URL}", "listening on :8080"],
            "failures": [
                {
                    "unless": {"env": ["DATABASE_URL"]},
                    "exitCode": 1,
                    "logs": ["api starting", "FATAL: DATABASE_URL is not set"],
                },
            ],
        }
    ]
}


@pytest.fixture
def api(cluster: Cluster) -> Iterator[ApiClient]:
    with cluster.api_client() as client:
        yield client


def pod_when(api: ApiClient, namespace: str, name: str, holds: Callable[[Obj], bool]) -> Obj | None:
    found = pod(api, namespace, name)
    return found if found and holds(found) else None


def logs_when(cluster: Cluster, namespace: str, text: str, *args: str) -> str | None:
    logs = kubectl(cluster.kubeconfig, namespace, "logs", *args).stdout
    return logs if text in logs else None


def configmap(name: str, data: dict[str, str]) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def test_a_container_that_exits_crash_loops_with_its_error_in_the_previous_logs_and_heals_in_place(
    api: ApiClient, cluster: Cluster, namespace: str
) -> None:
    simulate(api, namespace, CRASH)
    apply(api, namespace, configmap("api", {"DB_URL": "postgres://db/shop"}))
    api_container = {"name": "api", "image": "shop/api:1.4", "envFrom": [{"configMapRef": {"name": "api"}}]}
    apply(api, namespace, pod_doc("api", [api_container]))
    started = time.monotonic()

    looping = eventually(
        lambda: pod_when(
            api,
            namespace,
            "api",
            lambda p: state(container(p)) == "waiting:CrashLoopBackOff" and container(p)["restartCount"] >= 1,
        ),
        "CrashLoopBackOff",
        timeout=20,
    )
    seconds_to_crash_loop = time.monotonic() - started
    last = container(looping)["lastState"]["terminated"]
    assert (last["exitCode"], last["reason"]) == (1, "Error")
    assert looping["status"]["phase"] == "Running"
    listed = kubectl(cluster.kubeconfig, namespace, "get", "pod", "api").stdout
    assert "CrashLoopBackOff" in listed
    previous = kubectl(cluster.kubeconfig, namespace, "logs", "api", "--previous").stdout
    assert previous.splitlines() == ["api starting", "FATAL: DATABASE_URL is not set"]
    # Current timestamps, as a real runtime writes them: --since filters on them.
    recent = kubectl(cluster.kubeconfig, namespace, "logs", "api", "--since=60s", "--timestamps").stdout
    stamp = datetime.fromisoformat(recent.split()[0].replace("Z", "+00:00")[:26] + "+00:00")
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 60
    described = kubectl(cluster.kubeconfig, namespace, "describe", "pod", "api").stdout
    assert "Back-off restarting failed container api" in described
    eventually(
        lambda: container(pod(api, namespace, "api"))["restartCount"] >= 2 or None,
        "the restart count to climb",
        timeout=20,
    )

    apply(api, namespace, configmap("api", {"DATABASE_URL": "postgres://db/shop"}))
    fixed = time.monotonic()
    # Without a readiness probe a crashing run is Ready for the second it lives: wait for the
    # run that starts with the variable set, which says so in its log.
    logs = eventually(
        lambda: logs_when(cluster, namespace, "connected to", "api"),
        "the pod to start cleanly at its next restart",
        timeout=50,
    )
    seconds_to_recover = time.monotonic() - fixed
    assert logs.splitlines() == ["api starting", "connected to postgres://db/shop", "listening on :8080"]
    time.sleep(2)  # longer than the crashing runs lived
    healthy = pod(api, namespace, "api")
    assert state(container(healthy)) == "running" and condition(healthy, "Ready") == "True"
    assert "FATAL" in kubectl(cluster.kubeconfig, namespace, "logs", "api", "--previous").stdout
    print(
        f"CrashLoopBackOff after {seconds_to_crash_loop:.1f}s; "
        f"healthy {seconds_to_recover:.1f}s after the fix"
    )


def test_an_image_that_does_not_exist_alternates_pull_errors_until_the_tag_is_fixed(
    api: ApiClient, cluster: Cluster, namespace: str
) -> None:
    simulate(api, namespace, {"missingImages": ["nginx:1.27-alpinee"]})
    apply(api, namespace, deployment("web", [{"name": "web", "image": "nginx:1.27-alpinee"}]))
    seen: set[str] = set()

    def both() -> bool | None:
        for p in pods(api, namespace, "app=web"):
            seen.add(state(container(p)))
        return True if {"waiting:ErrImagePull", "waiting:ImagePullBackOff"} <= seen else None

    eventually(both, "ErrImagePull and ImagePullBackOff", timeout=20)
    name = pods(api, namespace, "app=web")[0]["metadata"]["name"]
    assert {"Pulling", "Failed", "BackOff"} <= reasons(api, namespace, name)
    messages = [e["message"] for e in events(api, namespace, name)]
    assert any("nginx:1.27-alpinee: not found" in m for m in messages)
    assert pods(api, namespace, "app=web")[0]["status"]["phase"] == "Pending"

    apply(api, namespace, deployment("web", [{"name": "web", "image": "nginx:1.27-alpine"}]))
    eventually(
        lambda: [p for p in pods(api, namespace, "app=web") if condition(p, "Ready") == "True"] or None,
        "a pod of the fixed image to run",
        timeout=20,
    )


def test_a_missing_configmap_key_is_create_container_config_error_until_the_key_exists(
    api: ApiClient, namespace: str
) -> None:
    env = [{"name": "LEVEL", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "level"}}}]
    apply(api, namespace, configmap("settings", {"mode": "strict"}))
    apply(api, namespace, pod_doc("app", [{"name": "app", "image": "nginx:1.27", "env": env}]))
    stuck = eventually(
        lambda: pod_when(
            api, namespace, "app", lambda p: state(container(p)) == "waiting:CreateContainerConfigError"
        ),
        "CreateContainerConfigError",
        timeout=15,
    )
    message = container(stuck)["state"]["waiting"]["message"]
    assert message == f"couldn't find key level in ConfigMap {namespace}/settings"
    assert stuck["status"]["phase"] == "Pending"
    assert any(e["message"] == f"Error: {message}" for e in events(api, namespace, "app"))

    apply(api, namespace, configmap("settings", {"mode": "strict", "level": "debug"}))
    eventually(
        lambda: condition(pod(api, namespace, "app"), "Ready") == "True" or None,
        "the pod to start once the key exists",
        timeout=15,
    )


def test_a_memory_limit_below_what_the_app_needs_is_oom_killed_until_it_is_raised(
    api: ApiClient, namespace: str
) -> None:
    simulate(api, namespace, {"containers": [{"name": "cache", "memory": "300Mi", "startSeconds": 1}]})
    small = {"name": "cache", "image": "redis:7", "resources": {"limits": {"memory": "128Mi"}}}
    apply(api, namespace, deployment("cache", [small]))
    killed = eventually(
        lambda: next(
            (
                p
                for p in pods(api, namespace, "app=cache")
                if (container(p).get("lastState") or {}).get("terminated")
            ),
            None,
        ),
        "an OOM kill",
        timeout=20,
    )
    last = container(killed)["lastState"]["terminated"]
    assert (last["exitCode"], last["reason"]) == (137, "OOMKilled")

    big = {**small, "resources": {"limits": {"memory": "512Mi"}}}
    apply(api, namespace, deployment("cache", [big]))
    eventually(
        lambda: (
            [
                p
                for p in pods(api, namespace, "app=cache")
                if condition(p, "Ready") == "True" and container(p)["restartCount"] == 0
            ]
            or None
        ),
        "a pod with enough memory to stay up",
        timeout=20,
    )


def test_a_readiness_probe_on_the_wrong_port_never_passes_and_the_service_has_no_ready_endpoint(
    api: ApiClient, namespace: str
) -> None:
    simulate(api, namespace, {"containers": [{"name": "web", "listens": [8080]}]})
    probe = {"httpGet": {"path": "/", "port": 8081}, "periodSeconds": 2}
    web = {"name": "web", "image": "shop/web:2", "ports": [{"containerPort": 8080}], "readinessProbe": probe}
    apply(api, namespace, deployment("web", [web]))
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    apply(api, namespace, service)
    unhealthy = eventually(
        lambda: next(
            (
                e
                for p in pods(api, namespace, "app=web")
                for e in events(api, namespace, p["metadata"]["name"])
                if e["reason"] == "Unhealthy" and e.get("count", 0) >= 2
            ),
            None,
        ),
        "Unhealthy events",
        timeout=20,
    )
    assert "Readiness probe failed" in unhealthy["message"] and ":8081/" in unhealthy["message"]
    (running,) = pods(api, namespace, "app=web")
    assert running["status"]["phase"] == "Running" and condition(running, "Ready") == "False"

    apply(
        api,
        namespace,
        deployment("web", [{**web, "readinessProbe": {**probe, "httpGet": {"path": "/", "port": 8080}}}]),
    )
    eventually(
        lambda: [p for p in pods(api, namespace, "app=web") if condition(p, "Ready") == "True"] or None,
        "a pod whose probe passes",
        timeout=20,
    )


def test_a_liveness_probe_kills_a_slow_starter_and_a_startup_probe_lets_it_start(
    api: ApiClient, namespace: str
) -> None:
    simulate(api, namespace, {"containers": [{"name": "app", "listens": [8080], "startSeconds": 12}]})
    liveness = {
        "httpGet": {"path": "/", "port": 8080},
        "initialDelaySeconds": 2,
        "periodSeconds": 2,
        "failureThreshold": 2,
    }
    apply(
        api, namespace, pod_doc("slow", [{"name": "app", "image": "shop/slow:1", "livenessProbe": liveness}])
    )
    eventually(
        lambda: container(pod(api, namespace, "slow")).get("restartCount") or None,
        "the liveness probe to kill the slow starter",
        timeout=20,
    )
    assert {"Unhealthy", "Killing"} <= reasons(api, namespace, "slow")
    assert container(pod(api, namespace, "slow"))["lastState"]["terminated"]["exitCode"] == 137

    startup = {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 2, "failureThreshold": 15}
    patient = {"name": "app", "image": "shop/slow:1", "livenessProbe": liveness, "startupProbe": startup}
    apply(api, namespace, pod_doc("patient", [patient]))
    eventually(
        lambda: container(pod(api, namespace, "patient")).get("started") or None,
        "the startup probe to pass",
        timeout=25,
    )
    assert container(pod(api, namespace, "patient"))["restartCount"] == 0


def test_a_failing_init_container_holds_the_pod_until_what_it_waits_for_exists(
    api: ApiClient, cluster: Cluster, namespace: str
) -> None:
    simulate(
        api,
        namespace,
        {
            "containers": [
                {
                    "name": "wait-db",
                    "logs": ["db is up"],
                    "failures": [
                        {"unless": {"services": ["db"]}, "exitCode": 1, "logs": ["nc: bad address 'db'"]}
                    ],
                }
            ]
        },
    )
    init = [{"name": "wait-db", "image": "busybox:1.36", "command": ["sh", "-c", "nc -z db 5432"]}]
    apply(api, namespace, pod_doc("app", [{"name": "app", "image": "nginx:1.27"}], initContainers=init))
    eventually(
        lambda: pod_when(
            api,
            namespace,
            "app",
            lambda p: (
                bool(container(p, "wait-db", init=True).get("restartCount"))
                and "Init:" in kubectl(cluster.kubeconfig, namespace, "get", "pod", "app").stdout
            ),
        ),
        "the init container to crash-loop",
        timeout=20,
    )
    eventually(
        lambda: (
            "nc: bad address 'db'"
            in kubectl(cluster.kubeconfig, namespace, "logs", "app", "-c", "wait-db", "--previous").stdout
            or None
        ),
        "the init container's error in its logs",
        timeout=10,
    )
    assert condition(pod(api, namespace, "app"), "Initialized") == "False"

    apply(
        api,
        namespace,
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "db"},
            "spec": {"ports": [{"port": 5432}]},
        },
    )
    eventually(
        lambda: condition(pod(api, namespace, "app"), "Ready") == "True" or None,
        "the pod to start once db exists",
        timeout=50,
    )


def test_job_pods_fail_on_a_wrong_command_and_complete_on_the_right_one(
    api: ApiClient, namespace: str
) -> None:
    simulate(
        api,
        namespace,
        {
            "containers": [
                {
                    "name": "migrate",
                    "failures": [
                        {
                            "unless": {"argvIncludes": ["migrate"]},
                            "exitCode": 1,
                            "logs": ["Unknown command: 'migrat'"],
                        }
                    ],
                }
            ]
        },
    )

    def job(name: str, command: list[str]) -> dict[str, object]:
        template = {
            "spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "migrate", "image": "shop/api:1", "command": command}],
            }
        }
        return {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": name},
            "spec": {"backoffLimit": 0, "template": template},
        }

    def finished(name: str) -> str | None:
        from validators import kube

        body = (
            kube.call(api, "GET", f"/apis/batch/v1/namespaces/{namespace}/jobs/{name}", what="read job") or {}
        )
        done = [
            c["type"] for c in (body.get("status") or {}).get("conditions") or [] if c.get("status") == "True"
        ]
        return "Failed" if "Failed" in done else "Complete" if "Complete" in done else None

    apply(api, namespace, job("wrong", ["python", "manage.py", "migrat"]))
    apply(api, namespace, job("right", ["python", "manage.py", "migrate"]))
    assert eventually(lambda: finished("wrong"), "the wrong Job to fail", timeout=20) == "Failed"
    assert eventually(lambda: finished("right"), "the right Job to complete", timeout=20) == "Complete"


def test_the_scheduler_refuses_what_the_nodes_cannot_take(api: ApiClient, namespace: str) -> None:
    greedy = {"name": "app", "image": "nginx:1.27", "resources": {"requests": {"cpu": "6"}}}
    gpu = {"name": "app", "image": "shop/train:1", "resources": {"limits": {"nvidia.com/gpu": "1"}}}
    apply(
        api,
        namespace,
        pod_doc("greedy", [greedy]),
        pod_doc("gpu", [gpu]),
        pod_doc("nowhere", [{"name": "app", "image": "nginx:1.27"}], nodeSelector={"disktype": "ssd"}),
    )

    def unschedulable(name: str) -> str | None:
        found = pod(api, namespace, name)
        scheduled: dict[str, Any] = next(
            (c for c in found.get("status", {}).get("conditions") or [] if c["type"] == "PodScheduled"), {}
        )
        return scheduled.get("message") if scheduled.get("status") == "False" else None

    assert "Insufficient cpu" in eventually(lambda: unschedulable("greedy"), "greedy to be refused")
    assert "untolerated taint" in eventually(lambda: unschedulable("gpu"), "gpu to be refused")
    assert "didn't match Pod's node affinity/selector" in eventually(
        lambda: unschedulable("nowhere"), "nowhere"
    )

    toleration = [{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]
    apply(api, namespace, pod_doc("gpu-ok", [gpu], tolerations=toleration))
    placed = eventually(
        lambda: pod(api, namespace, "gpu-ok").get("spec", {}).get("nodeName"), "gpu-ok to land"
    )
    assert placed == "kwok-node-4"


def test_nodes_are_the_size_of_small_real_nodes(api: ApiClient) -> None:
    from validators import kube

    nodes = (kube.call(api, "GET", "/api/v1/nodes", what="list nodes") or {}).get("items") or []
    assert len(nodes) >= 4
    for node in nodes:
        cpu = node["status"]["allocatable"]["cpu"]
        assert cpu.endswith("m") and int(cpu[:-1]) <= 8000, json.dumps(node["status"]["allocatable"])
    zones = {n["metadata"]["labels"].get("topology.kubernetes.io/zone") for n in nodes}
    assert len(zones) >= 3
    assert any(n["spec"].get("taints") for n in nodes)
