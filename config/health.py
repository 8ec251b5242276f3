"""/healthz and /readyz, for the compose file, a load balancer or Kubernetes probes.

/healthz answers while the process can serve a request at all: a liveness probe must not restart
web because PostgreSQL is down. /readyz asks every part a request may need (PostgreSQL, Redis as
broker and as cache, the console runner, the cluster of the `namespace` backend) and answers 503
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


def _cluster() -> None:
    """The shared cluster of the `namespace` backend; kind clusters are each attempt's own."""
    if settings.BREAKFIX_BACKEND != "namespace":
        return
    with get_backend().platform_client("") as api:
        answer = kube_request(api, "GET", "/readyz", what="ask the cluster", timeout=TIMEOUT_SECONDS)
    if not answer.ok:
        raise RuntimeError(f"the API server answered HTTP {answer.status}")


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "broker": _broker,
    "cache": _cache,
    "console": _console,
    "cluster": _cluster,
}


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    parts: dict[str, str] = {}
    for name, check in CHECKS.items():
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
