"""A challenge's `simulation:` section, copied into a cluster that simulates its pods.

On the local control plane no container runs: the simulation controller (the `simulation`
package) plays what a kubelet would report, and a challenge says what its applications do in
a `Simulation` object. Like guards, that object is cluster-scoped (a learner cannot read or
change it), named after the attempt's namespace and labelled with it, so teardown and the
reaper find it; it is also owned by the Namespace, so the garbage collector removes it with
the namespace whatever else happens. A cluster without the simulation layer (kind, a real
cluster) runs the real containers of the manifests instead, and gets no copy.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from kubernetes.client import ApiClient

from challenges.kube.apply import APPLY_PATCH, FIELD_MANAGER, GUARD_NAMESPACE, MANAGED_BY
from validators.errors import ClusterUnavailable, ObjectInvalid
from validators.kube import Obj, Resource, call, group_version_path, request

GROUP_VERSION = "simulation.breakfix.dev/v1alpha1"
SIMULATIONS = Resource(GROUP_VERSION, "simulations", namespaced=False)
NAMESPACES = Resource("v1", "namespaces", namespaced=False)
# The controller acknowledges a new simulation within milliseconds; the workloads must not
# start before it has, or their first pods would run without it.
ACK_SECONDS = 15.0


def simulation_served(api_client: ApiClient) -> bool:
    """Whether this cluster simulates its pods (the local control plane) or runs them (kind, real)."""
    path = group_version_path(GROUP_VERSION)
    body = call(api_client, "GET", path, what="discover the simulation API", missing_ok=True)
    return body is not None


def simulation_object(
    namespace: str, spec: Mapping[str, Any], *, namespace_uid: str, labels: Mapping[str, str] | None = None
) -> Obj:
    return {
        "apiVersion": GROUP_VERSION,
        "kind": "Simulation",
        "metadata": {
            "name": namespace,
            "labels": {**(labels or {}), MANAGED_BY: FIELD_MANAGER, GUARD_NAMESPACE: namespace},
            "ownerReferences": [
                {"apiVersion": "v1", "kind": "Namespace", "name": namespace, "uid": namespace_uid}
            ],
        },
        "spec": {**dict(spec), "namespace": namespace},
    }


def apply_simulation(
    api_client: ApiClient,
    namespace: str,
    spec: Mapping[str, Any] | None,
    *,
    labels: Mapping[str, str] | None = None,
) -> bool:
    """Copy the simulation into the cluster when it simulates pods, and wait until it is taken in.

    Returns whether a copy was made: False for a challenge without a `simulation:` section, or a
    cluster that runs real containers. Idempotent.
    """
    if not spec or not simulation_served(api_client):
        return False
    found = call(api_client, "GET", NAMESPACES.item(namespace), what=f"read namespace {namespace}")
    uid = str(((found or {}).get("metadata") or {}).get("uid") or "")
    if not uid:
        raise ObjectInvalid(f"The namespace {namespace} has no uid to own its simulation.")
    document = simulation_object(namespace, spec, namespace_uid=uid, labels=labels)
    applied = call(
        api_client,
        "PATCH",
        SIMULATIONS.item(namespace),
        what=f"apply the simulation of {namespace}",
        query=[("fieldManager", FIELD_MANAGER), ("force", "true")],
        body=document,
        content_type=APPLY_PATCH,
    )
    generation = int(((applied or {}).get("metadata") or {}).get("generation") or 1)
    deadline = time.monotonic() + ACK_SECONDS
    while True:
        current = (
            call(
                api_client,
                "GET",
                SIMULATIONS.item(namespace),
                what=f"read the simulation of {namespace}",
                missing_ok=True,
            )
            or {}
        )
        status = current.get("status") or {}
        if int(status.get("observedGeneration") or 0) >= generation:
            if status.get("problem"):
                raise ObjectInvalid(f"The simulation of this challenge is invalid: {status['problem']}")
            return True
        if time.monotonic() > deadline:
            raise ClusterUnavailable(
                "The local control plane's simulation controller did not take the challenge in: "
                "is it running? (`make cluster-up` starts it again.)"
            )
        time.sleep(0.05)


def delete_simulations(api_client: ApiClient, namespace: str) -> None:
    """Delete the simulation copied for `namespace`. Idempotent; nothing to do where none are served."""
    selector = f"{MANAGED_BY}={FIELD_MANAGER},{GUARD_NAMESPACE}={namespace}"
    what = f"delete the simulation of {namespace}"
    answer = request(
        api_client, "DELETE", SIMULATIONS.collection(), what=what, query=[("labelSelector", selector)]
    )
    if not (answer.ok or answer.status == 404):
        raise answer.error(what)


def simulated_namespaces(api_client: ApiClient, *, labels: Mapping[str, str] | None = None) -> set[str]:
    """The namespaces that simulation copies (carrying `labels`) describe, whether they exist or not."""
    selector = ",".join(
        [f"{MANAGED_BY}={FIELD_MANAGER}", GUARD_NAMESPACE, *(f"{k}={v}" for k, v in (labels or {}).items())]
    )
    query = [("labelSelector", selector)]
    listed = call(
        api_client, "GET", SIMULATIONS.collection(), what="list simulations", query=query, missing_ok=True
    )
    items = (listed or {}).get("items") or []
    return {
        str(value)
        for item in items
        if (value := ((item.get("metadata") or {}).get("labels") or {}).get(GUARD_NAMESPACE))
    }
