"""The warm pool: environments provisioned ahead, broken state applied, that a Start claims at once.

A pooled environment is an attempt like any other (the same provisioning, placement, capacity,
reap), owned by the pool's inactive account and marked `pooled`; it has no learner credentials.
A Start claims the oldest ready one of the challenge's current version with one conditional
update (two Starts never get the same one), then issues the learner's own token for it: the
claim is the learner's from that moment, with their own time to live. Anything that goes wrong
there gives the environment up and the Start falls back to a fresh one, so a Start never fails
because of the pool.

Targets: BREAKFIX_POOL_SIZE, or the challenge's own `pool_target`, raised by any PoolSchedule in
force. Pooled environments count against cluster capacity (and against BREAKFIX_CAPACITY), never
against a learner's limit; the pool is refilled only into free capacity, and gives way first
when a learner's environment finds every cluster full (services/clusters.py).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, F, Max, QuerySet
from django.utils import timezone

from challenges import secrets
from challenges.backends import get_backend
from challenges.failures import PERMANENT_ERRORS, TEMPORARY_ERRORS
from challenges.models import LIVE_STATUSES, Attempt, AttemptEvent, Challenge, PoolSchedule, Status

logger = logging.getLogger(__name__)

Kind = AttemptEvent.Kind
POOL_ACCOUNT = "breakfix-pool"
# A claim never takes an environment this close to being recycled.
CLAIM_MARGIN = timedelta(minutes=5)
# Token lifetime beyond the longest an attempt may live (as provisioning gives it).
TOKEN_MARGIN_SECONDS = 600


def pool_account_id() -> int:
    """The inactive account that owns pooled environments (it can never log in)."""
    account, made = get_user_model().objects.get_or_create(
        username=POOL_ACCOUNT, defaults={"is_active": False, "email": ""}
    )
    if made:
        account.set_unusable_password()
        account.save(update_fields=["password"])
    return int(account.pk)


def pool_target(challenge: Challenge, now: datetime | None = None) -> int:
    """How many environments of `challenge` to keep ready now."""
    return pool_targets(Challenge.objects.filter(pk=challenge.pk), now).get(challenge, 0)


def pool_targets(challenges: QuerySet[Challenge], now: datetime | None = None) -> dict[Challenge, int]:
    """How many environments of each challenge to keep ready now: two queries for them all (a
    refill sweep asks every few seconds, most often with no pool anywhere)."""
    now = now or timezone.now()
    raised = dict(
        PoolSchedule.objects.filter(challenge__in=challenges, starts_at__lte=now, ends_at__gt=now)
        .values("challenge_id")
        .annotate(top=Max("target"))
        .values_list("challenge_id", "top")
    )
    return {
        challenge: max(
            challenge.pool_target if challenge.pool_target is not None else settings.BREAKFIX_POOL_SIZE,
            raised.get(challenge.pk, 0),
        )
        for challenge in challenges
    }


def pool_claim(
    *,
    learner: AbstractBaseUser,
    challenge: Challenge,
    expires_at: datetime,
    hints_allowed: bool,
    freezes_at: datetime | None,
) -> Attempt | None:
    """Bind a ready pooled environment of the challenge's current version to `learner` (then
    pool_hand_over gives them its credentials); None when there is none."""
    now = timezone.now()
    candidates = Attempt.objects.filter(
        pooled=True,
        challenge=challenge,
        version_id=challenge.current_version.pk,
        status=Status.READY,
        expires_at__gt=now + CLAIM_MARGIN,
    ).order_by("ready_at")
    for pk in candidates.values_list("pk", flat=True)[:3]:
        taken = Attempt.objects.filter(pk=pk, pooled=True, status=Status.READY).update(
            pooled=False,
            learner_id=learner.pk,
            claimed_at=now,
            created_at=now,
            ready_at=now,
            expires_at=expires_at,
            hints_allowed=hints_allowed,
            freezes_at=freezes_at,
        )
        if taken:
            return Attempt.objects.select_related("cluster").get(pk=pk)
    return None


class HandOverFailed(Exception):
    """A claimed environment's credentials could not be issued: it is given up."""


def pool_hand_over(attempt: Attempt, learner: AbstractBaseUser, *, seconds: float = 0.0) -> Attempt:
    """The learner's own credentials for a claimed environment: a token issued now, for them.
    `seconds`: how long the claim took so far (recorded with the hand-over's own time)."""
    began = time.monotonic()
    lifetime = settings.BREAKFIX_MAX_TTL_MINUTES * 60 + TOKEN_MARGIN_SECONDS
    try:
        backend = get_backend(attempt.backend, cluster=attempt.cluster)
        kubeconfig = backend.learner_kubeconfig(attempt.environment, seconds=lifetime)
    except (*TEMPORARY_ERRORS, *PERMANENT_ERRORS) as exc:
        logger.warning("pool: could not hand over %s, giving it up: %s", attempt.environment, exc)
        raise HandOverFailed(str(exc)) from exc
    took = seconds + time.monotonic() - began
    Attempt.objects.filter(pk=attempt.pk).update(
        learner_kubeconfig=secrets.encrypt(kubeconfig), claim_seconds=took
    )
    attempt.refresh_from_db()
    attempt.record(Kind.READY, f"Environment {attempt.environment} is ready (prepared in advance).", learner)
    attempt.changed()
    return attempt


def pooled_live_counts(challenges: QuerySet[Challenge]) -> dict[int, int]:
    """Pooled environments of each challenge's current version on their way or ready, by
    challenge id (none: absent), in one query."""
    return dict(
        Attempt.objects.filter(
            pooled=True,
            challenge__in=challenges,
            version__content_hash=F("challenge__content_hash"),
            status__in=LIVE_STATUSES,
        )
        .values("challenge_id")
        .annotate(live=Count("pk"))
        .values_list("challenge_id", "live")
    )
