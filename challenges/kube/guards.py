"""Guards applied to one namespace, and in force before anyone is told they are there.

kube-apiserver reads ValidatingAdmissionPolicies and their bindings through informers and
compiles the set it enforces at most once a second (policyRefreshInterval in k8s.io/apiserver's
policy source), later still on a busy machine. A learner who acts in that moment is admitted:
a shortcut taken then (a new image, a deleted Deployment) stays taken, and no guard refuses the
state afterwards, because the state no longer changes. So an environment is not called ready
until its guards are enforced.

The proof is a probe: one more policy and binding, applied after the guards, refusing a dry-run
create of one ConfigMap. Each kind's informer delivers objects in the order they were written,
and every refresh compiles all that the informers hold: once the probe refuses, the guards
written before it are enforced too. Every probe has a name of its own: a refusal by an earlier
one, deleted but still compiled, would prove nothing. It is deleted again (teardown finds it by
its labels should that not happen).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from kubernetes.client import ApiClient

from challenges.kube.apply import ADMISSION, BINDING, GUARD_RESOURCES, POLICY, apply_documents, scope_guards
from validators.errors import ClusterUnavailable
from validators.kube import call, request, status_message

Obj = dict[str, Any]
PROBE = "breakfix-guards-in-force"
# A quiet API server enforces new policies within a second; a loaded one within a few.
ENFORCE_SECONDS = 30.0
POLL_SECONDS = 0.2


def _probe_documents(name: str) -> list[Obj]:
    policy = {
        "apiVersion": ADMISSION,
        "kind": POLICY,
        "metadata": {"name": name},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {
                "resourceRules": [
                    {
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "resources": ["configmaps"],
                        "operations": ["CREATE"],
                    }
                ]
            },
            # Only the probe's own dry run: nothing is ever refused that would be stored.
            "matchConditions": [
                {"name": "the-probe", "expression": f"request.dryRun && object.metadata.name == '{name}'"}
            ],
            "validations": [{"expression": "false", "message": _refusal(name)}],
        },
    }
    binding = {
        "apiVersion": ADMISSION,
        "kind": BINDING,
        "metadata": {"name": name},
        "spec": {"policyName": name, "validationActions": ["Deny"]},
    }
    return [policy, binding]


def _refusal(name: str) -> str:
    return f"Probe {name}: the guards applied before it are in force."


def apply_guards(
    api_client: ApiClient,
    namespace: str,
    documents: Iterable[Mapping[str, Any]],
    *,
    labels: Mapping[str, str] | None = None,
    timeout: float = ENFORCE_SECONDS,
) -> list[Obj]:
    """Scope the guards to `namespace`, apply them and return once the API server enforces them.

    Idempotent. Raises ClusterUnavailable when they are not enforced within `timeout`.
    """
    guards = scope_guards(documents, namespace, labels=labels)
    if not guards:
        return []
    applied = apply_documents(api_client, namespace, guards)
    name = f"{PROBE}-{secrets.token_hex(4)}"
    probe = scope_guards(_probe_documents(name), namespace, labels=labels)
    try:
        apply_documents(api_client, namespace, probe)
        _wait_until_refused(api_client, namespace, name, timeout)
    finally:
        for document in reversed(probe):  # the binding first: a policy without one is inert
            call(
                api_client,
                "DELETE",
                GUARD_RESOURCES[str(document["kind"])].item(str(document["metadata"]["name"])),
                what="delete the guards' probe",
                missing_ok=True,
            )
    return applied


def _wait_until_refused(api_client: ApiClient, namespace: str, name: str, timeout: float) -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}
    path = f"/api/v1/namespaces/{quote(namespace, safe='')}/configmaps"
    deadline = time.monotonic() + timeout
    while True:
        status, data = request(
            api_client,
            "POST",
            path,
            what="probe the guards",
            query=[("dryRun", "All")],
            body=body,
        )
        if status >= 400 and _refusal(name) in status_message(data):
            return
        if time.monotonic() > deadline:
            raise ClusterUnavailable(
                f"The API server did not enforce the guards of {namespace} within {timeout:.0f}s "
                "(it is probably overloaded): try again in a minute."
            )
        time.sleep(POLL_SECONDS)
