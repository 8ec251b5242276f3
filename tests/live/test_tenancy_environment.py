"""A tenant environment as the namespace backend makes it: its egress policy, its quota, and the
launch challenges still proven in it, with the learner's own credentials and the platform's
egress policy left out of the verdicts."""

from __future__ import annotations

import json
import time

import pytest
from django.conf import settings

import validators
from challenges.backends.base import INSTALLATION_LABEL
from challenges.kube import apply_documents, apply_guards
from challenges.services import authoring
from tests.fixtures.cluster import Cluster
from tests.live.tenant import Tenant, read, tenant_environment

pytestmark = pytest.mark.live

LAUNCH_CHALLENGES = ("expose-internally", "wrong-selector", "partial-outage")


@pytest.fixture
def tenant(cluster: Cluster) -> object:
    with tenant_environment(cluster) as environment:
        yield environment


def test_the_egress_policy_keeps_pods_to_their_namespace_and_cluster_dns(tenant: Tenant) -> None:
    path = tenant.path("networking.k8s.io/v1", "networkpolicies", "breakfix-egress")
    policy = read(tenant.learner, path)  # the learner may read it, and is told what it is
    spec = policy["spec"]
    assert spec["podSelector"] == {} and spec["policyTypes"] == ["Egress"]
    assert spec["egress"] == [
        {"to": [{"podSelector": {}}]},
        {
            "to": [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                }
            ],
            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
        },
    ]
    # No address block at all: the metadata services (169.254.169.254, fd00:ec2::254) and the
    # internet are never allowed.
    assert "ipBlock" not in json.dumps(spec)
    description = policy["metadata"]["annotations"]["kubernetes.io/description"]
    assert "only to pods of this namespace and to the cluster DNS" in description
    assert "You cannot change or delete it" in description
    assert "the challenge's checks do not count it" in description


def test_the_quota_counts_objects_and_disk_and_defaults_give_every_container_some(tenant: Tenant) -> None:
    hard = read(tenant.api, tenant.path("v1", "resourcequotas", "breakfix"))["spec"]["hard"]
    for resource in (
        "secrets",
        "configmaps",
        "services",
        "persistentvolumeclaims",
        "requests.ephemeral-storage",
        "limits.ephemeral-storage",
    ):
        assert resource in hard, resource
    (limits,) = read(tenant.api, tenant.path("v1", "limitranges", "breakfix"))["spec"]["limits"]
    assert "ephemeral-storage" in limits["default"] and "ephemeral-storage" in limits["defaultRequest"]


def check(
    tenant: Tenant, challenge: authoring.LoadedChallenge, *, hide: bool = True
) -> list[validators.ObjectiveResult]:
    """The checks as an attempt's check run makes them (hide=False: without leaving anything out)."""
    environment = tenant.backend.environment_name(1)
    if hide:
        view = tenant.backend.namespace_view(tenant.api, environment)
    else:
        view = validators.NamespaceView(tenant.api, tenant.namespace)
    return validators.run_check(authoring.objectives_of(challenge), view)


def settle(
    tenant: Tenant, challenge: authoring.LoadedChallenge, *, passed: bool
) -> list[validators.ObjectiveResult]:
    deadline = time.monotonic() + 30
    while True:
        results = check(tenant, challenge)
        if all(r.passed == passed for r in results) or time.monotonic() > deadline:
            return results
        time.sleep(0.5)


@pytest.mark.parametrize("slug", LAUNCH_CHALLENGES)
def test_a_launch_challenge_is_proven_in_a_tenant_namespace_with_the_learners_credentials(
    tenant: Tenant, slug: str
) -> None:
    challenge = authoring.challenge_load(content_dir=settings.BREAKFIX_CONTENT_DIR, slug=slug)
    documents = {
        folder: [d for f in challenge.definition[folder] for d in f["documents"]]
        for folder in ("manifests", "guards", "solution")
    }
    # As provisioning does it: the broken state and the guards, with the platform's credentials.
    apply_documents(tenant.api, tenant.namespace, documents["manifests"])
    apply_guards(
        tenant.api, tenant.namespace, documents["guards"], labels={INSTALLATION_LABEL: tenant.backend.prefix}
    )
    deadline = time.monotonic() + 60
    while not authoring.workloads_ready(
        api_client=tenant.api, challenge=challenge, namespace=tenant.namespace
    ):
        assert time.monotonic() < deadline, "the broken state's workloads never became ready under the quota"
        time.sleep(0.3)

    broken = settle(tenant, challenge, passed=False)
    messages = {o.key: o.failure_message for o in challenge.spec.objectives}
    for result in broken:
        assert not result.passed, result
        assert result.message.startswith(messages[result.key].rstrip(".")), result.message

    # The learner applies the reference fix with their own token: the tenancy policies let it through.
    apply_documents(tenant.learner, tenant.namespace, documents["solution"], field_manager="kubectl")
    solved = settle(tenant, challenge, passed=True)
    assert all(r.passed for r in solved), {r.key: r.message for r in solved}

    for result in solved:
        # A reachability verdict names the policies it weighed, for each path it checked.
        for path in [result.details, *result.details.get("paths", [])]:
            assert "breakfix-egress" not in path.get("policies", []), result.details
    if slug == "partial-outage":
        # Left in, the platform's policy would be weighed: the view's filter is what keeps it out.
        unfiltered = {r.key: r for r in check(tenant, challenge, hide=False)}
        weighed = unfiltered["payments-stays-private"].details["paths"][0]["policies"]
        assert "breakfix-egress" in weighed, unfiltered["payments-stays-private"].details


def test_the_view_leaves_out_the_platforms_policy_but_shows_the_learners(tenant: Tenant) -> None:
    mine = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "deny-egress"},
        "spec": {"podSelector": {}, "policyTypes": ["Egress"]},
    }
    apply_documents(tenant.learner, tenant.namespace, [mine], field_manager="kubectl")
    view = tenant.backend.namespace_view(tenant.api, tenant.backend.environment_name(1))
    assert [p["metadata"]["name"] for p in view.network_policies()] == ["deny-egress"]
    assert view.get("NetworkPolicy", "breakfix-egress") is None
    assert view.get("NetworkPolicy", "deny-egress") is not None
