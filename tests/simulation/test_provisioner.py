"""The simulated provisioner of the platform's StorageClass decides as an external provisioner does."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from simulation.provisioner import (
    PROVISIONER,
    SELECTED_NODE,
    STORAGE_PROVISIONER,
    Provisioner,
    reclaimable,
    refusal,
    volume_for,
    wants_us,
)

Obj = dict[str, Any]

STANDARD: Obj = {
    "metadata": {"name": "standard"},
    "provisioner": PROVISIONER,
    "reclaimPolicy": "Delete",
    "volumeBindingMode": "WaitForFirstConsumer",
}
NODE: Obj = {"metadata": {"name": "kwok-node-2", "labels": {"kubernetes.io/hostname": "kwok-node-2"}}}


def claim(
    *, modes: tuple[str, ...] = ("ReadWriteOnce",), node: str | None = "kwok-node-2", **spec: Any
) -> Obj:
    annotations = {STORAGE_PROVISIONER: PROVISIONER}
    if node:
        annotations[SELECTED_NODE] = node
    return {
        "metadata": {
            "name": "data",
            "namespace": "shop",
            "uid": "1234",
            "resourceVersion": "77",
            "annotations": annotations,
        },
        "spec": {
            "storageClassName": "standard",
            "accessModes": list(modes),
            "resources": {"requests": {"storage": "2Gi"}},
            **spec,
        },
    }


def test_it_provisions_a_claim_of_its_class_once_the_scheduler_chose_a_node() -> None:
    assert wants_us(claim(), STANDARD)
    assert not wants_us(claim(node=None), STANDARD)
    immediate = {**STANDARD, "volumeBindingMode": "Immediate"}
    assert wants_us(claim(node=None), immediate)


def test_it_leaves_claims_of_other_classes_bound_claims_and_unmarked_claims_alone() -> None:
    assert not wants_us(claim(), None)
    assert not wants_us(claim(), {**STANDARD, "provisioner": "ebs.csi.aws.com"})
    assert not wants_us(claim(volumeName="pv-1"), STANDARD)
    unmarked = claim()
    del unmarked["metadata"]["annotations"][STORAGE_PROVISIONER]
    assert not wants_us(unmarked, STANDARD)
    deleting = claim()
    deleting["metadata"]["deletionTimestamp"] = "2026-12-01T12:00:00Z"
    assert not wants_us(deleting, STANDARD)


def test_the_volume_has_the_claims_size_and_modes_lives_on_the_chosen_node_and_is_pre_bound() -> None:
    volume = volume_for(claim(), STANDARD, NODE)
    assert volume["metadata"] == {
        "name": "pvc-1234",
        "annotations": {"pv.kubernetes.io/provisioned-by": PROVISIONER},
    }
    spec = volume["spec"]
    assert spec["capacity"] == {"storage": "2Gi"}
    assert spec["accessModes"] == ["ReadWriteOnce"]
    assert spec["storageClassName"] == "standard"
    assert spec["persistentVolumeReclaimPolicy"] == "Delete"
    assert spec["claimRef"] == {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "namespace": "shop",
        "name": "data",
        "uid": "1234",
        "resourceVersion": "77",
    }
    (term,) = spec["nodeAffinity"]["required"]["nodeSelectorTerms"]
    assert term["matchExpressions"] == [
        {"key": "kubernetes.io/hostname", "operator": "In", "values": ["kwok-node-2"]}
    ]


@pytest.mark.parametrize(
    ("changed", "fragment"),
    [
        ({"modes": ("ReadWriteMany",)}, "not ReadWriteMany"),
        ({"modes": ("ReadWriteOnce", "ReadOnlyMany")}, "not ReadOnlyMany"),
        ({"modes": ()}, "names no access mode"),
        ({"dataSource": {"kind": "PersistentVolumeClaim", "name": "old"}}, "cannot be cloned"),
    ],
)
def test_it_refuses_what_local_volumes_cannot_give(changed: Obj, fragment: str) -> None:
    why = refusal(claim(**changed), STANDARD)
    assert why is not None and why.startswith('failed to provision volume with StorageClass "standard"')
    assert fragment in why
    assert refusal(claim(modes=("ReadWriteOncePod",)), STANDARD) is None


def test_only_its_own_released_volumes_with_a_delete_policy_are_reclaimed() -> None:
    ours = volume_for(claim(), STANDARD, NODE)
    released = {**ours, "status": {"phase": "Released"}}
    assert reclaimable(released)
    assert not reclaimable({**ours, "status": {"phase": "Bound"}})
    kept = copy.deepcopy(released)
    kept["spec"]["persistentVolumeReclaimPolicy"] = "Retain"
    assert not reclaimable(kept)
    theirs = copy.deepcopy(released)
    theirs["metadata"]["annotations"] = {"pv.kubernetes.io/provisioned-by": "ebs.csi.aws.com"}
    assert not reclaimable(theirs)


class RecordingKube:
    def __init__(self, answers: dict[tuple[str, str], int] | None = None) -> None:
        self.sent: list[tuple[str, str, Obj | None]] = []
        self.answers = answers or {}

    def request(self, method: str, path: str, *, body: Obj | None = None, **_: Any) -> tuple[int, Obj]:
        self.sent.append((method, path, body))
        return self.answers.get((method, path), 201 if method == "POST" else 200), {}


def reasons(kube: RecordingKube) -> list[str]:
    return [str(body["reason"]) for method, path, body in kube.sent if path.endswith("/events") and body]


def test_a_sync_creates_the_volume_with_events_and_does_not_repeat_before_the_watch_shows_it() -> None:
    kube = RecordingKube()
    provisioner = Provisioner(kube)  # type: ignore[arg-type]
    classes, nodes = {"standard": STANDARD}, {"kwok-node-2": NODE}
    provisioner.sync([claim()], {}, classes, nodes)
    provisioner.sync([claim()], {}, classes, nodes)
    created = [body for method, path, body in kube.sent if path == "/api/v1/persistentvolumes"]
    assert len(created) == 1 and created[0] is not None and created[0]["metadata"]["name"] == "pvc-1234"
    assert reasons(kube) == ["Provisioning", "ProvisioningSucceeded"]


def test_a_refused_claim_is_reported_once_and_handed_back_to_the_scheduler() -> None:
    kube = RecordingKube()
    provisioner = Provisioner(kube)  # type: ignore[arg-type]
    shared = claim(modes=("ReadWriteMany",))
    provisioner.sync([shared], {}, {"standard": STANDARD}, {"kwok-node-2": NODE})
    provisioner.sync([shared], {}, {"standard": STANDARD}, {"kwok-node-2": NODE})
    assert reasons(kube) == ["ProvisioningFailed"]
    patches = [body for method, _, body in kube.sent if method == "PATCH"]
    assert patches == [{"metadata": {"annotations": {SELECTED_NODE: None}}}] * 2
    assert not [path for _, path, _ in kube.sent if path == "/api/v1/persistentvolumes"]


def test_a_released_volume_is_deleted() -> None:
    kube = RecordingKube()
    released = {**volume_for(claim(), STANDARD, NODE), "status": {"phase": "Released"}}
    Provisioner(kube).sync([], {"pvc-1234": released}, {"standard": STANDARD}, {})  # type: ignore[arg-type]
    assert ("DELETE", "/api/v1/persistentvolumes/pvc-1234", None) in kube.sent
