"""The worker's side of an environment: create it, fail it, tear it down, remove orphans.

Provisioning is claimed: the delivery that moves an attempt from requested to provisioning holds
it (its task id is stored) and renews its lease while it works. Its own retries, and its message
delivered again after its worker process died, carry on; any other delivery (a duplicate message,
one the sweep sent while this one was slow) does nothing. When the worker dies outright, the
sweep (sweeping.py) finds the lease run out and starts the attempt over, once.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from challenges import secrets, tasks
from challenges.backends import BackendFailed, ClusterBackend, get_backend
from challenges.backends.base import INSTALLATION_LABEL
from challenges.failures import PERMANENT_ERRORS, Failure, provision_failure
from challenges.kube import apply_guards, apply_simulation
from challenges.kube.history import apply_with_history
from challenges.models import (
    FINISHED_STATUSES,
    WAITING_STATUSES,
    Attempt,
    AttemptEvent,
    Cluster,
    Outcome,
    Status,
)
from challenges.services.clusters import place
from challenges.services.leases import lease_deadline, lease_kept, queue_deadline

logger = logging.getLogger(__name__)

Kind = AttemptEvent.Kind
# A teardown that failed is sent again after this long (the sweep sees its deadline pass).
DESTROY_RETRY_SECONDS = 120
# Token lifetime beyond the longest an attempt may live, so credentials never die before it.
TOKEN_MARGIN_SECONDS = 600


def _token_seconds() -> int:
    return settings.BREAKFIX_MAX_TTL_MINUTES * 60 + TOKEN_MARGIN_SECONDS


def _claim(attempt: Attempt, task_id: str) -> bool:
    """Whether this delivery is the one to provision the attempt (see the module's docstring).

    The first claim places the environment on a cluster; one started over keeps its cluster, so
    what it made there before is found again (and torn down with it).
    """
    if attempt.status == Status.REQUESTED:
        first = {"provisioning_at": timezone.now()} if attempt.provisioning_at is None else {}
        with transaction.atomic():
            cluster = attempt.cluster if attempt.cluster_id is not None else place(attempt)
            claimed = attempt.transition(
                from_=Status.REQUESTED,
                to=Status.PROVISIONING,
                task_id=task_id,
                task_deadline=lease_deadline(),
                environment=get_backend(attempt.backend, cluster=cluster).environment_name(attempt.pk),
                cluster=cluster,
                **first,
            )
        if claimed:
            where = f" on cluster {cluster.name}" if cluster is not None else ""
            attempt.record(Kind.PROVISIONING, f"Creating environment {attempt.environment}{where}.")
        return claimed
    return attempt.status == Status.PROVISIONING and attempt.task_id == task_id


def attempt_backend(attempt: Attempt) -> ClusterBackend:
    """The backend of an attempt's environment, on the cluster it was placed on."""
    return get_backend(attempt.backend, cluster=attempt.cluster)


def attempt_provision(*, attempt: Attempt, task_id: str = "") -> None:
    """Create the environment, apply the broken starting state and the guards, issue credentials.

    Idempotent and re-entrant: a retry after a temporary error finds the same environment and
    applies the same objects again. Workloads that are broken on purpose are not waited for.
    Permanent errors fail the attempt; temporary ones propagate to the task.
    """
    try:
        if not _claim(attempt, task_id):
            return  # ready already, ended while it waited, or another delivery's to make
        backend = attempt_backend(attempt)
    except BackendFailed as exc:
        attempt_fail(attempt=attempt, failure=provision_failure(exc))
        return

    # Both backends run the challenge in the namespace named after the environment.
    environment = namespace = attempt.environment
    claim = Attempt.objects.filter(pk=attempt.pk, status=Status.PROVISIONING, task_id=task_id)
    try:
        with lease_kept(claim):
            backend.create(environment, attempt_id=attempt.pk)
            with backend.platform_client(environment) as api:
                # Before the workloads: their first pods already behave as the challenge says.
                apply_simulation(
                    api, namespace, attempt.version.simulation(), labels={INSTALLATION_LABEL: backend.prefix}
                )
                apply_with_history(api, namespace, attempt.version.documents("manifests"))
                # Enforced before the learner hears the environment is ready: a shortcut taken in
                # the moment before would stay taken.
                apply_guards(
                    api,
                    namespace,
                    attempt.version.documents("guards"),
                    labels={INSTALLATION_LABEL: backend.prefix},
                )
            # A pooled environment is nobody's yet: its learner's token is issued at the claim.
            kubeconfig = (
                "" if attempt.pooled else backend.learner_kubeconfig(environment, seconds=_token_seconds())
            )
    except PERMANENT_ERRORS as exc:
        attempt_fail(attempt=attempt, failure=provision_failure(exc))
        return

    if attempt.transition(
        from_=Status.PROVISIONING,
        to=Status.READY,
        ready_at=timezone.now(),
        learner_kubeconfig=secrets.encrypt(kubeconfig) if kubeconfig else b"",
        task_deadline=None,
        task_id="",
    ):
        attempt.record(Kind.READY, f"Environment {environment} is ready.")
        return
    attempt.refresh_from_db()
    if attempt.status == Status.DESTROYED:
        # Ended while we built it, and its teardown ran before we finished: tear down what we made.
        backend.destroy(environment)


def attempt_retry_later(*, attempt: Attempt, seconds: float) -> None:
    """Its task tries again in `seconds`: until then (and a lease more) the work is attended."""
    # Requested too: one waiting for room on a cluster (services/clusters.py) is attended.
    waiting = (Status.REQUESTED, Status.PROVISIONING, *FINISHED_STATUSES)
    Attempt.objects.filter(pk=attempt.pk, status__in=waiting).update(
        task_deadline=lease_deadline(extra=seconds)
    )


def attempt_fail(*, attempt: Attempt, failure: Failure) -> bool:
    """Give up on an attempt on its way, with a reason the learner can read; it is torn down.

    The reason and the outcome stay with the attempt after teardown; the detail (what the
    cluster said) is logged and kept for staff.
    """
    if not attempt.transition(
        from_=WAITING_STATUSES,
        to=Status.FAILED,
        outcome=Outcome.FAILED,
        error=failure.reason,
        error_detail=failure.detail,
        ended_at=timezone.now(),
        task_deadline=queue_deadline(),
        task_id="",
    ):
        return False
    logger.warning("attempt %s failed: %s %s", attempt.pk, failure.reason, failure.detail)
    attempt.record(Kind.FAILED, failure.reason)
    tasks.destroy.delay_on_commit(attempt.pk)
    return True


def attempt_destroy(*, attempt: Attempt) -> bool:
    """Tear down a finished attempt's environment. Idempotent; never touches a live attempt.

    Backend errors propagate: the task retries temporary ones, the sweep sends it again later.
    """
    if not attempt.is_finished:
        return False
    if attempt.environment:
        with lease_kept(Attempt.objects.filter(pk=attempt.pk, status__in=FINISHED_STATUSES)):
            attempt_backend(attempt).destroy(attempt.environment)
    if not attempt.transition(
        from_=FINISHED_STATUSES,
        to=Status.DESTROYED,
        destroyed_at=timezone.now(),
        learner_kubeconfig=b"",
        task_deadline=None,
    ):
        return False
    attempt.record(
        Kind.DESTROYED, f"Environment {attempt.environment} removed." if attempt.environment else ""
    )
    return True


def orphan_destroy(*, backend_name: str, environment: str, cluster_id: int | None = None) -> bool:
    """Destroy an environment no attempt claims (on the registered cluster `cluster_id`, or the
    default one); re-checked here, since a claim may have appeared."""
    if (
        Attempt.objects.filter(backend=backend_name, environment=environment)
        .exclude(status=Status.DESTROYED)
        .exists()
    ):
        return False
    cluster = Cluster.objects.filter(pk=cluster_id).first() if cluster_id is not None else None
    if cluster_id is not None and cluster is None:
        return False  # unregistered since: nothing of it is ours to touch any more
    get_backend(backend_name, cluster=cluster).destroy(environment)
    logger.info("reap removed orphaned %s environment %s", backend_name, environment)
    return True
