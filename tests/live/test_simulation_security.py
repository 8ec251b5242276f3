"""Nothing of the simulation can be read, changed or used by a learner to run anything.

kwok runs the command of an Exec (Attach, PortForward) rule as a process on its host: no such
kind exists, so `kubectl exec` in a learner's namespace is refused and runs nothing. Stages,
Logs and Simulations are cluster-scoped or outside the learner's Role.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client import ApiClient

from challenges.backends import NamespaceBackend
from challenges.kube import apply_documents
from tests.fixtures.cluster import Cluster, eventually
from tests.live.simulated import apply, condition, container, kubectl, pod, pod_doc, simulate
from validators import kube

pytestmark = pytest.mark.live

RUNS_COMMANDS = ("Exec", "ClusterExec", "Attach", "ClusterAttach", "PortForward", "ClusterPortForward")


@pytest.fixture
def api(cluster: Cluster) -> Iterator[ApiClient]:
    with cluster.api_client() as client:
        yield client


@pytest.fixture
def learner(api: ApiClient, cluster: Cluster, namespace: str, tmp_path: Path) -> Path:
    """The kubeconfig of the namespace's learner, with the Role every attempt gives it."""
    backend = NamespaceBackend(prefix="bf-sim", kubeconfig=cluster.kubeconfig)
    apply_documents(api, namespace, backend.access_documents(namespace))
    path = tmp_path / "learner.kubeconfig"
    path.write_text(backend.learner_kubeconfig(namespace, seconds=600))
    return path


def test_no_kind_that_runs_commands_on_the_host_is_served(api: ApiClient) -> None:
    found = kube.call(api, "GET", "/apis/kwok.x-k8s.io/v1alpha1", what="discover kwok") or {}
    kinds = {resource.get("kind") for resource in found.get("resources") or []}
    assert kinds == {"Stage", "Logs"}
    crds = (
        kube.call(api, "GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", what="list CRDs")
        or {}
    )
    served = {item["spec"]["names"]["kind"] for item in crds.get("items") or []}
    assert not served & set(RUNS_COMMANDS)


def test_the_kwok_configuration_holds_no_rule_that_runs_commands(cluster: Cluster) -> None:
    # kwok.yaml beside the cluster's kubeconfig, where `up` (kwokctl) keeps it.
    name = cluster.kubeconfig.parent.name
    config = cluster.kubeconfig.parents[2] / "kwok" / "clusters" / name / "kwok.yaml"
    if not config.is_file():
        pytest.skip(f"{config} is not here: the cluster was not made by platform/controlplane/up")
    documents = list(yaml.safe_load_all(config.read_text()))
    assert not [d for d in documents if d and d.get("kind") in RUNS_COMMANDS]
    kwok = next(
        c
        for d in documents
        if d and d.get("kind") == "KwokctlConfiguration"
        for c in d.get("components") or []
        if c.get("name") == "kwok-controller"
    )
    assert "--enable-crds=Stage,Logs" in kwok["args"]


def test_kubectl_exec_in_a_learner_namespace_is_refused_and_runs_nothing(
    api: ApiClient, learner: Path, namespace: str
) -> None:
    apply(api, namespace, pod_doc("web", [{"name": "web", "image": "nginx:1.27"}]))
    eventually(lambda: condition(pod(api, namespace, "web"), "Ready") == "True" or None, "the pod to run")
    marker = Path("/tmp") / f"breakfix-exec-{secrets.token_hex(6)}"
    done = kubectl(learner, namespace, "exec", "web", "--", "touch", str(marker), check=False)
    assert done.returncode != 0
    assert "no exec found" in done.stderr
    assert not marker.exists(), "kubectl exec ran a command on the host"
    attached = kubectl(learner, namespace, "attach", "web", check=False)
    assert attached.returncode != 0


def test_a_learner_can_neither_read_nor_change_the_simulation(
    api: ApiClient, learner: Path, namespace: str
) -> None:
    simulate(api, namespace, {"containers": [{"name": "web", "listens": [8080]}]})
    for resource in ("simulations.simulation.breakfix.dev", "stages.kwok.x-k8s.io", "logs.kwok.x-k8s.io"):
        listed = kubectl(learner, namespace, "get", resource, check=False)
        assert listed.returncode != 0 and "Forbidden" in listed.stderr, (resource, listed.stderr)
    removed = kubectl(learner, namespace, "delete", "simulation", namespace, check=False)
    assert removed.returncode != 0 and "Forbidden" in removed.stderr
    # A Logs object names a file on the kwok host for kwok to serve: a learner may not make one.
    logs = {
        "apiVersion": "kwok.x-k8s.io/v1alpha1",
        "kind": "Logs",
        "metadata": {"name": "web"},
        "spec": {"logs": [{"logsFile": "/etc/passwd"}]},
    }
    path = learner.parent / "logs.yaml"
    path.write_text(yaml.safe_dump(logs))
    created = kubectl(learner, namespace, "create", "-f", str(path), check=False)
    assert created.returncode != 0 and "Forbidden" in created.stderr


def test_a_simulated_pod_carries_nothing_that_gives_the_simulation_away(
    api: ApiClient, namespace: str
) -> None:
    simulate(
        api,
        namespace,
        {
            "containers": [
                {
                    "name": "web",
                    "failures": [{"unless": {"env": ["TOKEN"]}, "exitCode": 1, "logs": ["no token"]}],
                }
            ]
        },
    )
    apply(api, namespace, pod_doc("web", [{"name": "web", "image": "nginx:1.27"}]))

    def crashed_once() -> dict[str, Any] | None:
        found = pod(api, namespace, "web")
        return found if container(found).get("restartCount") else None

    crashed = eventually(crashed_once, "the pod to crash", timeout=20)
    meta: dict[str, Any] = crashed["metadata"]
    assert not meta.get("annotations") and set(meta.get("labels") or {}) == {"app"}
    assert "simulation" not in yaml.safe_dump(crashed).lower()
