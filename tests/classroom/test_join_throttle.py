"""The pause on wrong invite codes holds when the tries arrive at once, on the shared Redis cache."""

from __future__ import annotations

import secrets
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.models import User
from django.db import connection
from pytest_django.fixtures import Settings

from classroom import services

pytestmark = [pytest.mark.worker, pytest.mark.django_db]


def test_simultaneous_wrong_codes_get_no_more_lookups_than_allowed(
    redis_url: str, settings: Settings
) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    }
    # Never saved: only the id names the count. Each thread gets its own cache client and
    # connection, as separate web processes would.
    learner = User(pk=10**9 + secrets.randbelow(10**9), username="mallory")

    def guess(i: int) -> str:
        try:
            services.classroom_join(learner=learner, code=f"WRONG{i:07d}")
        except services.JoinRefused as refused:
            return type(refused).__name__
        finally:
            connection.close()
        return "joined"

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = Counter(pool.map(guess, range(60)))
    assert outcomes == {"InviteCodeUnknown": services.JOIN_FAILURES_ALLOWED, "JoinThrottled": 40}
