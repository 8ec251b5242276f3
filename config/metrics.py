"""/metrics: Prometheus's view of the installation, computed from PostgreSQL and Redis on each scrape.

Several web processes answer behind one address and the Celery workers run on other hosts, so
nothing here is counted in a process's memory: a histogram observed in a worker would never reach
a web process's /metrics, and each web process would answer differently. The database is the
truth, so every family is read from it (or from the broker) when Prometheus asks, and any web
process gives the same answer.

A scrape costs a few bounded queries, whatever the size of a class:

- attempts by state and cluster: one GROUP BY over the attempts not yet destroyed (the status
  index keeps the destroyed history out of it), so it grows with the live environments only;
- provision and check durations: one aggregate query each, a conditional COUNT per bucket plus a
  SUM and a COUNT, so PostgreSQL returns one row per cluster and no attempt reaches Python. They
  are cumulative over every row ever written, which is what a Prometheus histogram is (counts that
  only grow; a window of recent rows would shrink and read as a counter reset). The price is one
  pass over that history per scrape, linear in it: about 70 ms per 100,000 rows on the
  development machine (2 cores), so a few milliseconds for a class's term of attempts and tens
  to hundreds for years of check runs; scrape every 15 s or slower;
- the queues: one pipelined round trip to Redis (LLEN of each queue the app sends to).

Nothing is exposed unless BREAKFIX_METRICS_TOKEN is set: without it /metrics is a 404, and with
it a scrape must send `Authorization: Bearer <token>` (compared in constant time).

Pool levels, claim durations and the registered clusters' capacity and health are families of
their own (one or two queries each).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any

import redis
from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, Q, QuerySet, Sum, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from challenges.models import Attempt, Challenge, CheckRun, Cluster, PoolSchedule, Status

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2.0
# The label of the single cluster of BREAKFIX_KUBECONFIG (an attempt that names no cluster).
DEFAULT_CLUSTER = "default"
# Upper bounds, in seconds. Provisioning: a claimed pool environment well under a second, a fresh
# namespace a few seconds, a kind cluster minutes. A check: tens of milliseconds on a quiet
# cluster, the task's time limit (90 s) at worst.
PROVISION_BUCKETS = (0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600)
CHECK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 90)
CLAIM_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5)
# The states an attempt holds before its teardown; destroyed ones are history, not a level.
COUNTED_STATES = tuple(status for status in Status if status != Status.DESTROYED)
# kombu's Redis transport keeps a queue's messages sent with a priority in lists of their own,
# named after the queue with this separator and the priority step (none: the plain queue).
PRIORITY_SEPARATOR = "\x06\x16"
PRIORITY_STEPS = (3, 6, 9)


def cluster_name(path: str = "") -> Combinable:
    """The name of the cluster an attempt runs on, as a column to group by; `path` leads from the
    queried model to the attempt ("attempt__" from a check run). No registered cluster: the
    default one of BREAKFIX_KUBECONFIG."""
    return Coalesce(F(f"{path}cluster__name"), Value(DEFAULT_CLUSTER))


def _histogram(
    rows: QuerySet[Any], *, duration: Combinable, buckets: Iterable[float], cluster: Combinable
) -> list[dict[str, Any]]:
    """One row per cluster: the count of durations at most each bucket's bound (cumulative, as
    Prometheus's `le` buckets are), their count and their sum, from one aggregate query."""
    bounds = tuple(buckets)
    counts = {
        f"le_{i}": Count("pk", filter=Q(duration__lte=timedelta(seconds=bound)))
        for i, bound in enumerate(bounds)
    }
    found = (
        rows.alias(duration=ExpressionWrapper(duration, output_field=DurationField()))
        .annotate(on=cluster)
        .values("on")
        .annotate(**counts, count=Count("pk"), seconds=Sum("duration"))
        .order_by()
    )
    return [
        {
            "cluster": row["on"],
            "buckets": [
                *((_bound(bound), row[f"le_{i}"]) for i, bound in enumerate(bounds)),
                ("+Inf", row["count"]),
            ],
            "sum": row["seconds"].total_seconds() if row["seconds"] is not None else 0.0,
        }
        for row in found
    ]


