"""One Docker host for an installation's kind clusters: a second worker host is refused.

A kind cluster lives on the Docker host of the worker that created it. A worker on another host
would see none of them: its check, console and teardown of an attempt would find no cluster, and
its reap would miss the orphans. Routing each attempt's tasks back to its host is more than the
kind backend (a single host for trusted learners) is worth, so an installation on kind runs its
workers on one host, and this keeps it so.

A kind worker claims, before it takes any task, a Redis key naming its host, and renews it while
it runs. A worker on the same host renews the same claim; one on another host finds the live
claim and exits, naming the host that owns the clusters. The claim lapses
BREAKFIX_KIND_HOST_TTL_SECONDS after the last worker of its host stopped: moving an installation
to a new host is stopping the old workers and waiting that long.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import threading

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 5.0
DOCKER_TIMEOUT_SECONDS = 10.0

# Takes the claim when it is free or already this host's (renewing its time to live), atomically;
# answers the owner's name when another host holds it.
CLAIM = """
local owner = redis.call('GET', KEYS[1])
if owner and owner ~= ARGV[1] then
  return owner
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return false
"""


class KindHostTaken(SystemExit):
    """Another host owns this installation's kind clusters: the worker must not start here."""


def claim_key() -> str:
    """One claim per installation: installations sharing a Redis have their own queues."""
    return f"breakfix:kind-host:{settings.CELERY_TASK_DEFAULT_QUEUE}"


def kind_host() -> str:
    """The name of the Docker host this worker's kind clusters live on: BREAKFIX_KIND_HOST, else
    the name Docker gives its host (a worker in a container drives the host's Docker, and the
    container's own hostname changes with each container), else this machine's hostname."""
    if settings.BREAKFIX_KIND_HOST:
        return str(settings.BREAKFIX_KIND_HOST)
    try:
        answer = subprocess.run(
            ["docker", "info", "--format", "{{.Name}}"],
            capture_output=True,
            text=True,
            timeout=DOCKER_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        answer = None
    if answer is not None and answer.returncode == 0 and answer.stdout.strip():
        return answer.stdout.strip()
    return socket.gethostname()


def _client() -> redis.Redis:
    return redis.Redis.from_url(
        settings.CELERY_BROKER_URL,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
    )


def kind_host_claim(*, host: str, client: redis.Redis | None = None) -> str | None:
    """Claim (or renew) the installation's kind host for `host`; the other owner's name when
    another host holds it, None when `host` holds it now."""
    client = client or _client()
    owner = client.eval(CLAIM, 1, claim_key(), host, str(settings.BREAKFIX_KIND_HOST_TTL_SECONDS))
    if not owner:
        return None
    return owner.decode() if isinstance(owner, bytes) else str(owner)


def refusal(*, host: str, owner: str) -> str:
    ttl = settings.BREAKFIX_KIND_HOST_TTL_SECONDS
    return (
        f"This worker is on {host!r}, but the kind clusters of this installation live on the Docker "
        f"host {owner!r}, where its workers run: a worker here would not see them. Run every kind "
        f"worker on {owner!r}, or use BREAKFIX_BACKEND=namespace to spread workers over hosts. "
        f"If {owner!r} is gone for good, its claim lapses {ttl} s after its last worker stopped."
    )


def worker_starting() -> str | None:
    """At a worker's start, before it takes a task: on the kind backend, claim the host or raise
    KindHostTaken (which ends the worker) naming the host that owns the clusters. The host
    claimed, or None on another backend."""
    if settings.BREAKFIX_BACKEND != "kind":
        return None
    host = kind_host()
    try:
        owner = kind_host_claim(host=host)
    except redis.RedisError as exc:
        raise KindHostTaken(
            f"The kind worker could not claim its host in Redis ({type(exc).__name__}: {exc}); "
            "it claims the host before it starts, so that a second host never shares the work."
        ) from exc
    if owner is not None:
        raise KindHostTaken(refusal(host=host, owner=owner))
    logger.info("kind clusters live on %s: this worker holds the installation's claim on it", host)
    global _claimed
    _claimed = host
    return host


class Heartbeat(threading.Thread):
    """Renews the claim every third of its time to live while the worker runs."""

    def __init__(self, host: str) -> None:
        super().__init__(name="kind-host-heartbeat", daemon=True)
        self.host = host
        self.stopped = threading.Event()

    def run(self) -> None:
        interval = max(1.0, settings.BREAKFIX_KIND_HOST_TTL_SECONDS / 3)
        while True:
            try:
                owner = kind_host_claim(host=self.host)
            except redis.RedisError as exc:
                logger.warning("could not renew the kind host claim (trying again): %s", exc)
            else:
                if owner is not None:
                    # Only after Redis lost the claim (a restart without persistence) while
                    # another host's worker started: the operator must stop one of them.
                    logger.error(refusal(host=self.host, owner=owner))
            if self.stopped.wait(interval):
                return

    def stop(self) -> None:
        self.stopped.set()


# This worker process's claim and its heartbeat (the worker's main process: the pool's
# processes start later and hold neither).
_claimed: str | None = None
_heartbeat: Heartbeat | None = None


def heartbeat_start() -> None:
    """Once the worker is ready (its pool started): keep the claim made at its start alive."""
    global _heartbeat
    if _claimed is not None and _heartbeat is None:
        _heartbeat = Heartbeat(_claimed)
        _heartbeat.start()


def heartbeat_stop() -> None:
    """The claim is not given back: another worker of this host may still run, and it lapses."""
    if _heartbeat is not None:
        _heartbeat.stop()
