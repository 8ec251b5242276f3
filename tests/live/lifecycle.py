"""Shared helpers of the live lifecycle tests: a real worker, Redis and control plane."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.conf import settings as django_settings
from django.contrib.auth.models import User
from kubernetes.client import ApiClient

from challenges.backends import NamespaceBackend
from challenges.backends.tenancy import tenancy_remove
from challenges.models import Attempt, CheckRun
from challenges.services import attempts as services
from challenges.services.content import challenges_sync
from tests.fixtures.cluster import Cluster
from tests.fixtures.worker import Workers, wait_until
from validators import kube

PROVISION_SECONDS = 90.0
TEARDOWN_SECONDS = 90.0


def status_of(attempt: Attempt) -> str:
    return Attempt.objects.values_list("status", flat=True).get(pk=attempt.pk)


def wait_for_status(attempt: Attempt, *statuses: str, timeout: float = PROVISION_SECONDS) -> Attempt:
    def reached() -> bool:
        return status_of(attempt) in statuses

    wait_until(reached, timeout=timeout, what=f"attempt {attempt.pk} to be {' or '.join(statuses)}")
    attempt.refresh_from_db()
    return attempt


def wait_for_check(run: CheckRun, timeout: float = 60.0) -> CheckRun:
    def finished() -> bool:
        return CheckRun.objects.filter(pk=run.pk).exclude(state=CheckRun.State.PENDING).exists()

    wait_until(finished, timeout=timeout, what=f"check {run.pk} to finish")
    run.refresh_from_db()
    return run


def get(api: ApiClient, path: str, **query: str) -> tuple[int, dict[str, Any]]:
    status, data = kube.request(api, "GET", path, what=f"read {path}", query=list(query.items()))
    return status, (json.loads(data) if data.startswith(b"{") else {})


def namespace_state(api: ApiClient, name: str) -> str:
    """ "active", "terminating" or "gone"."""
    status, body = get(api, f"/api/v1/namespaces/{quote(name)}")
    if status == 404:
        return "gone"
    return "terminating" if body["metadata"].get("deletionTimestamp") else "active"


def guards_of(api: ApiClient, namespace: str) -> list[str]:
    names = []
    for plural in ("validatingadmissionpolicies", "validatingadmissionpolicybindings"):
        _, body = get(
            api,
            f"/apis/admissionregistration.k8s.io/v1/{plural}",
            labelSelector=f"breakfix.dev/namespace={namespace}",
        )
        names += [item["metadata"]["name"] for item in body.get("items", [])]
    return sorted(names)


def token_expiry(kubeconfig: str) -> int:
    import yaml

    token = yaml.safe_load(kubeconfig)["users"][0]["user"]["token"]
    payload = token.split(".")[1]
    return int(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"])


@dataclass
class Lifecycle:
    """One live test's world: its own environment prefix on the test cluster, workers, learners."""

    cluster: Cluster
    workers: Workers
    prefix: str
    api: ApiClient

    def learner(self, name: str) -> User:
        return User.objects.create_user(name, f"{name}@example.org", f"password-{name}")

    def start(self, learner: User, slug: str) -> Attempt:
        from challenges.models import Challenge

        return services.attempt_start(learner=learner, challenge=Challenge.objects.get(slug=slug))

    def learner_api(self, attempt: Attempt) -> ApiClient:
        return kube.client_from_text(
            services.attempt_learner_kubeconfig(attempt=Attempt.objects.get(pk=attempt.pk))
        )

    def wait_gone(self, namespace: str) -> None:
        wait_until(
            lambda: namespace_state(self.api, namespace) == "gone",
            timeout=TEARDOWN_SECONDS,
            what=f"namespace {namespace} to be deleted",
        )


@contextmanager
def lifecycle_world(
    workers: Workers,
    cluster: Cluster,
    settings: Any,
    *,
    cluster_alive: Callable[[], bool] = lambda: True,
    **env: str,
) -> Iterator[Lifecycle]:
    """Point this process and the workers at the test cluster under a prefix of this test's own, so
    reap never sees another test's (or a developer's) environments; clean up whatever is left
    (unless `cluster_alive` says a test killed the cluster of its own on purpose)."""
    prefix = f"bft{secrets.token_hex(3)}"
    env = {
        "BREAKFIX_BACKEND": "namespace",
        "BREAKFIX_ENVIRONMENT_PREFIX": prefix,
        "BREAKFIX_KIND_PREFIX": prefix,
        "BREAKFIX_KUBECONFIG": str(cluster.kubeconfig),
        **env,
    }
    workers.env.update(env)
    for key, value in env.items():
        setattr(settings, key, value)
    settings.BREAKFIX_CHECK_INTERVAL_SECONDS = 0
    challenges_sync(content_dir=django_settings.BREAKFIX_CONTENT_DIR)
    api = kube.client_from_file(cluster.kubeconfig)
    try:
        yield Lifecycle(cluster=cluster, workers=workers, prefix=prefix, api=api)
    finally:
        workers.stop_all()
        if cluster_alive():
            backend = NamespaceBackend(prefix=prefix, kubeconfig=cluster.kubeconfig)
            for environment in backend.list_environments():
                backend.destroy(environment)
            # The prefix's tenancy policies are cluster-wide: leave none behind on a shared cluster.
            tenancy_remove(api, prefix)
        api.close()
