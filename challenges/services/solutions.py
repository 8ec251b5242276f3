"""A challenge's reference solution, applied as its author wrote it.

Most objects of solution/ are applied. One with the `breakfix.dev/solution` annotation is what
server-side apply cannot do alone: `delete` it, `replace` it (a Job's pod template is immutable:
delete it and create it anew, as `kubectl replace --force`), or `run` a CronJob once (as
`kubectl create job --from=cronjob/NAME`), which is how a schedule proves itself now.
"""

from __future__ import annotations

import copy
from typing import Any

from kubernetes.client import ApiClient

from challenges.kube.apply import apply_documents, delete_documents
from challenges.kube.recreate import job_from_cronjob, replace_documents
from challenges.loader import SOLUTION_ACTION


def _solution_action(document: dict[str, Any]) -> str:
    annotations = (document.get("metadata") or {}).get("annotations") or {}
    return str(annotations.get(SOLUTION_ACTION) or "apply")


def _without_action(document: dict[str, Any]) -> dict[str, Any]:
    """The object as the fix leaves it: the action is an instruction to us, not part of it."""
    body = copy.deepcopy(document)
    annotations = body["metadata"].get("annotations") or {}
    annotations.pop(SOLUTION_ACTION, None)
    if not annotations:
        body["metadata"].pop("annotations", None)
    return body


def apply_solution(
    api_client: ApiClient, namespace: str, documents: list[dict[str, Any]], *, cluster_scoped: bool
) -> int:
    """In file order: apply, or replace (delete and create anew); then deletions; then CronJob runs."""
    count = 0
    for document in documents:
        action = _solution_action(document)
        if action == "apply":
            count += len(apply_documents(api_client, namespace, [document], cluster_scoped=cluster_scoped))
        elif action == "replace":
            count += len(
                replace_documents(
                    api_client, namespace, [_without_action(document)], cluster_scoped=cluster_scoped
                )
            )
        elif action == "run":
            body = _without_action(document)
            count += len(apply_documents(api_client, namespace, [body], cluster_scoped=cluster_scoped))
    removed = [doc for doc in documents if _solution_action(doc) == "delete"]
    count += delete_documents(api_client, namespace, removed)
    for document in documents:
        if _solution_action(document) == "run":
            job_from_cronjob(api_client, namespace, str(document["metadata"]["name"]))
            count += 1
    return count
