"""Where a new environment goes, and whether each registered cluster answers (challenges.capacity).

Placement runs on the worker as provisioning claims an attempt, inside the claim's transaction:
the accepting clusters' rows are locked first, so two workers placing at once count each other's
environments and a cluster is never given more than its capacity.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.utils import timezone

from challenges.backends import BackendFailed, ClustersFull, get_backend
from challenges.models import Attempt, Cluster, Status
from challenges.services.attempts import attempt_expire
from validators.kube import request

logger = logging.getLogger(__name__)

PROBE_TIMEOUT_SECONDS = 2.0


def registered() -> bool:
    """Whether the operator registered clusters: if not, the one of BREAKFIX_KUBECONFIG serves."""
    return Cluster.objects.exists()


def place(attempt: Attempt) -> Cluster | None:
    """The cluster for a new environment of `attempt`; None for the one default cluster.

    Call inside a transaction (the locks last until it commits). ClustersFull (temporary) when every
    fitting cluster is full, draining or unreachable (worth waiting for); BackendFailed when no
    registered cluster could ever take it (none has the labels the challenge requires).
    """
    if attempt.backend != "namespace" or not registered():
        return None
    required = attempt.version.cluster_labels()
    # Locked in a fixed order, so two placements never wait on each other in a circle.
    list(Cluster.objects.accepting().select_for_update().order_by("pk").values_list("pk", flat=True))
    fitting = [cluster for cluster in Cluster.objects.accepting().by_room() if cluster.offers(required)]
    for cluster in fitting:
        if cluster.free > 0:
            return cluster
    if not any(cluster.offers(required) for cluster in Cluster.objects.exclude(state=Cluster.State.OFFLINE)):
        wanted = ", ".join(f"{key}={value}" for key, value in sorted(required.items()))
        raise BackendFailed(f"No cluster of this installation offers what this challenge needs ({wanted}).")
    if not attempt.pooled:
        _pool_gives_way(fitting)
    raise ClustersFull("Every cluster fit for this challenge is full, draining or unreachable.")


def _pool_gives_way(clusters: list[Cluster]) -> None:
    """A learner waits for room: the oldest ready pooled environment on a fitting cluster goes,
    and its place is the learner's once it is torn down (the provisioning retries meanwhile)."""
    spare = (
        Attempt.objects.filter(pooled=True, status=Status.READY, cluster__in=clusters)
        .order_by("ready_at")
        .first()
    )
    if spare is not None and attempt_expire(
        attempt=spare, message="Made room for a learner's environment.", pooled=True
    ):
        logger.info("pool: gave up %s to make room on cluster %s", spare.environment, spare.cluster_id)


def cluster_probe(cluster: Cluster) -> bool:
    """Ask one cluster's API server whether it is ready, and record the answer; True if it is."""
    problem = ""
    try:
        with get_backend("namespace", cluster=cluster).platform_client("") as api:
            answer = request(api, "GET", "/readyz", what="ask the cluster", timeout=PROBE_TIMEOUT_SECONDS)
        if not answer.ok:
            problem = f"its API server answered HTTP {answer.status}"
    except Exception as exc:  # any failure means unreachable: keep the kind, never the address
        problem = f"it did not answer ({type(exc).__name__})"
    reachable = not problem
    was = cluster.reachable
    now = timezone.now()
    Cluster.objects.filter(pk=cluster.pk).update(reachable=reachable, checked_at=now, problem=problem)
    cluster.reachable, cluster.problem = reachable, problem
    if was and not reachable:
        logger.warning("cluster %s is unreachable: %s; no new environments go there", cluster.name, problem)
    elif reachable and not was:
        logger.info("cluster %s answers again", cluster.name)
    return reachable


def clusters_probe() -> list[Cluster]:
    """Probe every cluster in service; those that came back are returned (their reap is due)."""
    back = []
    for cluster in Cluster.objects.serving():
        was = cluster.reachable
        if cluster_probe(cluster) and not was:
            back.append(cluster)
    return back


class ClusterInvalid(ValueError):
    """What an operator asked of a cluster cannot be done; the message names what is wrong."""


def cluster_register(*, name: str, kubeconfig: str, capacity: int, labels: dict[str, str]) -> Cluster:
    """Register a cluster (or replace its credentials, capacity and labels), then probe it once.

    `kubeconfig` must carry its credentials inline (challenges.kube.kubeconfig.embedded_kubeconfig
    makes one so from a file): it is used on whatever host the worker runs.
    """
    cluster = Cluster.objects.filter(name=name).first() or Cluster(name=name)
    try:
        cluster.set_kubeconfig(kubeconfig)
    except ValueError as exc:
        raise ClusterInvalid(f"The kubeconfig for cluster {name!r} cannot be used: {exc}.") from None
    cluster.capacity, cluster.labels = capacity, labels
    _valid(cluster)
    twin = Cluster.objects.filter(server=cluster.server).exclude(name=name).first()
    if twin is not None:
        raise ClusterInvalid(f"The API server of {name!r} is registered already, as cluster {twin.name!r}.")
    cluster.save()
    cluster_probe(cluster)
    return cluster


def cluster_set(cluster: Cluster, *, state: str | None = None, capacity: int | None = None) -> Cluster:
    """Change a cluster's state (active, draining, offline) or capacity."""
    if state is not None:
        if state not in Cluster.State.values:
            raise ClusterInvalid(
                f"{state!r} is not a cluster state; choose one of {', '.join(Cluster.State.values)}."
            )
        cluster.state = state
    if capacity is not None:
        cluster.capacity = capacity
    _valid(cluster)
    cluster.save(update_fields=["state", "capacity"])
    logger.info("cluster %s: state %s, capacity %s", cluster.name, cluster.state, cluster.capacity)
    return cluster


def cluster_unregister(cluster: Cluster) -> None:
    """Forget a cluster; refused while any environment of it still exists."""
    held = cluster.attempts.exclude(status=Status.DESTROYED).count()
    if held:
        raise ClusterInvalid(
            f"Cluster {cluster.name!r} still holds {held} environment(s): drain it and let them end first."
        )
    # Attempts long torn down keep their history; they point at no cluster any more.
    Attempt.objects.filter(cluster=cluster).update(cluster=None)
    cluster.delete()


def _valid(cluster: Cluster) -> None:
    try:
        cluster.full_clean(exclude=["kubeconfig"], validate_unique=False)
    except ValidationError as exc:
        problems = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items())
        raise ClusterInvalid(f"Cluster {cluster.name!r}: {problems}") from None
    if not isinstance(cluster.labels, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in cluster.labels.items()
    ):
        raise ClusterInvalid(f"Cluster {cluster.name!r}: labels must map names to text.")
