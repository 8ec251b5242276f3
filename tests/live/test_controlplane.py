"""Proof that the local control plane is a real one: controllers, admission and authorization run.

Pod and Service IPs here are data only: nothing connects to them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from tests.fixtures.cluster import Cluster, eventually

pytestmark = pytest.mark.live


@pytest.fixture
def api(cluster: Cluster) -> Iterator[client.ApiClient]:
    with cluster.api_client() as api_client:
        yield api_client


def deployment(name: str, replicas: int) -> client.V1Deployment:
    labels = {"app": name}
    return client.V1Deployment.model_validate(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "containers": [
                            {"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}
                        ]
                    },
                },
            },
        }
    )


def service(name: str, selector: dict[str, str]) -> client.V1Service:
    return client.V1Service.model_validate(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name},
            "spec": {"selector": selector, "ports": [{"port": 80, "targetPort": 80}]},
        }
    )


def endpoint_slices(api: client.ApiClient, namespace: str, service_name: str) -> list[client.V1EndpointSlice]:
    return (
        client.DiscoveryV1Api(api)
        .list_namespaced_endpoint_slice(
            namespace, label_selector=f"kubernetes.io/service-name={service_name}"
        )
        .items
    )


def ready_endpoint_ips(slices: list[client.V1EndpointSlice]) -> set[str]:
    return {
        address
        for s in slices
        for endpoint in s.endpoints or []
        if endpoint.conditions and endpoint.conditions.ready
        for address in endpoint.addresses
    }


def test_a_deployment_gets_ready_pods_with_ips_and_its_service_gets_their_endpoints(
    api: client.ApiClient, namespace: str
) -> None:
    client.AppsV1Api(api).create_namespaced_deployment(namespace, deployment("web", replicas=3))
    client.CoreV1Api(api).create_namespaced_service(namespace, service("web", {"app": "web"}))

    def ready_pods() -> list[client.V1Pod] | None:
        pods = client.CoreV1Api(api).list_namespaced_pod(namespace, label_selector="app=web").items
        ready = [
            p
            for p in pods
            if p.status
            and p.status.phase == "Running"
            and p.status.pod_ip
            and any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or [])
        ]
        return ready if len(ready) == 3 else None

    pods = eventually(ready_pods, "3 Running and Ready pods with IPs")
    pod_ips = {p.status.pod_ip for p in pods if p.status}
    assert len(pod_ips) == 3

    def three_endpoints() -> set[str] | None:
        ips = ready_endpoint_ips(endpoint_slices(api, namespace, "web"))
        return ips if len(ips) == 3 else None

    assert eventually(three_endpoints, "3 ready endpoints in the Service's EndpointSlices") == pod_ips


def test_a_service_whose_selector_matches_nothing_has_no_endpoints(
    api: client.ApiClient, namespace: str
) -> None:
    client.AppsV1Api(api).create_namespaced_deployment(namespace, deployment("web", replicas=1))
    client.CoreV1Api(api).create_namespaced_service(namespace, service("nobody", {"app": "nobody"}))

    # The EndpointSlice controller writes an empty slice for a selector that
    # matches nothing; waiting for it proves the controller has looked.
    slices = eventually(
        lambda: endpoint_slices(api, namespace, "nobody") or None, "the Service's EndpointSlice"
    )
    assert all(not s.endpoints for s in slices)


def test_server_side_apply_of_the_same_manifest_twice_changes_nothing(
    api: client.ApiClient, namespace: str
) -> None:
    manifest: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings", "labels": {"tier": "web"}},
        "data": {"mode": "strict", "replicas": "3"},
    }

    def apply() -> client.V1ConfigMap:
        return client.CoreV1Api(api).patch_namespaced_config_map(
            "settings",
            namespace,
            manifest,
            field_manager="breakfix-tests",
            force=True,
            _content_type="application/apply-patch+yaml",
        )

    first = apply()
    second = apply()

    assert first.metadata and second.metadata
    assert second.metadata.resource_version == first.metadata.resource_version
    assert second.data == {"mode": "strict", "replicas": "3"}


def test_a_validating_admission_policy_rejects_a_forbidden_update_with_its_message(
    api: client.ApiClient, namespace: str
) -> None:
    admission = client.AdmissionregistrationV1Api(api)
    core = client.CoreV1Api(api)
    message = "breakfix guard: the data of this ConfigMap is read-only"
    # Policies are cluster-wide: name them after the namespace and bind them to it alone.
    policy = client.V1ValidatingAdmissionPolicy.model_validate(
        {
            "metadata": {"name": f"{namespace}-read-only"},
            "spec": {
                "failurePolicy": "Fail",
                "matchConstraints": {
                    "resourceRules": [
                        {
                            "apiGroups": [""],
                            "apiVersions": ["v1"],
                            "operations": ["UPDATE"],
                            "resources": ["configmaps"],
                        }
                    ]
                },
                "validations": [{"expression": "object.data == oldObject.data", "message": message}],
            },
        }
    )
    binding = client.V1ValidatingAdmissionPolicyBinding.model_validate(
        {
            "metadata": {"name": f"{namespace}-read-only"},
            "spec": {
                "policyName": f"{namespace}-read-only",
                "validationActions": ["Deny"],
                "matchResources": {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}
                },
            },
        }
    )
    core.create_namespaced_config_map(
        namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="settings"), data={"mode": "strict"})
    )
    admission.create_validating_admission_policy(policy)
    admission.create_validating_admission_policy_binding(binding)
    try:
        attempt = 0

        def denial() -> client.ApiException | None:
            # The apiserver picks new policies up from an informer, so the first
            # updates may still pass; each try writes a new value.
            nonlocal attempt
            attempt += 1
            try:
                core.patch_namespaced_config_map("settings", namespace, {"data": {"mode": f"open-{attempt}"}})
            except client.ApiException as exc:
                return exc
            return None

        refused = eventually(denial, "the policy to refuse an update")
        assert refused.status == 422
        assert message in (refused.body or "")

        # The policy is precise: an update that leaves the data alone still passes.
        core.patch_namespaced_config_map("settings", namespace, {"metadata": {"labels": {"touched": "yes"}}})
    finally:
        admission.delete_validating_admission_policy_binding(f"{namespace}-read-only")
        admission.delete_validating_admission_policy(f"{namespace}-read-only")


def test_a_network_policy_round_trips(api: client.ApiClient, namespace: str) -> None:
    spec = {
        "podSelector": {"matchLabels": {"app": "payments"}},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [{"podSelector": {"matchLabels": {"app": "frontend"}}}],
                "ports": [{"protocol": "TCP", "port": 8443}],
            }
        ],
    }
    networking = client.NetworkingV1Api(api)
    networking.create_namespaced_network_policy(
        namespace,
        client.V1NetworkPolicy.model_validate({"metadata": {"name": "payments-from-frontend"}, "spec": spec}),
    )

    stored = networking.read_namespaced_network_policy("payments-from-frontend", namespace)

    assert api.sanitize_for_serialization(stored.spec) == spec


def test_a_subject_access_review_answers_for_a_service_account_bound_to_a_role(
    api: client.ApiClient, namespace: str
) -> None:
    core, rbac = client.CoreV1Api(api), client.RbacAuthorizationV1Api(api)
    core.create_namespaced_service_account(
        namespace, client.V1ServiceAccount(metadata=client.V1ObjectMeta(name="reader"))
    )
    rbac.create_namespaced_role(
        namespace,
        client.V1Role.model_validate(
            {
                "metadata": {"name": "pod-reader"},
                "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}],
            }
        ),
    )
    rbac.create_namespaced_role_binding(
        namespace,
        client.V1RoleBinding.model_validate(
            {
                "metadata": {"name": "reader-reads-pods"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"},
                "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": namespace}],
            }
        ),
    )

    def review(verb: str, resource: str) -> client.V1SubjectAccessReviewStatus:
        answer = client.AuthorizationV1Api(api).create_subject_access_review(
            client.V1SubjectAccessReview.model_validate(
                {
                    "spec": {
                        "user": f"system:serviceaccount:{namespace}:reader",
                        "groups": ["system:serviceaccounts", f"system:serviceaccounts:{namespace}"],
                        "resourceAttributes": {"namespace": namespace, "verb": verb, "resource": resource},
                    }
                }
            )
        )
        assert answer.status is not None
        return answer.status

    # The RBAC authorizer reads bindings from an informer: allow it a moment.
    eventually(lambda: True if review("list", "pods").allowed else None, "RBAC to allow list pods")
    assert review("delete", "pods").allowed is False
    assert review("get", "secrets").allowed is False
