"""An in-memory cluster backend for the Django tests of the attempt services.

It stands in for a cluster only where a unit test needs one; the same code paths run against
the real local control plane in tests/live/test_lifecycle.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar
from unittest import mock

from challenges.backends.base import ClusterBackend, Obj


class FakeApi:
    def __enter__(self) -> FakeApi:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class FakeBackend(ClusterBackend):
    name: ClassVar[str] = "namespace"
    whole_cluster: ClassVar[bool] = False

    def __init__(self, *, prefix: str = "bf") -> None:
        super().__init__(prefix=prefix)
        self.created: list[str] = []
        self.destroyed: list[str] = []
        self.existing: set[str] = set()
        self.create_error: Exception | None = None
        self.destroy_error: Exception | None = None
        self.token_error: Exception | None = None
        self.tokens = 0

    def platform_client(self, environment: str) -> Any:
        return FakeApi()

    def create(self, environment: str, *, attempt_id: int) -> None:
        if self.create_error is not None:
            raise self.create_error
        self.created.append(environment)
        self.existing.add(environment)

    def destroy(self, environment: str) -> None:
        if self.destroy_error is not None:
            raise self.destroy_error
        self.destroyed.append(environment)
        self.existing.discard(environment)

    def list_environments(self) -> set[str]:
        return set(self.existing)

    def access_documents(self, namespace: str) -> list[Obj]:
        return []

    def learner_kubeconfig(self, environment: str, *, seconds: int) -> str:
        if self.token_error is not None:
            raise self.token_error
        self.tokens += 1
        return f"apiVersion: v1\nkind: Config\n# token {self.tokens} for {environment}, {seconds}s\n"


@contextmanager
def fake_backend(backend: FakeBackend | None = None) -> Iterator[FakeBackend]:
    """Route the attempt services to a FakeBackend; kube calls on its fake ApiClient do nothing."""
    backend = backend or FakeBackend()
    with (
        mock.patch("challenges.services.provisioning.get_backend", return_value=backend),
        mock.patch("challenges.services.checks.get_backend", return_value=backend),
        mock.patch("challenges.services.sweeping.get_backend", return_value=backend),
        mock.patch("challenges.services.pool.get_backend", return_value=backend),
        mock.patch("challenges.services.provisioning.apply_with_history", return_value=[]),
        mock.patch("challenges.services.provisioning.apply_guards", return_value=[]),
    ):
        yield backend
