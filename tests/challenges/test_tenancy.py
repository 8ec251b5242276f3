"""The tenancy documents of the namespace backend, read without a cluster (tests/live/ tries them)."""

from __future__ import annotations

import pytest

from challenges.backends import KindBackend, NamespaceBackend
from challenges.backends.namespace import LEARNER_RULES, QUOTA
from challenges.backends.tenancy import PROTECTED_LABEL, policy_texts, tenancy_policies
from challenges.kube.finalizers import is_kubernetes_finalizer


def test_every_policy_matches_only_namespaced_requests_of_a_namespace_service_account() -> None:
    for policy in policy_texts():
        spec = policy["spec"]
        assert spec["failurePolicy"] == "Fail"
        # A cluster-scoped request has no namespace: matched, its condition would err and
        # failurePolicy Fail would refuse it (the API server's own IPAddress objects, say).
        assert all(rule["scope"] == "Namespaced" for rule in spec["matchConstraints"]["resourceRules"])
        (condition,) = spec["matchConditions"]
        assert condition["expression"].startswith("has(request.namespace) && ")
        assert "'system:serviceaccount:' + request.namespace + ':'" in condition["expression"]
        for validation in spec["validations"]:
            assert validation["message"].strip(), policy["metadata"]["name"]


def test_each_installation_gets_its_own_copies_bound_to_its_own_namespaces() -> None:
    documents = tenancy_policies("school-a")
    policies = [d for d in documents if d["kind"] == "ValidatingAdmissionPolicy"]
    bindings = {
        d["metadata"]["name"]: d for d in documents if d["kind"] == "ValidatingAdmissionPolicyBinding"
    }
    assert len(policies) == len(bindings) == 10
    for policy in policies:
        name = policy["metadata"]["name"]
        assert name.startswith("breakfix-tenant-") and name.endswith(".school-a")
        binding = bindings[name]["spec"]
        assert binding["policyName"] == name
        assert binding["validationActions"] == ["Deny"]
        assert binding["matchResources"]["namespaceSelector"] == {
            "matchLabels": {
                "app.kubernetes.io/managed-by": "breakfix",
                "breakfix.dev/installation": "school-a",
            }
        }
    assert {d["metadata"]["name"] for d in tenancy_policies("school-b")}.isdisjoint(bindings)


def test_everything_the_platform_puts_in_a_namespace_is_protected() -> None:
    backend = NamespaceBackend(prefix="school", kubeconfig="/nonexistent")
    documents = backend.access_documents("school-1")
    kinds = {(d["kind"], d["metadata"]["name"]) for d in documents}
    assert ("NetworkPolicy", "breakfix-egress") in kinds
    assert ("NetworkPolicy", "breakfix-egress") in backend.platform_objects()
    assert all(d["metadata"]["labels"][PROTECTED_LABEL] == "true" for d in documents)


@pytest.mark.parametrize(
    ("group", "resource"),
    [("", "endpoints"), ("discovery.k8s.io", "endpointslices")],
)
def test_the_learner_may_only_read(group: str, resource: str) -> None:
    verbs = {
        verb
        for rule in LEARNER_RULES
        if group in rule["apiGroups"] and resource in rule["resources"]
        for verb in rule["verbs"]
    }
    assert verbs == {"get", "list", "watch"}


def test_the_quota_counts_objects_and_disk() -> None:
    for resource in ("secrets", "configmaps", "services", "persistentvolumeclaims"):
        assert int(QUOTA[resource]) > 0
    assert "requests.ephemeral-storage" in QUOTA and "limits.ephemeral-storage" in QUOTA


@pytest.mark.parametrize(
    ("finalizer", "kubernetes"),
    [
        ("foregroundDeletion", True),
        ("orphan", True),
        ("kubernetes.io/pvc-protection", True),
        ("batch.kubernetes.io/job-tracking", True),
        ("service.kubernetes.io/load-balancer-cleanup", True),
        ("example.com/hold", False),
        ("notkubernetes.io/hold", False),
        ("hold", False),
    ],
)
def test_it_tells_kubernetes_own_finalizers_from_others(finalizer: str, kubernetes: bool) -> None:
    assert is_kubernetes_finalizer(finalizer) is kubernetes


def test_the_kind_backend_leaves_nothing_out_of_the_checks() -> None:
    # There the learner is cluster-admin: a hidden object would be theirs to forge a pass with.
    backend = KindBackend(prefix="kind-school", kind="kind", wait_seconds=1, internal=False)
    assert backend.platform_objects() == set()
