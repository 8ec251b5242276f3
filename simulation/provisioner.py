"""The provisioner of the platform's StorageClass, doing what a CSI external-provisioner does.

No storage driver runs on the local control plane. Kubernetes' own PV controller (in
kube-controller-manager) handles claims as on any cluster: it finds the class, marks a claim
of an external provisioner's class with `volume.kubernetes.io/storage-provisioner`, and binds
a claim to the volume made for it. The scheduler picks the node of a `WaitForFirstConsumer`
claim and writes it into `volume.kubernetes.io/selected-node`. What is left is the
provisioner's part, played here:

- a claim of our class, marked for us, unbound, with its node chosen (for WaitForFirstConsumer)
  gets a PersistentVolume `pvc-<claim uid>` of the size and access modes it asks for, on that
  node, pre-bound to it by `claimRef`, with Provisioning / ProvisioningSucceeded events;
- a claim asking for what the class cannot give (an access mode local volumes do not offer) is
  refused with a ProvisioningFailed event, and its selected node is released so the scheduler
  tries again, as a provisioner does after a final error;
- a volume we made whose claim is gone (Released) and whose reclaim policy is Delete is deleted.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import urllib3

from simulation.kube import Kube

Obj = dict[str, Any]
logger = logging.getLogger(__name__)

PROVISIONER = "simulation.breakfix.dev/local-volume"
STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner"
SELECTED_NODE = "volume.kubernetes.io/selected-node"
PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
ACCESS_MODES = ("ReadWriteOnce", "ReadWriteOncePod")
VOLUME_ROOT = "/var/lib/breakfix/volumes"


def _meta(obj: Obj) -> Obj:
    return obj.get("metadata") or {}


def volume_name(claim: Obj) -> str:
    # The name every external provisioner gives: the claim's uid, so a retry finds its volume.
    return f"pvc-{_meta(claim).get('uid')}"


def wants_us(claim: Obj, storage_class: Obj | None) -> bool:
    """Whether this claim is ours to provision now (the external provisioner's shouldProvision)."""
    meta, spec = _meta(claim), claim.get("spec") or {}
    annotations = meta.get("annotations") or {}
    if meta.get("deletionTimestamp") or spec.get("volumeName"):
        return False
    if PROVISIONER not in (annotations.get(STORAGE_PROVISIONER), annotations.get(BETA_STORAGE_PROVISIONER)):
        return False
    if storage_class is None or storage_class.get("provisioner") != PROVISIONER:
        return False
    if storage_class.get("volumeBindingMode") == "WaitForFirstConsumer":
        return bool(annotations.get(SELECTED_NODE))
    return True


def refusal(claim: Obj, storage_class: Obj) -> str | None:
    """Why the class cannot give this claim a volume, in the words of a ProvisioningFailed event."""
    spec = claim.get("spec") or {}
    modes = [str(mode) for mode in spec.get("accessModes") or []]
    unsupported = [mode for mode in modes if mode not in ACCESS_MODES]
    failed = f'failed to provision volume with StorageClass "{_meta(storage_class).get("name")}"'
    if not modes:
        return f"{failed}: the claim names no access mode"
    if unsupported:
        return (
            f"{failed}: local volumes support only {' and '.join(ACCESS_MODES)} access modes, "
            f"not {', '.join(unsupported)}"
        )
    if spec.get("dataSource") or spec.get("dataSourceRef"):
        return f"{failed}: volumes of this class cannot be cloned from a data source"
    if not ((spec.get("resources") or {}).get("requests") or {}).get("storage"):
        return f"{failed}: the claim requests no storage size"
    return None


def volume_for(claim: Obj, storage_class: Obj, node: Obj | None) -> Obj:
    """The PersistentVolume for a claim this class can serve, on `node` when there is one."""
    meta, spec = _meta(claim), claim.get("spec") or {}
    name = volume_name(claim)
    volume_spec: Obj = {
        "capacity": {"storage": spec["resources"]["requests"]["storage"]},
        "accessModes": list(spec.get("accessModes") or []),
        "persistentVolumeReclaimPolicy": storage_class.get("reclaimPolicy") or "Delete",
        "storageClassName": _meta(storage_class).get("name"),
        "volumeMode": spec.get("volumeMode") or "Filesystem",
        "claimRef": {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "namespace": meta.get("namespace"),
            "name": meta.get("name"),
            "uid": meta.get("uid"),
            "resourceVersion": meta.get("resourceVersion"),
        },
        "hostPath": {"path": f"{VOLUME_ROOT}/{name}", "type": "DirectoryOrCreate"},
    }
    if storage_class.get("mountOptions"):
        volume_spec["mountOptions"] = list(storage_class["mountOptions"])
    if node is not None:
        hostname = (_meta(node).get("labels") or {}).get("kubernetes.io/hostname") or _meta(node).get("name")
        # A local volume lives on one node: only pods there can use it.
        volume_spec["nodeAffinity"] = {
            "required": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [
                            {"key": "kubernetes.io/hostname", "operator": "In", "values": [hostname]}
                        ]
                    }
                ]
            }
        }
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name, "annotations": {PROVISIONED_BY: PROVISIONER}},
        "spec": volume_spec,
    }


