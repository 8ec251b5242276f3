"""Classroom test base: ivy runs "Kubernetes 101" with two challenges assigned; alice joined it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.test import override_settings
from django.utils import timezone

from challenges.models import Attempt, Challenge, CheckRun, Status
from classroom.models import Assignment, Classroom, Membership
from tests.base import BaseTestCase


# Hashing the personas' passwords properly takes seconds per class on a small machine.
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class ClassroomTestCase(BaseTestCase):
    classroom: Classroom

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.classroom = Classroom.objects.create(name="Kubernetes 101", instructor=cls.ivy)
        for slug in ("wrong-selector", "expose-internally"):
            Assignment.objects.create(classroom=cls.classroom, challenge=Challenge.objects.get(slug=slug))
        Membership.objects.create(classroom=cls.classroom, learner=cls.alice)

    def join(self, learner: User, classroom: Classroom | None = None) -> Membership:
        return Membership.objects.create(classroom=classroom or self.classroom, learner=learner)

    def attempt_at(
        self,
        learner: User,
        slug: str,
        status: str = Status.READY,
        *,
        started: timedelta = timedelta(minutes=5),
        solved_after: timedelta | None = None,
        now: datetime | None = None,
        **fields: Any,
    ) -> Attempt:
        """An attempt that became ready `started` ago (and solved `solved_after` later)."""
        now = now or timezone.now()
        ready_at = now - started
        if solved_after is not None:
            fields["solved_at"] = ready_at + solved_after
        attempt = self.make_attempt(learner, slug, status, **fields)
        Attempt.objects.filter(pk=attempt.pk).update(
            created_at=ready_at - timedelta(seconds=20), ready_at=ready_at
        )
        attempt.refresh_from_db()
        return attempt

    def check_run(
        self,
        attempt: Attempt,
        passed: list[bool],
        *,
        ago: timedelta = timedelta(0),
        state: str = CheckRun.State.DONE,
    ) -> CheckRun:
        """A finished check run whose objectives pass or fail in the order of the challenge's objectives."""
        objectives = attempt.challenge.objectives
        results = [
            {
                "key": o["key"],
                "title": o["title"],
                "passed": ok,
                "message": "ok" if ok else o.get("failureMessage", "failed"),
                "details": {},
            }
            for o, ok in zip(objectives, passed, strict=True)
        ]
        run = CheckRun.objects.create(
            attempt=attempt,
            state=state,
            passed=all(passed),
            passed_count=sum(passed),
            total=len(passed),
            results=results,
            failed_objectives=[o["key"] for o, ok in zip(objectives, passed, strict=True) if not ok],
            requested_by=attempt.learner,
        )
        CheckRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - ago)
        run.refresh_from_db()
        return run