def _bound(bound: float) -> str:
    return repr(float(bound))


def queues() -> list[str]:
    """The queues the app sends tasks to (the default queue, and any that settings route to)."""
    names = [settings.CELERY_TASK_DEFAULT_QUEUE]
    for queue in getattr(settings, "CELERY_TASK_QUEUES", None) or ():
        names.append(getattr(queue, "name", str(queue)))
    return sorted(set(names))


class BreakfixCollector(Collector):
    """Every family of /metrics, computed when it is scraped (the module's docstring says why)."""

    def collect(self) -> Iterator[Metric]:
        yield self.attempts()
        yield self.provision_durations()
        yield self.check_durations()
        yield self.claim_durations()
        yield from self.pool_levels()
        yield from self.clusters()
        yield from self.queue_depths()

    def attempts(self) -> Metric:
        family = GaugeMetricFamily(
            "breakfix_attempts",
            "Attempts not yet destroyed, by state and by the cluster their environment is on.",
            labels=["state", "cluster"],
        )
        found = (
            Attempt.objects.filter(status__in=COUNTED_STATES)
            .annotate(on=cluster_name())
            .values("status", "on")
            .annotate(n=Count("pk"))
            .order_by()
        )
        counts = {(row["status"], row["on"]): row["n"] for row in found}
        clusters = sorted({cluster for _, cluster in counts} or {DEFAULT_CLUSTER})
        for cluster in clusters:
            for state in COUNTED_STATES:
                family.add_metric([state.value, cluster], counts.get((state.value, cluster), 0))
        return family

    def provision_durations(self) -> Metric:
        family = HistogramMetricFamily(
            "breakfix_provision_duration_seconds",
            "From a worker taking the attempt to its environment being ready (ready_at - provisioning_at).",
            labels=["cluster"],
        )
        rows = _histogram(
            Attempt.objects.filter(provisioning_at__isnull=False, ready_at__isnull=False),
            duration=F("ready_at") - F("provisioning_at"),
            buckets=PROVISION_BUCKETS,
            cluster=cluster_name(),
        )
        for row in rows:
            family.add_metric([row["cluster"]], row["buckets"], row["sum"])
        return family

    def check_durations(self) -> Metric:
        family = HistogramMetricFamily(
            "breakfix_check_duration_seconds",
            "From a learner pressing Check to its results (finished_at - created_at), done or in error.",
            labels=["cluster"],
        )
        rows = _histogram(
            CheckRun.objects.filter(finished_at__isnull=False),
            duration=F("finished_at") - F("created_at"),
            buckets=CHECK_BUCKETS,
            cluster=cluster_name("attempt__"),
        )
        for row in rows:
            family.add_metric([row["cluster"]], row["buckets"], row["sum"])
        return family

    def claim_durations(self) -> Metric:
        """A Start served from the warm pool: the claim and the learner's token (claim_seconds)."""
        family = HistogramMetricFamily(
            "breakfix_claim_duration_seconds",
            "From a Start finding a pooled environment to handing it over with the learner's token.",
            labels=["cluster"],
        )
        counts = {
            f"le_{i}": Count("pk", filter=Q(claim_seconds__lte=bound))
            for i, bound in enumerate(CLAIM_BUCKETS)
        }
        found = (
            Attempt.objects.filter(claim_seconds__isnull=False)
            .annotate(on=cluster_name())
            .values("on")
            .annotate(**counts, count=Count("pk"), seconds=Sum("claim_seconds"))
            .order_by()
        )
        rows: list[dict[str, Any]] = [dict(row) for row in found]
        for row in rows:
            buckets = [(_bound(bound), row[f"le_{i}"]) for i, bound in enumerate(CLAIM_BUCKETS)]
            family.add_metric([row["on"]], [*buckets, ("+Inf", row["count"])], row["seconds"] or 0.0)
        return family

    def pool_levels(self) -> Iterator[Metric]:
        """Per challenge: pooled environments ready and on their way, and the target in force."""
        ready = GaugeMetricFamily(
            "breakfix_pool_environments",
            "Pooled environments, by challenge and state.",
            labels=["challenge", "state"],
        )
        found = (
            Attempt.objects.filter(
                pooled=True, status__in=(Status.REQUESTED, Status.PROVISIONING, Status.READY)
            )
            .values("challenge__slug", "status")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in found:
            ready.add_metric([row["challenge__slug"], row["status"]], row["n"])
        yield ready
        now = timezone.now()
        raised = dict(
            PoolSchedule.objects.filter(starts_at__lte=now, ends_at__gt=now)
            .values("challenge__slug")
            .annotate(top=Max("target"))
            .values_list("challenge__slug", "top")
        )
        target = GaugeMetricFamily(
            "breakfix_pool_target", "Environments the pool keeps ready, by challenge.", labels=["challenge"]
        )
        for slug, own in Challenge.objects.filter(published=True).values_list("slug", "pool_target"):
            base = own if own is not None else settings.BREAKFIX_POOL_SIZE
            target.add_metric([slug], max(base, raised.get(slug) or 0))
        yield target

    def clusters(self) -> Iterator[Metric]:
        """Registered clusters: capacity, environments held, and whether the last probe reached it."""
        capacity = GaugeMetricFamily(
            "breakfix_cluster_capacity",
            "Environments a registered cluster may hold.",
            labels=["cluster", "state"],
        )
        used = GaugeMetricFamily(
            "breakfix_cluster_environments", "Environments a registered cluster holds.", labels=["cluster"]
        )
        up = GaugeMetricFamily(
            "breakfix_cluster_up",
            "1 when the last probe reached the cluster's API server.",
            labels=["cluster"],
        )
        for cluster in Cluster.objects.with_use():
            capacity.add_metric([cluster.name, cluster.state], cluster.capacity)
            used.add_metric([cluster.name], cluster.used)
            up.add_metric([cluster.name], 1 if cluster.reachable else 0)
        yield from (capacity, used, up)

    def queue_depths(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("breakfix_broker_up", "1 when the Celery broker (Redis) answered this scrape.")
        names = queues()
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL,
            socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
            socket_timeout=BROKER_TIMEOUT_SECONDS,
        )
        try:
            with client.pipeline(transaction=False) as pipe:
                for name in names:
                    pipe.llen(name)
                    for step in PRIORITY_STEPS:
                        pipe.llen(f"{name}{PRIORITY_SEPARATOR}{step}")
                pipe.hlen("unacked")
                answers = pipe.execute()
        except redis.RedisError as exc:
            logger.warning("metrics: the broker did not answer: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        finally:
            client.close()
        up.add_metric([], 1)
        yield up
        depth = GaugeMetricFamily(
            "breakfix_celery_queue_length",
            "Messages waiting in a Celery queue: tasks sent and not yet taken by a worker.",
            labels=["queue"],
        )
        per_queue = 1 + len(PRIORITY_STEPS)
        for i, name in enumerate(names):
            depth.add_metric([name], sum(answers[i * per_queue : (i + 1) * per_queue]))
        yield depth
        yield GaugeMetricFamily(
            "breakfix_celery_unacked_messages",
            "Messages taken by a worker and not yet acknowledged (tasks running or prefetched).",
            value=answers[-1],
        )


registry = CollectorRegistry(auto_describe=False)
registry.register(BreakfixCollector())


def _authorized(request: HttpRequest, token: str) -> bool | None:
    """True for the right bearer token, False for a wrong one, None when none was sent."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return None
    return hmac.compare_digest(given.strip().encode(), token.encode())


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.BREAKFIX_METRICS_TOKEN
    if not token:
        raise Http404("metrics are off: BREAKFIX_METRICS_TOKEN is not set")
    authorized = _authorized(request, token)
    if authorized is None:
        response = HttpResponse("a bearer token is required\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if not authorized:
        return HttpResponse("wrong token\n", status=403, content_type="text/plain")
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
