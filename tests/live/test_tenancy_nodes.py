"""A namespace environment's learner reads the cluster's nodes, and nothing more outside the namespace.

The ClusterRoleBinding that allows it is made with the environment, removed with it, and found
by the reaper when an environment was lost without its teardown.
"""

from __future__ import annotations

import pytest
from kubernetes.client import ApiClient

from challenges.backends.nodereader import BINDINGS, CLUSTER_ROLE, binding_name
from tests.fixtures.cluster import Cluster
from tests.live.tenant import read, send, tenant_environment
from validators.kube import call

pytestmark = pytest.mark.live
MERGE = "application/merge-patch+json"


def review(api: ApiClient, namespace: str, verb: str, resource: str, subresource: str = "") -> bool:
    attributes = {"verb": verb, "resource": resource, "group": ""}
    if subresource:
        attributes["subresource"] = subresource
    body = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {"user": f"system:serviceaccount:{namespace}:learner", "resourceAttributes": attributes},
    }
    path = "/apis/authorization.k8s.io/v1/subjectaccessreviews"
    answer = call(api, "POST", path, what="review", body=body)
    return bool(((answer or {}).get("status") or {}).get("allowed"))


def test_the_learner_reads_nodes_and_nothing_more_beyond_the_namespace(cluster: Cluster) -> None:
    with tenant_environment(cluster) as tenant:
        learner, ns = tenant.learner, tenant.namespace
        nodes = read(learner, "/api/v1/nodes")
        names = {item["metadata"]["name"] for item in nodes["items"]}
        assert "kwok-node-4" in names
        gpu = read(learner, "/api/v1/nodes/kwok-node-4")
        assert gpu["spec"]["taints"] == [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]
        status, _ = send(learner, "GET", "/api/v1/nodes", None)
        assert status == 200
        for verb in ("get", "list", "watch"):
            assert review(tenant.api, ns, verb, "nodes")
        # Nothing that changes a node, reaches its kubelet or reads more of the cluster.
        for verb, resource, subresource in [
            ("patch", "nodes", ""),
            ("update", "nodes", "status"),
            ("delete", "nodes", ""),
            ("create", "nodes", ""),
            ("get", "nodes", "proxy"),
            ("list", "persistentvolumes", ""),
            ("list", "namespaces", ""),
            ("list", "pods", ""),  # all namespaces' pods: the node reader grants no pods
        ]:
            assert not review(tenant.api, ns, verb, resource, subresource), (verb, resource, subresource)
        status, _ = send(
            learner,
            "PATCH",
            "/api/v1/nodes/kwok-node-0",
            {"metadata": {"labels": {"x": "y"}}},
            content_type=MERGE,
        )
        assert status == 403
        assert send(learner, "GET", "/api/v1/nodes/kwok-node-0/proxy/pods", None)[0] == 403
        assert send(learner, "GET", "/api/v1/persistentvolumes", None)[0] == 403
        assert send(learner, "GET", "/apis/storage.k8s.io/v1/storageclasses", None)[0] == 403
        # The binding names the learner of this namespace only; the role is the platform's one.
        bound = read(tenant.api, f"{BINDINGS}/{binding_name(ns)}")
        assert bound["roleRef"]["name"] == CLUSTER_ROLE
        assert bound["subjects"] == [{"kind": "ServiceAccount", "name": "learner", "namespace": ns}]
        role = read(tenant.api, f"/apis/rbac.authorization.k8s.io/v1/clusterroles/{CLUSTER_ROLE}")
        assert role["rules"] == [
            {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]}
        ]
        # A learner cannot bind the node reader (or anything) for someone else.
        steal = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "steal"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": CLUSTER_ROLE},
            "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": ns}],
        }
        assert send(learner, "POST", BINDINGS, steal)[0] == 403

        tenant.backend.destroy(tenant.backend.environment_name(1))
        status, _ = send(tenant.api, "GET", f"{BINDINGS}/{binding_name(ns)}", None)
        assert status == 404


def test_a_binding_left_behind_is_found_by_the_reaper_and_removed(cluster: Cluster) -> None:
    with tenant_environment(cluster) as tenant:
        environment = tenant.backend.environment_name(1)
        # The namespace went without its teardown (deleted by hand): the binding stays behind.
        send(tenant.api, "DELETE", f"/api/v1/namespaces/{tenant.namespace}", None)
        assert environment in tenant.backend.list_environments()
        tenant.backend.destroy(environment)
        assert send(tenant.api, "GET", f"{BINDINGS}/{binding_name(tenant.namespace)}", None)[0] == 404
