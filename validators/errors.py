"""The library's own exceptions: callers never see the Kubernetes client's.

One family at the Kubernetes boundary, split by what a caller can do about it:
`ClusterUnavailable` is worth retrying (the API server is down, overloaded or slow),
`ObjectInvalid` is not (the API refused the request, or served something the check cannot use:
retrying gives the same answer). Both carry the API's HTTP status and its Status `reason`
(NotFound, Forbidden, Invalid, ...) when an answer came. `SpecInvalid` is a challenge's mistake,
found before anything is sent.
"""

from __future__ import annotations

from typing import ClassVar


class ValidatorError(Exception):
    """Base class of every error this library raises on purpose."""


class KubeError(ValidatorError):
    """Something at the Kubernetes boundary did not work; `temporary` says whether retrying may help.

    `status` is the API's HTTP status (None when no answer came at all) and `reason` the `reason`
    of its Status answer ("" when it gave none).
    """

    temporary: ClassVar[bool] = False

    def __init__(self, message: str, *, status: int | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason


class ClusterUnavailable(KubeError):
    """Temporary: no answer (connection refused or reset, timeout), or 408, 429 and most 5xx."""

    temporary = True


class ObjectInvalid(KubeError):
    """Permanent: the API refused the request (4xx, or a 500 for an object it cannot read), or
    served something the check cannot use."""

    temporary = False


class SpecInvalid(ValidatorError, ValueError):
    """An objective spec does not fit its type's schema.

    Also a ValueError, so a pydantic validator that calls `validate_spec` turns it
    into an ordinary validation error naming the offending field.
    """
