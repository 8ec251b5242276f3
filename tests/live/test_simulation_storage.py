"""The local control plane's storage: the default StorageClass, its simulated provisioner, the
real PV controller and scheduler. Claims bind, refuse and are cleaned up as on a real cluster."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes.client import ApiClient

from tests.fixtures.cluster import Cluster, eventually
from tests.live.simulated import apply, condition, pod, pod_doc
from validators.kube import call

pytestmark = pytest.mark.live

Obj = dict[str, Any]


@pytest.fixture
def api(cluster: Cluster) -> Iterator[ApiClient]:
    with cluster.api_client() as client:
        yield client


def claim(name: str, *, modes: tuple[str, ...] = ("ReadWriteOnce",), **spec: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name},
        "spec": {"accessModes": list(modes), "resources": {"requests": {"storage": "1Gi"}}, **spec},
    }


def user(name: str, claim_name: str) -> Obj:
    return pod_doc(
        name,
        [{"name": "app", "image": "busybox:1.36", "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
        volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": claim_name}}],
    )


def kept(value: Obj, ok: bool) -> Obj | None:
    return value if ok else None


def read(api: ApiClient, path: str) -> Obj | None:
    return call(api, "GET", path, what=f"read {path}", missing_ok=True)


def claim_of(api: ApiClient, namespace: str, name: str) -> Obj:
    return read(api, f"/api/v1/namespaces/{namespace}/persistentvolumeclaims/{name}") or {}


def reasons(api: ApiClient, namespace: str, kind: str, name: str) -> dict[str, str]:
    found = read(api, f"/api/v1/namespaces/{namespace}/events") or {}
    return {
        str(e.get("reason")): str(e.get("message"))
        for e in found.get("items") or []
        if (e.get("involvedObject") or {}).get("kind") == kind and e["involvedObject"].get("name") == name
    }


def test_the_default_class_is_the_platforms_and_waits_for_a_consumer(api: ApiClient) -> None:
    standard = read(api, "/apis/storage.k8s.io/v1/storageclasses/standard") or {}
    assert standard["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    assert standard["volumeBindingMode"] == "WaitForFirstConsumer"
    assert standard["provisioner"] == "simulation.breakfix.dev/local-volume"


def test_a_claim_binds_to_a_volume_made_on_the_node_of_its_first_pod(api: ApiClient, namespace: str) -> None:
    apply(api, namespace, claim("data"))
    # No class named: the DefaultStorageClass admission plugin gives it the default.
    assert claim_of(api, namespace, "data")["spec"]["storageClassName"] == "standard"
    eventually(
        lambda: "WaitForFirstConsumer" in reasons(api, namespace, "PersistentVolumeClaim", "data") or None,
        "the claim to wait for its first consumer",
    )
    assert claim_of(api, namespace, "data")["status"]["phase"] == "Pending"
    apply(api, namespace, user("reader", "data"))
    bound = eventually(
        lambda: kept(c := claim_of(api, namespace, "data"), c["status"].get("phase") == "Bound"),
        "the claim to bind",
    )
    volume = read(api, f"/api/v1/persistentvolumes/{bound['spec']['volumeName']}") or {}
    assert volume["spec"]["claimRef"]["uid"] == bound["metadata"]["uid"]
    assert volume["spec"]["capacity"] == {"storage": "1Gi"}
    running = eventually(
        lambda: kept(p := pod(api, namespace, "reader"), condition(p, "Ready") == "True"),
        "the pod to run",
    )
    (term,) = volume["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"]
    assert term["matchExpressions"][0]["values"] == [running["spec"]["nodeName"]]
    events = reasons(api, namespace, "PersistentVolumeClaim", "data")
    assert {"ExternalProvisioning", "Provisioning", "ProvisioningSucceeded"} <= set(events)

    # The claim's end is the volume's: the provisioner deletes what its reclaim policy says to.
    call(api, "DELETE", f"/api/v1/namespaces/{namespace}/pods/reader", what="delete the pod")
    call(api, "DELETE", f"/api/v1/namespaces/{namespace}/persistentvolumeclaims/data", what="delete")
    path = f"/api/v1/persistentvolumes/{volume['metadata']['name']}"
    eventually(lambda: True if read(api, path) is None else None, "the released volume to go", timeout=60)


def test_a_claim_of_a_class_that_does_not_exist_keeps_its_pod_unschedulable(
    api: ApiClient, namespace: str
) -> None:
    apply(api, namespace, claim("fast", storageClassName="fast-ssd"), user("waiter", "fast"))
    pending = eventually(
        lambda: kept(p := pod(api, namespace, "waiter"), condition(p, "PodScheduled") == "False"),
        "the scheduler to refuse the pod",
    )
    scheduled = next(c for c in pending["status"]["conditions"] if c["type"] == "PodScheduled")
    assert "pod has unbound immediate PersistentVolumeClaims" in scheduled["message"]
    events = eventually(
        lambda: (
            e
            if "ProvisioningFailed" in (e := reasons(api, namespace, "PersistentVolumeClaim", "fast"))
            else None
        ),
        "the PV controller to say why",
    )
    assert events["ProvisioningFailed"] == 'storageclass.storage.k8s.io "fast-ssd" not found'


def test_an_access_mode_local_volumes_cannot_offer_is_refused(api: ApiClient, namespace: str) -> None:
    apply(api, namespace, claim("shared", modes=("ReadWriteMany",)), user("sharer", "shared"))
    events = eventually(
        lambda: (
            e
            if "ProvisioningFailed" in (e := reasons(api, namespace, "PersistentVolumeClaim", "shared"))
            else None
        ),
        "the provisioner to refuse the claim",
    )
    assert "not ReadWriteMany" in events["ProvisioningFailed"]
    assert claim_of(api, namespace, "shared")["status"]["phase"] == "Pending"
    assert not pod(api, namespace, "sharer")["spec"].get("nodeName")
