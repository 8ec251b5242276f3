"""The attempt lifecycle with real parts: Celery workers (subprocesses) on a real Redis,
provisioning namespaces on the local control plane.

Nothing here is eager or mocked: the test process plays the web server (it calls the services
a view would), the workers do the rest. Nothing connects to pod or Service IPs.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from challenges import tasks
from challenges.backends import NamespaceBackend
from challenges.backends.base import ATTEMPT_LABEL, INSTALLATION_LABEL, MANAGED_BY
from challenges.backends.tenancy import tenancy_remove
from challenges.kube import apply_documents
from challenges.models import Attempt, AttemptEvent, Status
from challenges.services import attempts as services
from challenges.services import checks
from tests.fixtures.cluster import Cluster
from tests.fixtures.worker import Workers, wait_until
from tests.live.lifecycle import (
    Lifecycle,
    get,
    guards_of,
    lifecycle_world,
    namespace_state,
    status_of,
    token_expiry,
    wait_for_check,
    wait_for_status,
)
from validators import kube

pytestmark = [pytest.mark.live, pytest.mark.worker]


@pytest.fixture
def world(celery_workers: Workers, cluster: Cluster, settings: Any) -> Iterator[Lifecycle]:
    with lifecycle_world(celery_workers, cluster, settings) as lifecycle:
        yield lifecycle


def check_until(attempt: Attempt, *, passed: bool, timeout: float = 40.0) -> list[dict[str, Any]]:
    """Press Check until the result is `passed` (the EndpointSlice controller may lag a moment)."""
    deadline = time.monotonic() + timeout
    while True:
        run = wait_for_check(
            checks.attempt_check_request(attempt=Attempt.objects.get(pk=attempt.pk), requested_by=None)
        )
        assert run.state == "done", run.error
        if run.passed == passed or time.monotonic() > deadline:
            assert run.passed == passed, run.results
            return list(run.results)
        time.sleep(1)


def test_happy_path_start_check_solve_end(world: Lifecycle) -> None:
    world.workers.start()
    alice = world.learner("alice")
    attempt = world.start(alice, "wrong-selector")
    attempt = wait_for_status(attempt, Status.READY)
    namespace = attempt.environment
    assert namespace == f"{world.prefix}-{attempt.pk}"

    # The broken starting state, labelled for the attempt, with its guards bound to it alone.
    _, body = get(world.api, f"/api/v1/namespaces/{namespace}")
    labels = body["metadata"]["labels"]
    assert (labels[MANAGED_BY], labels[ATTEMPT_LABEL], labels[INSTALLATION_LABEL]) == (
        "breakfix",
        str(attempt.pk),
        world.prefix,
    )
    assert get(world.api, f"/apis/apps/v1/namespaces/{namespace}/deployments/frontend")[0] == 200
    assert guards_of(world.api, namespace) == sorted(
        f"{name}.{namespace}"
        for name in ("keep-frontend-deployment", "no-impersonating-pods")
        for _ in range(2)
    )

    # Check against the broken state: every objective fails with its stated message.
    results = check_until(attempt, passed=False)
    objectives = {o["key"]: o for o in attempt.version.definition["challenge"]["objectives"]}
    assert [r["key"] for r in results] == list(objectives)
    for result in results:
        assert not result["passed"]
        assert result["message"].startswith(
            objectives[result["key"]]["failureMessage"].strip().rstrip(".")
        ), result

    # The learner fixes it with their own credentials; the platform's check sees it.
    with world.learner_api(attempt) as learner:
        apply_documents(learner, namespace, attempt.version.documents("solution"), field_manager="kubectl")
    results = check_until(attempt, passed=True)
    assert all(r["passed"] for r in results)
    attempt = wait_for_status(attempt, Status.SOLVED, timeout=5)
    assert attempt.solved_at is not None

    # End: the environment and its cluster-wide guards disappear.
    assert services.attempt_end(attempt=attempt, actor=alice)
    wait_for_status(attempt, Status.DESTROYED)
    world.wait_gone(namespace)
    assert guards_of(world.api, namespace) == []
    kinds = set(AttemptEvent.objects.filter(attempt=attempt).values_list("kind", flat=True))
    assert {"requested", "provisioning", "ready", "checked", "solved", "ended", "destroyed"} <= kinds


def test_the_same_provision_message_delivered_twice_gives_one_environment(world: Lifecycle) -> None:
    bob = world.learner("bob")
    attempt = world.start(bob, "expose-internally")  # one message, on commit
    tasks.provision.delay(attempt.pk)  # and the same message twice more, as a redelivery would
    tasks.provision.delay(attempt.pk)
    worker = world.workers.start(concurrency=3)
    wait_for_status(attempt, Status.READY)
    wait_until(
        lambda: worker.output(400).count("succeeded in") >= 3,
        timeout=60,
        what="all three deliveries to finish",
    )
    _, body = get(
        world.api,
        "/api/v1/namespaces",
        labelSelector=f"{ATTEMPT_LABEL}={attempt.pk},{INSTALLATION_LABEL}={world.prefix}",
    )
    assert [item["metadata"]["name"] for item in body["items"]] == [attempt.environment]
    assert len(guards_of(world.api, attempt.environment)) == 4
    kinds = list(AttemptEvent.objects.filter(attempt=attempt).values_list("kind", flat=True))
    assert (kinds.count("provisioning"), kinds.count("ready")) == (1, 1)
    assert Attempt.objects.count() == 1


def test_a_worker_killed_mid_provisioning_leaves_nothing_behind_after_reap(world: Lifecycle) -> None:
    carol = world.learner("carol")
    victim = world.workers.start(concurrency=1)
    attempt = world.start(carol, "expose-internally")
    namespace = f"{world.prefix}-{attempt.pk}"
    # Kill the worker the moment the namespace appears: provisioning has begun and not finished.
    wait_until(
        lambda: namespace_state(world.api, namespace) == "active",
        timeout=60,
        interval=0.02,
        what="provisioning to create the namespace",
    )
    victim.kill()
    assert status_of(attempt) == Status.PROVISIONING, "the kill came too late to interrupt provisioning"

    # The deadline passes (0 s here) and the periodic reap, on a fresh worker, cleans up.
    world.workers.start(BREAKFIX_PROVISION_DEADLINE_SECONDS=0)
    tasks.reap.delay()
    attempt = wait_for_status(attempt, Status.DESTROYED)
    assert "took far too long" in attempt.error
    world.wait_gone(namespace)
    assert guards_of(world.api, namespace) == []
    assert (
        NamespaceBackend(prefix=world.prefix, kubeconfig=world.cluster.kubeconfig).list_environments()
        == set()
    )


def test_a_failing_backend_marks_the_attempt_failed_with_a_readable_reason(world: Lifecycle) -> None:
    dave = world.learner("dave")
    attempt = world.start(dave, "wrong-selector")
    # Someone else's namespace already has the name this attempt's environment would get.
    namespace = f"{world.prefix}-{attempt.pk}"
    kube.call(
        world.api,
        "POST",
        "/api/v1/namespaces",
        what="create a squatter",
        body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
    )
    try:
        world.workers.start()
        attempt = wait_for_status(attempt, Status.FAILED, Status.DESTROYED)
        assert attempt.error == (
            f"The namespace {namespace} already exists and does not belong to this attempt; "
            "an operator has to remove it."
        )
        # Teardown must not take the squatter's namespace with it: it is not ours.
        assert namespace_state(world.api, namespace) == "active"
    finally:
        kube.call(
            world.api,
            "DELETE",
            f"/api/v1/namespaces/{quote(namespace)}",
            what="remove the squatter",
            missing_ok=True,
        )


def test_expiry_and_extension(world: Lifecycle, settings: Any) -> None:
    settings.BREAKFIX_TTL_MINUTES = 60
    settings.BREAKFIX_EXTEND_MINUTES = 30
    settings.BREAKFIX_MAX_TTL_MINUTES = 180
    world.workers.start(BREAKFIX_MAX_TTL_MINUTES=180)
    erin = world.learner("erin")
    attempt = wait_for_status(world.start(erin, "wrong-selector"), Status.READY)
    deadline = attempt.expires_at
    assert deadline is not None

    assert services.attempt_extend(attempt=attempt, actor=erin)
    assert attempt.expires_at is not None and (attempt.expires_at - deadline).total_seconds() == 30 * 60
    # The learner's token outlives the longest the attempt may be extended to.
    kubeconfig = services.attempt_learner_kubeconfig(attempt=attempt)
    assert attempt.ready_at is not None
    assert token_expiry(kubeconfig) >= (attempt.ready_at.timestamp() + 180 * 60)

    # Time runs out: the periodic reap expires the attempt and removes its environment.
    Attempt.objects.filter(pk=attempt.pk).update(expires_at=attempt.created_at)
    tasks.reap.delay()
    attempt = wait_for_status(attempt, Status.EXPIRED, Status.DESTROYED)
    assert attempt.ended_at is not None
    wait_for_status(attempt, Status.DESTROYED)
    world.wait_gone(attempt.environment)
    with pytest.raises(services.AttemptNotReady):
        services.attempt_learner_kubeconfig(attempt=Attempt.objects.get(pk=attempt.pk))


def test_capacity_and_per_learner_limits(world: Lifecycle, settings: Any) -> None:
    settings.BREAKFIX_CAPACITY = 2
    settings.BREAKFIX_MAX_ACTIVE_PER_LEARNER = 1
    world.workers.start(concurrency=2)
    frank, grace, heidi = (world.learner(name) for name in ("frank", "grace", "heidi"))
    first = world.start(frank, "wrong-selector")
    with pytest.raises(services.AttemptLimitReached):
        world.start(frank, "expose-internally")
    second = world.start(grace, "wrong-selector")
    with pytest.raises(services.NoCapacity, match="no capacity, try again in a moment"):
        world.start(heidi, "wrong-selector")
    wait_for_status(first, Status.READY)
    wait_for_status(second, Status.READY)

    # Ending one frees its place at once; its teardown happens in the background.
    services.attempt_end(attempt=Attempt.objects.get(pk=first.pk), actor=frank)
    third = wait_for_status(world.start(heidi, "wrong-selector"), Status.READY)
    assert Attempt.objects.filter(status__in=(Status.READY,)).count() == 2
    wait_for_status(first, Status.DESTROYED)
    world.wait_gone(first.environment)
    assert namespace_state(world.api, third.environment) == "active"


def test_learner_credentials_fix_the_challenge_but_reach_nothing_else(world: Lifecycle) -> None:
    world.workers.start(concurrency=2)
    ivan, judy = world.learner("ivan"), world.learner("judy")
    mine = world.start(ivan, "wrong-selector")
    theirs = world.start(judy, "wrong-selector")
    mine, theirs = wait_for_status(mine, Status.READY), wait_for_status(theirs, Status.READY)
    ns, other = mine.environment, theirs.environment

    def status(api: Any, method: str, path: str, body: dict[str, Any] | None = None, **query: str) -> int:
        code, _ = kube.request(
            api,
            method,
            path,
            what=path,
            body=body,
            query=list(query.items()),
            content_type="application/merge-patch+json" if method == "PATCH" else "application/json",
        )
        return code

    with world.learner_api(mine) as learner:
        # Inside their namespace: read, fix, see logs' API.
        assert status(learner, "GET", f"/api/v1/namespaces/{ns}/pods") == 200
        assert status(learner, "GET", f"/apis/apps/v1/namespaces/{ns}/deployments") == 200
        apply_documents(learner, ns, mine.version.documents("solution"), field_manager="kubectl")
        # Another attempt's namespace, and everything cluster-wide, are out of reach.
        assert status(learner, "GET", f"/api/v1/namespaces/{other}/pods") == 403
        assert status(learner, "GET", f"/api/v1/namespaces/{other}/secrets") == 403
        assert status(learner, "GET", "/api/v1/namespaces") == 403
        # Nodes are readable (scheduling challenges need their labels and taints), never writable.
        assert status(learner, "GET", "/api/v1/nodes") == 200
        assert (
            status(learner, "PATCH", "/api/v1/nodes/kwok-node-0", {"metadata": {"labels": {"x": "y"}}}) == 403
        )
        assert status(learner, "GET", "/api/v1/persistentvolumes") == 403
        assert (
            status(learner, "GET", "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies") == 403
        )
        assert status(learner, "DELETE", f"/api/v1/namespaces/{ns}") == 403
        assert (
            status(learner, "PATCH", f"/api/v1/namespaces/{ns}", {"metadata": {"labels": {"x": "y"}}}) == 403
        )
        assert (
            status(
                learner,
                "POST",
                "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "ClusterRoleBinding",
                    "metadata": {"name": "mine"},
                    "roleRef": {
                        "apiGroup": "rbac.authorization.k8s.io",
                        "kind": "ClusterRole",
                        "name": "cluster-admin",
                    },
                    "subjects": [{"kind": "ServiceAccount", "name": "learner", "namespace": ns}],
                },
            )
            == 403
        )
        # Nor can they grant themselves more inside the namespace (RBAC escalation check).
        assert (
            status(
                learner,
                "POST",
                f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings",
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "RoleBinding",
                    "metadata": {"name": "admin"},
                    "roleRef": {
                        "apiGroup": "rbac.authorization.k8s.io",
                        "kind": "ClusterRole",
                        "name": "admin",
                    },
                    "subjects": [{"kind": "ServiceAccount", "name": "learner", "namespace": ns}],
                },
            )
            == 403
        )

        # The guards stop the learner's shortcut (relabelling the frontend pods)...
        relabel = {
            "spec": {"template": {"metadata": {"labels": {"app": "frontend", "tier": "web", "x": "y"}}}}
        }
        path = f"/apis/apps/v1/namespaces/{ns}/deployments/frontend"

        def refused() -> bool:
            code, data = kube.request(
                learner,
                "PATCH",
                path,
                what="relabel",
                body=relabel,
                query=[("dryRun", "All")],
                content_type="application/merge-patch+json",
            )
            return code in (403, 422) and b"Other teams select the frontend pods by their labels" in data

        wait_until(refused, timeout=20, what="the guard to refuse the learner")
    # ...but never the platform, and never in another attempt's namespace.
    assert status(world.api, "PATCH", path, relabel, dryRun="All") == 200
    with world.learner_api(theirs) as neighbour:
        assert status(neighbour, "PATCH", path, relabel, dryRun="All") == 403

    results = check_until(mine, passed=True)
    assert all(r["passed"] for r in results)


def test_teardown_is_idempotent_and_never_removes_a_namespace_it_does_not_own(cluster: Cluster) -> None:
    backend = NamespaceBackend(prefix=f"bft{secrets.token_hex(3)}", kubeconfig=cluster.kubeconfig)
    ours, theirs = backend.environment_name(1), backend.environment_name(2)
    with kube.client_from_file(cluster.kubeconfig) as api:
        backend.create(ours, attempt_id=1)
        kube.call(api, "POST", "/api/v1/namespaces", what="create", body={"metadata": {"name": theirs}})
        try:
            backend.destroy(ours)
            backend.destroy(ours)  # again, while it terminates: a redelivered destroy
            backend.destroy(theirs)
            assert namespace_state(api, ours) in ("terminating", "gone")
            assert namespace_state(api, theirs) == "active"
        finally:
            kube.call(api, "DELETE", f"/api/v1/namespaces/{theirs}", what="clean up", missing_ok=True)
            tenancy_remove(api, backend.prefix)
