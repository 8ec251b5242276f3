"""Cluster backends: where an attempt's environment lives (see base.ClusterBackend).

`namespace` gives each attempt a namespace on the cluster of BREAKFIX_KUBECONFIG; `kind` gives
each attempt a kind cluster of its own. The attempt records which one made its environment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from challenges.backends.base import (
    LEARNER,
    BackendError,
    BackendFailed,
    BackendUnavailable,
    ClusterBackend,
    ClustersFull,
)
from challenges.backends.kind import KindBackend, KindCommandError
from challenges.backends.namespace import NamespaceBackend

if TYPE_CHECKING:
    from challenges.capacity import Cluster

BACKENDS = ("namespace", "kind")
CLASSES: dict[str, type[ClusterBackend]] = {"namespace": NamespaceBackend, "kind": KindBackend}


def gives_whole_cluster(name: str | None = None) -> bool:
    """Whether the backend called `name` (default: BREAKFIX_BACKEND) gives each attempt a cluster
    of its own, where a challenge may create cluster-scoped objects."""
    name = name or settings.BREAKFIX_BACKEND
    if name not in CLASSES:
        raise BackendFailed(
            f"There is no cluster backend called {name!r}; choose one of {', '.join(BACKENDS)}."
        )
    return CLASSES[name].whole_cluster


def get_backend(name: str | None = None, *, cluster: Cluster | None = None) -> ClusterBackend:
    """The backend called `name` (default: BREAKFIX_BACKEND), configured from settings; for the
    `namespace` backend, on a registered `cluster` (default: the one of BREAKFIX_KUBECONFIG)."""
    name = name or settings.BREAKFIX_BACKEND
    if name == "namespace":
        return NamespaceBackend(
            prefix=settings.BREAKFIX_ENVIRONMENT_PREFIX,
            kubeconfig=cluster.config() if cluster is not None else settings.BREAKFIX_KUBECONFIG,
            terminating_retry_seconds=settings.BREAKFIX_TERMINATING_RETRY_SECONDS,
        )
    if name == "kind":
        return KindBackend(
            prefix=settings.BREAKFIX_KIND_PREFIX,
            kind=settings.BREAKFIX_KIND,
            wait_seconds=settings.BREAKFIX_KIND_WAIT_SECONDS,
            internal=settings.BREAKFIX_KIND_INTERNAL,
        )
    raise BackendFailed(f"There is no cluster backend called {name!r}; choose one of {', '.join(BACKENDS)}.")


__all__ = [
    "BACKENDS",
    "LEARNER",
    "BackendError",
    "BackendFailed",
    "BackendUnavailable",
    "ClusterBackend",
    "ClustersFull",
    "KindBackend",
    "KindCommandError",
    "NamespaceBackend",
    "get_backend",
    "gives_whole_cluster",
]
