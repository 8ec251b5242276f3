"""Teardown never leaves a namespace Terminating, whatever finalizers its objects carry.

Finalizers here are put on by the platform's credentials: the learner can no longer add one the
platform does not know (test_tenancy_policies), but objects from before the policies, or from a
challenge's own starting state, may carry them, and the learner may keep one an object has.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from challenges import tasks
from challenges.models import Attempt, Status
from challenges.services import attempts as services
from challenges.services import checks
from tests.fixtures.cluster import Cluster, eventually
from tests.fixtures.worker import Workers
from tests.live.lifecycle import Lifecycle, lifecycle_world, namespace_state, wait_for_check, wait_for_status
from tests.live.tenant import Obj, Tenant, send, tenant_environment

pytestmark = pytest.mark.live
MERGE = "application/merge-patch+json"


def held(name: str, *finalizers: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "finalizers": list(finalizers)},
    }


def hold(api: Any, namespace: str, name: str, *finalizers: str) -> None:
    status, message = send(api, "POST", f"/api/v1/namespaces/{namespace}/configmaps", held(name, *finalizers))
    assert status == 201, message


@pytest.fixture
def crd(cluster: Cluster) -> Iterator[str]:
    """A custom resource type of this test's own (group and all): finalizers can hide there too."""
    group = f"t{secrets.token_hex(3)}.test.breakfix.dev"
    name = f"holds.{group}"
    body = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": name},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "holds", "singular": "hold", "kind": "Hold"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                    },
                }
            ],
        },
    }
    crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    with cluster.api_client() as api:
        status, message = send(api, "POST", crds, body)
        assert status == 201, message
        try:
            yield group
        finally:
            send(api, "DELETE", f"{crds}/{name}")


def gone(api: Any, namespace: str) -> None:
    eventually(
        lambda: True if namespace_state(api, namespace) == "gone" else None,
        f"namespace {namespace} to go",
        timeout=60,
    )


@pytest.fixture
def tenant_crd(cluster: Cluster, crd: str) -> Iterator[tuple[Tenant, str]]:
    with tenant_environment(cluster) as tenant:
        yield tenant, crd


def test_destroy_releases_finalizers_nobody_would_remove_in_every_type(
    tenant_crd: tuple[Tenant, str],
) -> None:
    tenant, group = tenant_crd
    ns = tenant.namespace
    hold(tenant.api, ns, "learner-hold", "example.com/hold")
    # The learner may keep a finalizer the object has: an allowed way for one to stay.
    path = f"/api/v1/namespaces/{ns}/configmaps/learner-hold"
    assert send(tenant.learner, "PATCH", path, {"data": {"kept": "yes"}}, content_type=MERGE)[0] == 200
    custom = {
        "apiVersion": f"{group}/v1",
        "kind": "Hold",
        "metadata": {"name": "custom", "finalizers": ["example.com/hold"]},
    }

    def created() -> bool | None:
        status, _ = send(tenant.api, "POST", f"/apis/{group}/v1/namespaces/{ns}/holds", custom)
        return True if status == 201 else None

    eventually(created, "the custom resource type to be served")

    tenant.backend.destroy(tenant.backend.environment_name(1))
    gone(tenant.api, ns)


def test_a_namespace_held_past_the_first_teardown_is_finished_by_the_next(cluster: Cluster) -> None:
    with tenant_environment(cluster, terminating_retry_seconds=0) as tenant:
        ns = tenant.namespace
        # A finalizer that looks like Kubernetes' own: the first teardown leaves it to its controller.
        hold(tenant.api, ns, "fake-kubernetes-hold", "kubernetes.io/never-removed")
        tenant.backend.destroy(tenant.backend.environment_name(1))
        assert namespace_state(tenant.api, ns) == "terminating"
        # Found again (it is terminating, so it is listed as needing teardown) and finished.
        assert tenant.backend.list_environments() == {ns}
        tenant.backend.destroy(tenant.backend.environment_name(1))
        gone(tenant.api, ns)


# --- through the attempt lifecycle, with real workers ----------------------------------------------


@pytest.fixture
def world(celery_workers: Workers, cluster: Cluster, settings: Any) -> Iterator[Lifecycle]:
    with lifecycle_world(celery_workers, cluster, settings) as lifecycle:
        yield lifecycle


@pytest.mark.worker
def test_ending_an_attempt_removes_a_namespace_whose_objects_hold_finalizers(world: Lifecycle) -> None:
    world.workers.start()
    attempt = wait_for_status(world.start(world.learner("alice"), "partial-outage"), Status.READY)
    namespace = attempt.environment
    # On the way: the worker's check weighs the challenge's policies, never the platform's.
    run = wait_for_check(checks.attempt_check_request(attempt=attempt, requested_by=None))
    assert run.state == "done" and not run.passed, run.error
    assert "allow-payments" in json.dumps(run.results)
    assert "breakfix-egress" not in json.dumps(run.results)

    hold(world.api, namespace, "learner-hold", "example.com/hold")
    with world.learner_api(attempt) as learner:
        path = f"/api/v1/namespaces/{namespace}/configmaps/learner-hold"
        assert send(learner, "PATCH", path, {"data": {"kept": "yes"}}, content_type=MERGE)[0] == 200

    assert services.attempt_end(attempt=attempt, actor=None)
    wait_for_status(attempt, Status.DESTROYED)
    world.wait_gone(namespace)


@pytest.mark.worker
def test_reap_finishes_a_namespace_still_terminating_after_its_attempt_was_destroyed(
    world: Lifecycle,
) -> None:
    world.workers.start(BREAKFIX_TERMINATING_RETRY_SECONDS="0")
    attempt = wait_for_status(world.start(world.learner("bob"), "expose-internally"), Status.READY)
    namespace = attempt.environment
    hold(world.api, namespace, "fake-kubernetes-hold", "kubernetes.io/never-removed")

    assert services.attempt_end(attempt=attempt, actor=None)
    wait_for_status(attempt, Status.DESTROYED)
    # The attempt's teardown is done, but its namespace is not gone: reap must find it.
    assert namespace_state(world.api, namespace) == "terminating"
    tasks.reap.delay()
    world.wait_gone(namespace)
    assert Attempt.objects.get(pk=attempt.pk).status == Status.DESTROYED
