"""Two fixes that server-side apply cannot make, done as kubectl does them.

- `replace_documents`: an object whose fields are immutable (a Job's pod template, a
  RoleBinding's roleRef) is fixed by deleting it and creating it anew: `kubectl replace --force`.
- `job_from_cronjob`: a CronJob proves itself by running once now: `kubectl create job NAME
  --from=cronjob/CRONJOB`, a Job the CronJob owns, made from its jobTemplate.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from kubernetes.client import ApiClient

from challenges.kube.apply import FIELD_MANAGER, apply_documents, delete_documents
from challenges.kube.discovery import Discovery
from validators.kube import Obj, Resource, call

JOBS = Resource("batch/v1", "jobs")
CRONJOBS = Resource("batch/v1", "cronjobs")
# The annotation kubectl puts on a Job it made from a CronJob.
INSTANTIATE = "cronjob.kubernetes.io/instantiate"
# Deleting a Job goes through its pods' finalizers; a few seconds here, never long.
GONE_SECONDS = 60.0


def replace_documents(
    api_client: ApiClient,
    namespace: str,
    documents: Iterable[Mapping[str, Any]],
    field_manager: str = FIELD_MANAGER,
    *,
    cluster_scoped: bool = False,
    timeout: float = GONE_SECONDS,
) -> list[Obj]:
    """Delete each object (when it exists), wait until it is gone, then apply it; return what was stored."""
    discovery = Discovery(api_client)
    stored: list[Obj] = []
    for document in documents:
        delete_documents(api_client, namespace, [document], wait=True, timeout=timeout, discovery=discovery)
        stored += apply_documents(
            api_client,
            namespace,
            [document],
            field_manager,
            cluster_scoped=cluster_scoped,
            discovery=discovery,
        )
    return stored


def job_from_cronjob(api_client: ApiClient, namespace: str, cronjob: str, *, name: str | None = None) -> Obj:
    """Create a Job from the CronJob's jobTemplate, owned by it, as kubectl create job --from does."""
    found = call(api_client, "GET", CRONJOBS.item(cronjob, namespace), what=f"read CronJob {cronjob}")
    assert found is not None
    template = copy.deepcopy((found.get("spec") or {}).get("jobTemplate") or {})
    meta = template.get("metadata") or {}
    job_name = name or f"{cronjob[:45]}-manual-{secrets.token_hex(3)}"
    body: Obj = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": job_name,
            "annotations": {**(meta.get("annotations") or {}), INSTANTIATE: "manual"},
            "labels": dict(meta.get("labels") or {}),
            # Like kubectl, without blockOwnerDeletion: that would need rights on cronjobs/finalizers.
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "name": cronjob,
                    "uid": found["metadata"]["uid"],
                    "controller": True,
                }
            ],
        },
        "spec": template.get("spec") or {},
    }
    created = call(
        api_client,
        "POST",
        JOBS.collection(namespace),
        what=f"create Job {job_name} from CronJob {cronjob}",
        body=body,
    )
    return created or {}
