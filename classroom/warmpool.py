"""Warm pools an instructor raises for a class: "keep 40 Wrong Selector ready from 08:50 for 90
minutes", so that 40 learners pressing Start at 09:00 each get a ready environment at once.

The pool itself is the platform's (challenges/services/pool.py): this writes a PoolSchedule for a
challenge the classroom is assigned, and keeps which classroom it is for.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone

from challenges.models import Challenge, PoolSchedule
from classroom.models import Classroom, WarmPool


class WarmPoolRefused(ValueError):
    """The schedule cannot be made; the message says why, for the instructor."""


def warm_pool_raise(
    *,
    classroom: Classroom,
    instructor: AbstractBaseUser,
    challenge: Challenge,
    ready: int,
    starts_at: datetime,
    minutes: int,
) -> WarmPool:
    if not classroom.assignments.filter(challenge=challenge).exists():
        raise WarmPoolRefused(f"“{challenge.title}” is not assigned to this classroom.")
    ends_at = starts_at + timedelta(minutes=minutes)
    if ends_at <= timezone.now():
        raise WarmPoolRefused("That time is over already: choose a start in the future.")
    with transaction.atomic():
        schedule = PoolSchedule.objects.create(
            challenge=challenge,
            target=ready,
            starts_at=starts_at,
            ends_at=ends_at,
            note=f"for {classroom.name}",
            created_by_id=instructor.pk,
        )
        return WarmPool.objects.create(classroom=classroom, schedule=schedule)


def warm_pool_cancel(*, classroom: Classroom, pk: int) -> PoolSchedule:
    """Cancel one of this classroom's warm pools (another classroom's is a 404)."""
    pool = get_object_or_404(
        WarmPool.objects.select_related("schedule__challenge"), classroom=classroom, pk=pk
    )
    schedule = pool.schedule
    schedule.delete()
    return schedule


def warm_pools_of(*, classroom: Classroom) -> list[WarmPool]:
    """The classroom's warm pools not yet over, soonest first."""
    return list(
        classroom.warm_pools.filter(schedule__ends_at__gt=timezone.now())
        .select_related("schedule__challenge")
        .order_by("schedule__starts_at")
    )
