"""What the real API server refuses is a permanent error with its own message, never a retry; and
what would reach past an attempt's namespace is never sent at all.

Content stored before the loader refused such things (an older ChallengeVersion) must still fail
a Start at once, with the reason, instead of retrying for minutes.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User

from challenges import failures
from challenges.backends import NamespaceBackend
from challenges.kube import apply_documents
from challenges.models import Attempt, Challenge, ChallengeVersion, Status
from challenges.services import provisioning
from tests.fixtures.cluster import Cluster
from validators.errors import ObjectInvalid
from validators.kube import Resource, call

pytestmark = pytest.mark.live

PRIORITY_CLASSES = Resource("scheduling.k8s.io/v1", "priorityclasses", namespaced=False)


def deployment(**spec: Any) -> dict[str, Any]:
    labels = {"app": "web"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]},
            },
            **spec,
        },
    }


def priority_class(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": name},
        "value": 1,
    }


def test_an_unknown_field_is_refused_for_good_with_the_apis_words(cluster: Cluster, namespace: str) -> None:
    with cluster.api_client() as api, pytest.raises(ObjectInvalid) as refused:
        apply_documents(api, namespace, [deployment(replicaz=2)])
    assert refused.value.status == 500 and not refused.value.temporary
    assert "Could not apply Deployment web: failed to create typed patch object" in str(refused.value)
    assert ".spec.replicaz: field not declared in schema" in str(refused.value)


def test_a_string_where_a_number_belongs_is_refused_for_good(cluster: Cluster, namespace: str) -> None:
    with cluster.api_client() as api, pytest.raises(ObjectInvalid) as refused:
        apply_documents(api, namespace, [deployment(replicas="two")])
    assert "expected numeric" in str(refused.value)


def test_an_unknown_kind_is_refused_for_good(cluster: Cluster, namespace: str) -> None:
    broken = {**deployment(), "kind": "Deploymnet"}
    with cluster.api_client() as api, pytest.raises(ObjectInvalid, match="has no kind Deploymnet in apps/v1"):
        apply_documents(api, namespace, [broken])


def test_a_cluster_scoped_object_is_not_sent_for_a_namespace(cluster: Cluster, namespace: str) -> None:
    name = f"bf-test-{secrets.token_hex(3)}"
    with cluster.api_client() as api:
        with pytest.raises(ObjectInvalid, match=f"PriorityClass {name} is cluster-scoped"):
            apply_documents(api, namespace, [priority_class(name)])
        assert call(api, "GET", PRIORITY_CLASSES.item(name), what="read", missing_ok=True) is None


@pytest.fixture
def backend(cluster: Cluster, settings: Any) -> Iterator[NamespaceBackend]:
    prefix = f"bft{secrets.token_hex(3)}"
    settings.BREAKFIX_BACKEND = "namespace"
    settings.BREAKFIX_ENVIRONMENT_PREFIX = prefix
    settings.BREAKFIX_KUBECONFIG = str(cluster.kubeconfig)
    made = NamespaceBackend(prefix=prefix, kubeconfig=cluster.kubeconfig)
    try:
        yield made
    finally:
        for environment in made.list_environments():
            made.destroy(environment)


def _attempt_of(manifests: list[dict[str, Any]]) -> Attempt:
    """An attempt of content stored before the loader refused it."""
    challenge = Challenge.objects.create(
        slug=f"old-{secrets.token_hex(3)}",
        title="Old content",
        theme="networking",
        difficulty="easy",
        type="fix",
        estimated_minutes=5,
        description="Stored before the loader checked it.",
        initial_situation="Whatever it was.",
        content_hash="0" * 64,
    )
    definition = {
        "challenge": {"objectives": []},
        "manifests": [{"file": "01.yaml", "text": "", "documents": manifests}],
        "guards": [],
        "solution": [],
    }
    version = ChallengeVersion.objects.create(
        challenge=challenge, content_hash="0" * 64, definition=definition
    )
    learner = User.objects.create_user(f"learner-{secrets.token_hex(3)}")
    return Attempt.objects.create(learner=learner, challenge=challenge, version=version, backend="namespace")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("manifest", "reason"),
    [
        (deployment(replicaz=2), "field not declared in schema"),
        (priority_class(f"bf-test-{secrets.token_hex(3)}"), "is cluster-scoped"),
    ],
    ids=["an unknown field", "a cluster-scoped object"],
)
def test_a_start_of_content_the_cluster_refuses_fails_at_once_with_the_reason(
    backend: NamespaceBackend, manifest: dict[str, Any], reason: str
) -> None:
    attempt = _attempt_of([manifest])
    provisioning.attempt_provision(attempt=attempt)  # a permanent error: no exception for the task to retry
    attempt.refresh_from_db()
    assert attempt.status == Status.FAILED
    # The learner reads that the challenge is at fault; staff read what the cluster said.
    assert attempt.error == failures.REFUSED
    assert reason in attempt.error_detail
    assert "did not answer" not in attempt.error_detail


def test_a_binding_that_only_looks_like_a_guard_copy_is_not_sent(cluster: Cluster, namespace: str) -> None:
    from challenges.kube.apply import GUARD_NAMESPACE, MANAGED_BY

    name = f"bf-test-{secrets.token_hex(3)}"
    binding = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": name, "labels": {MANAGED_BY: "breakfix", GUARD_NAMESPACE: namespace}},
        "spec": {"policyName": f"anything.{namespace}", "validationActions": ["Deny"]},  # every namespace
    }
    with cluster.api_client() as api, pytest.raises(ObjectInvalid, match="is cluster-scoped"):
        apply_documents(api, namespace, [binding])
