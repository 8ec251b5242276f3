"""An attempt's state machine in words: its statuses, how it can come out, and the groups of
statuses its rules speak of, each defined here once. The rules themselves are the predicates
and queryset methods of challenges.models.Attempt; the transitions are the services'.

    requested → provisioning → ready → solved         the way up
    any live status → ended | expired                 an ending (by a person, or by time)
    requested | provisioning → failed                 a failure, with a reason
    provisioning → requested                          once, when its worker died
    ended | expired | failed → destroyed              the teardown; the outcome stays
"""

from __future__ import annotations

from django.db import models


class Status(models.TextChoices):
    REQUESTED = "requested", "Requested"
    PROVISIONING = "provisioning", "Provisioning"
    READY = "ready", "Ready"
    SOLVED = "solved", "Solved"
    ENDED = "ended", "Ended"
    EXPIRED = "expired", "Expired"
    FAILED = "failed", "Failed"
    DESTROYED = "destroyed", "Destroyed"


class Outcome(models.TextChoices):
    """How an attempt came out, set by the transition that decided it and kept after teardown."""

    SOLVED = "solved", "Solved"
    ENDED_BY_LEARNER = "ended_by_learner", "Ended by the learner"
    ENDED_BY_INSTRUCTOR = "ended_by_instructor", "Ended by an instructor"
    EXPIRED = "expired", "Time ran out"
    FAILED = "failed", "Failed"


# The groups of statuses the rules speak of, each defined here once; the predicates and the
# queryset methods of Attempt are how the rest of the code asks.
# On its way: a worker is (or is about to be) making the environment.
WAITING_STATUSES = (Status.REQUESTED, Status.PROVISIONING)
# Counts against the learner's limit, may be extended. A solved one makes way for the next.
ACTIVE_STATUSES = (*WAITING_STATUSES, Status.READY)
# Holds (or is about to hold) an environment: counts against the installation's capacity.
LIVE_STATUSES = (*ACTIVE_STATUSES, Status.SOLVED)
# The environment is up: the workspace (console, editor, kubeconfig) is open.
RUNNING_STATUSES = (Status.READY, Status.SOLVED)
# Over, and the environment still has to be torn down.
FINISHED_STATUSES = (Status.ENDED, Status.EXPIRED, Status.FAILED)
