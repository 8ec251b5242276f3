"""What can go wrong under an attempt, and how it is told: to the learner in their words, to staff
(the admin) and the logs in the cluster's.

A learner never reads the API server's address or the HTTP client's text: they read what
happened and what to do. The technical detail is kept beside it, for whoever runs the platform.
"""

from __future__ import annotations

from dataclasses import dataclass

import validators
from challenges import secrets
from challenges.backends import BackendError, BackendFailed, BackendUnavailable, ClustersFull

# Worth retrying: the cluster is down, slow or busy.
TEMPORARY_ERRORS: tuple[type[Exception], ...] = (BackendUnavailable, validators.ClusterUnavailable)
# Retrying gives the same answer: the attempt fails (or the check errs) with the message.
PERMANENT_ERRORS: tuple[type[Exception], ...] = (
    BackendFailed,
    validators.ObjectInvalid,
    validators.SpecInvalid,
    secrets.SecretUnreadable,
)

UNREACHABLE = (
    "The cluster did not answer in time, so your environment could not be created. "
    "Press Retry in a minute; if it happens again, tell your instructor."
)
REFUSED = (
    "The cluster refused this challenge's starting state, so your environment could not be created. "
    "This is a fault in the challenge, not in anything you did: try another challenge, and tell your "
    "instructor."
)
FULL = (
    "Every cluster of this installation stayed full for minutes, so your environment could not be "
    "created. Press Retry in a few minutes; if it happens again, tell your instructor."
)
CREDENTIALS = (
    "Your environment's credentials could not be read, so it cannot be used. Press Retry for a fresh one."
)
TOO_LONG = "Creating your environment took far too long, so it was given up. Press Retry for a fresh one."
INTERRUPTED = (
    "Creating your environment was interrupted twice (the platform's worker stopped), so it was given "
    "up. Press Retry for a fresh one."
)
CHECK_UNREACHABLE = "The cluster did not answer, so nothing was checked. Press Check again in a moment."
CHECK_REFUSED = (
    "The check could not read your environment: this is a fault in the challenge's checks, not in your "
    "work. Tell your instructor; pressing Check again gives the same answer."
)
CHECK_TOO_LONG = "The check took too long. Press Check again."
CHECK_INTERRUPTED = "The check was interrupted twice (the platform's worker stopped). Press Check again."
NOT_RUNNING = "The environment is no longer running."


@dataclass(frozen=True)
class Failure:
    reason: str  # for the learner: what happened and what to do
    detail: str = ""  # for staff and the logs: what the cluster or the backend said


def provision_failure(exc: Exception) -> Failure:
    """Why creating an environment failed, from the error that made it fail."""
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, BackendError) and not isinstance(exc, TEMPORARY_ERRORS):
        # A backend's own refusals are written for the learner (see backends.base.BackendError).
        return Failure(str(exc), detail)
    if isinstance(exc, secrets.SecretUnreadable):
        return Failure(CREDENTIALS, detail)
    if isinstance(exc, ClustersFull):
        return Failure(FULL, detail)
    if isinstance(exc, TEMPORARY_ERRORS):
        return Failure(UNREACHABLE, detail)
    return Failure(REFUSED, detail)


def check_failure(exc: Exception) -> Failure:
    """Why a check could not run."""
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, TEMPORARY_ERRORS):
        return Failure(CHECK_UNREACHABLE, detail)
    return Failure(CHECK_REFUSED, detail)
