"""Errors at the Kubernetes boundary: callers never see the client library's exceptions.

The split follows what a caller can do: `KubeUnavailable` is worth retrying (the API server is
down, slow or overloaded), `KubeRejected` is not (retrying gets the same refusal).
"""

from __future__ import annotations


class KubeError(Exception):
    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class KubeUnavailable(KubeError):
    """Temporary: connection errors, timeouts, 408, 429 and 5xx answers."""


class KubeRejected(KubeError):
    """Permanent: the API server refused the request (invalid, forbidden, unknown kind)."""
