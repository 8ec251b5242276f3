"""The library's own exceptions: callers never see the Kubernetes client's.

The split follows what a caller can do about it: `ClusterUnavailable` is worth
retrying (the API server is down, overloaded or slow), `ObjectInvalid` and
`SpecInvalid` are not (retrying gives the same answer).
"""

from __future__ import annotations


class ValidatorError(Exception):
    """Base class of every error this library raises on purpose."""


class ClusterUnavailable(ValidatorError):
    """Temporary: connection errors, timeouts, 429 and 5xx answers. The caller retries."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ObjectInvalid(ValidatorError):
    """Permanent: the API refused the request or served something the check cannot use."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class SpecInvalid(ValidatorError, ValueError):
    """An objective spec does not fit its type's schema.

    Also a ValueError, so a pydantic validator that calls `validate_spec` turns it
    into an ordinary validation error naming the offending field.
    """
