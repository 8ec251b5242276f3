"""/healthz and /readyz, for the compose file, a load balancer or Kubernetes probes.

/healthz answers while the process can serve a request at all: a liveness probe must not restart
web because PostgreSQL is down. /readyz asks every part a request may need (PostgreSQL, Redis as
broker and as cache, the console runner, each cluster of the `namespace` backend) and answers 503
naming the parts that did not answer, so that a balancer sends learners elsewhere meanwhile.
The answers name parts and how they failed, never an address or a credential.
"""

from __future__ import annotations

from collections.abc import Callable

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from challenges.backends import get_backend
from challenges.console.runner import runner_health
from challenges.models import Cluster
from validators.kube import request as kube_request

TIMEOUT_SECONDS = 2.0


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
    ).ping()


def _cache() -> None:
    cache.get("breakfix:readyz")


def _console() -> None:
    runner_health()


def _cluster(cluster: Cluster | None = None) -> Callable[[], None]:
    """A shared cluster of the `namespace` backend: the default one, or a registered one."""

    def check() -> None:
        with get_backend("namespace", cluster=cluster).platform_client("") as api:
            answer = kube_request(api, "GET", "/readyz", what="ask the cluster", timeout=TIMEOUT_SECONDS)
        if not answer.ok:
            raise RuntimeError(f"the API server answered HTTP {answer.status}")

    return check


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "broker": _broker,
    "cache": _cache,
    "console": _console,
}


def _checks() -> dict[str, Callable[[], None]]:
    """The parts to ask: the fixed ones, then the clusters (kind clusters are each attempt's own).

    Each registered cluster in service is asked itself (`cluster:<name>`), so an outage names the
    cluster; with none registered, the one of BREAKFIX_KUBECONFIG is `cluster`.
    """
    checks = dict(CHECKS)
    if settings.BREAKFIX_BACKEND != "namespace":
        return checks
    try:
        clusters = list(Cluster.objects.serving())
    except Exception:  # the database is down: its own check says so
        return checks
    if not clusters:
        checks["cluster"] = _cluster()
    for cluster in clusters:
        checks[f"cluster:{cluster.name}"] = _cluster(cluster)
    return checks


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    parts: dict[str, str] = {}
    for name, check in _checks().items():
        try:
            check()
        except Exception as exc:  # any failure means "not ready": name the part, not the secret
            parts[name] = f"unavailable ({type(exc).__name__})"
        else:
            parts[name] = "ok"
    ready = all(state == "ok" for state in parts.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "parts": parts}, status=200 if ready else 503
    )
