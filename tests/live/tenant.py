"""A real tenant environment on the local control plane, made by the namespace backend itself.

`tenant_environment` creates an environment exactly as provisioning does (the installation's
tenancy policies, the labelled namespace, the learner's ServiceAccount and Role, quota, limit
range, egress policy) under a prefix of the test's own, and hands over the platform's client and
a client holding a real token of the learner. Everything is removed afterwards, the prefix's
cluster-wide policies included.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kubernetes.client import ApiClient

from challenges.backends import NamespaceBackend
from challenges.backends.tenancy import tenancy_remove
from tests.fixtures.cluster import Cluster
from validators import kube

# Admission policies reach the API server's admission chain a moment after they are created.
POLICY_SECONDS = 20.0

Obj = dict[str, Any]


@dataclass
class Tenant:
    backend: NamespaceBackend
    namespace: str
    api: ApiClient  # the platform's credentials
    learner: ApiClient  # a token of the learner's ServiceAccount

    def path(self, api_version: str, plural: str, name: str = "") -> str:
        prefix = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        path = f"{prefix}/namespaces/{self.namespace}/{plural}"
        return f"{path}/{name}" if name else path


def send(
    api: ApiClient,
    method: str,
    path: str,
    body: Obj | list[Any] | None = None,
    *,
    dry_run: bool = False,
    content_type: str = "application/json",
) -> tuple[int, str]:
    """(status, message of the answer) for one request."""
    query = [("dryRun", "All")] if dry_run else []
    status, data = kube.request(
        api, method, path, what=f"{method} {path}", body=body, query=query, content_type=content_type
    )
    try:
        answer = json.loads(data)
    except ValueError:
        return status, data.decode(errors="replace")
    return status, str(answer.get("message", "")) if isinstance(answer, dict) else ""


def refusal(api: ApiClient, method: str, path: str, body: Obj | list[Any] | None = None, **kw: Any) -> str:
    """The message of the API server's refusal of a dry run, retried while new policies settle."""
    deadline = time.monotonic() + POLICY_SECONDS
    while True:
        status, message = send(api, method, path, body, dry_run=True, **kw)
        if status in (403, 422):
            return message
        assert 200 <= status < 300, (status, message)
        assert time.monotonic() < deadline, f"{method} {path} was never refused"
        time.sleep(0.25)


@contextmanager
def tenant_environment(cluster: Cluster, **backend_options: Any) -> Iterator[Tenant]:
    prefix = f"bftn{secrets.token_hex(3)}"
    backend = NamespaceBackend(prefix=prefix, kubeconfig=cluster.kubeconfig, **backend_options)
    environment = backend.environment_name(1)
    api = kube.client_from_file(cluster.kubeconfig)
    try:
        backend.create(environment, attempt_id=1)
        learner = kube.client_from_text(backend.learner_kubeconfig(environment, seconds=3600))
        try:
            yield Tenant(backend=backend, namespace=environment, api=api, learner=learner)
        finally:
            learner.close()
    finally:
        for leftover in backend.list_environments() | {environment}:
            backend.destroy(leftover)
        tenancy_remove(api, prefix)
        api.close()


def read(api: ApiClient, path: str) -> Obj:
    body = kube.call(api, "GET", path, what=f"read {path}")
    assert body is not None
    return body


def namespace_gone(api: ApiClient, namespace: str) -> bool:
    status, _ = kube.request(api, "GET", f"/api/v1/namespaces/{namespace}", what="read the namespace")
    return status == 404