def reclaimable(volume: Obj) -> bool:
    """A volume we made, released by its claim, that its reclaim policy says to delete."""
    meta = _meta(volume)
    return (
        (meta.get("annotations") or {}).get(PROVISIONED_BY) == PROVISIONER
        and not meta.get("deletionTimestamp")
        and (volume.get("status") or {}).get("phase") == "Released"
        and (volume.get("spec") or {}).get("persistentVolumeReclaimPolicy", "Delete") == "Delete"
    )


@dataclass
class Provisioner:
    kube: Kube
    identity: str = field(default_factory=lambda: f"{PROVISIONER}_{socket.gethostname()}")
    refused: dict[str, str] = field(default_factory=dict)  # claim uid → the refusal last reported
    # Volumes created and not yet seen by the watch: a sync before their event must not retry.
    made: set[str] = field(default_factory=set)

    def sync(
        self, claims: list[Obj], volumes: dict[str, Obj], classes: dict[str, Obj], nodes: dict[str, Obj]
    ) -> None:
        """Provision what is ours to provision, delete what is ours to delete. Idempotent."""
        live = {str(_meta(claim).get("uid")) for claim in claims}
        self.refused = {uid: why for uid, why in self.refused.items() if uid in live}
        self.made = {name for name in self.made if name.removeprefix("pvc-") in live and name not in volumes}
        for claim in claims:
            class_name = str((claim.get("spec") or {}).get("storageClassName") or "")
            storage_class = classes.get(class_name)
            name = volume_name(claim)
            if not wants_us(claim, storage_class) or name in volumes or name in self.made:
                continue
            assert storage_class is not None
            try:
                self._provision(claim, storage_class, nodes)
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                logger.warning("claim %s/%s not provisioned: %s", *self._key(claim), exc)
        for volume in volumes.values():
            if reclaimable(volume):
                name = str(_meta(volume).get("name"))
                try:
                    code, answer = self.kube.request("DELETE", f"/api/v1/persistentvolumes/{name}")
                except (urllib3.exceptions.HTTPError, OSError) as exc:
                    logger.warning("released volume %s not deleted: %s", name, exc)
                    continue
                if code not in (200, 202, 404):
                    logger.warning(
                        "released volume %s not deleted: HTTP %s %s", name, code, answer.get("message")
                    )

    @staticmethod
    def _key(claim: Obj) -> tuple[str, str]:
        return str(_meta(claim).get("namespace")), str(_meta(claim).get("name"))

    def _provision(self, claim: Obj, storage_class: Obj, nodes: dict[str, Obj]) -> None:
        uid = str(_meta(claim).get("uid"))
        selected = str((_meta(claim).get("annotations") or {}).get(SELECTED_NODE) or "")
        why = refusal(claim, storage_class)
        if why is not None:
            if self.refused.get(uid) != why:
                self.refused[uid] = why
                self._event(claim, "ProvisioningFailed", why, "Warning")
            if selected:
                self._release_node(claim)
            return
        node = nodes.get(selected) if selected else None
        if selected and node is None:
            return  # the node is not known yet: its watch event brings the claim back
        namespace, name = self._key(claim)
        self._event(
            claim,
            "Provisioning",
            f'External provisioner is provisioning volume for claim "{namespace}/{name}"',
        )
        volume = volume_for(claim, storage_class, node)
        code, answer = self.kube.request("POST", "/api/v1/persistentvolumes", body=volume)
        if code in (201, 409):
            self.made.add(volume["metadata"]["name"])
            self.refused.pop(uid, None)
            message = f"Successfully provisioned volume {volume['metadata']['name']}"
            self._event(claim, "ProvisioningSucceeded", message)
        else:
            why = f"failed to create volume {volume['metadata']['name']}: HTTP {code} {answer.get('message')}"
            logger.warning("claim %s/%s: %s", namespace, name, why)
            self._event(claim, "ProvisioningFailed", why, "Warning")

    def _release_node(self, claim: Obj) -> None:
        """Give the scheduler the claim back, so the pod is scheduled (and refused) again."""
        namespace, name = self._key(claim)
        patch = {"metadata": {"annotations": {SELECTED_NODE: None}}}
        self.kube.request(
            "PATCH",
            f"/api/v1/namespaces/{namespace}/persistentvolumeclaims/{name}",
            body=patch,
            content_type="application/merge-patch+json",
        )

    def _event(self, claim: Obj, reason: str, message: str, kind: str = "Normal") -> None:
        meta = _meta(claim)
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        stamp = int(datetime.now(UTC).timestamp() * 1e9)
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{meta.get('name')}.{stamp:x}", "namespace": meta.get("namespace")},
            "involvedObject": {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "name": meta.get("name"),
                "namespace": meta.get("namespace"),
                "uid": meta.get("uid"),
                "resourceVersion": meta.get("resourceVersion"),
            },
            "reason": reason,
            "message": message,
            "type": kind,
            "source": {"component": self.identity},
            "reportingComponent": self.identity,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
        }
        path = f"/api/v1/namespaces/{meta.get('namespace')}/events"
        code, answer = self.kube.request("POST", path, body=body)
        if not 200 <= code < 300 and code != 403:  # a namespace on its way out refuses events
            logger.warning(
                "event %s about claim %s not recorded: HTTP %s %s",
                reason,
                meta.get("name"),
                code,
                answer.get("message"),
            )
