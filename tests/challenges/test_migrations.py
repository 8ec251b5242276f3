"""Data migrations: what they do to rows stored before them."""

from __future__ import annotations

import importlib
from datetime import timedelta

from django.apps import apps
from django.utils import timezone

from challenges.models import Attempt, AttemptEvent, CheckRun, Outcome, Status
from tests.base import BaseTestCase

failed_objectives = importlib.import_module("challenges.migrations.0002_checkrun_failed_objectives")


class FailedObjectivesBackfillTestCase(BaseTestCase):
    def run_stored_before(self, state: str, passed: list[bool]) -> CheckRun:
        # Ended attempts: any number of them per learner and challenge.
        attempt = self.make_attempt(self.alice, "wrong-selector", Status.ENDED)
        return CheckRun.objects.create(
            attempt=attempt,
            state=state,
            passed=all(passed),
            results=[{"key": f"objective-{i}", "passed": ok} for i, ok in enumerate(passed)],
        )

    def test_it_reads_the_failing_objectives_of_finished_runs_from_their_results(self) -> None:
        failed = self.run_stored_before(CheckRun.State.DONE, [False, True, False])
        passed = self.run_stored_before(CheckRun.State.DONE, [True, True])
        failed_objectives.backfill(apps, None)
        failed.refresh_from_db()
        passed.refresh_from_db()
        self.assertEqual(failed.failed_objectives, ["objective-0", "objective-2"])
        self.assertEqual(passed.failed_objectives, [])

    def test_it_leaves_runs_that_did_not_finish(self) -> None:
        errored = self.run_stored_before(CheckRun.State.ERROR, [False])
        failed_objectives.backfill(apps, None)
        errored.refresh_from_db()
        self.assertEqual(errored.failed_objectives, [])


lifecycle = importlib.import_module("challenges.migrations.0003_attempt_lifecycle")


class OutcomeBackfillTestCase(BaseTestCase):
    def stored_before(self, status: str, **fields: object) -> Attempt:
        return self.make_attempt(self.alice, "wrong-selector", status, outcome="", **fields)

    def test_it_reads_each_outcome_once_from_what_the_attempt_kept(self) -> None:
        now = timezone.now()
        solved = self.stored_before(Status.DESTROYED, solved_at=now)
        failed = self.stored_before(Status.DESTROYED, error="quota exceeded")
        expired = self.stored_before(Status.DESTROYED, expires_at=now, ended_at=now)
        by_learner = self.stored_before(Status.DESTROYED, expires_at=now + timedelta(hours=1), ended_at=now)
        by_instructor = self.stored_before(Status.ENDED)
        AttemptEvent.objects.create(attempt=by_instructor, kind="ended", actor=self.ivy)
        running = self.stored_before(Status.READY)
        lifecycle.backfill_outcomes(apps, None)
        outcomes = {a.pk: a.outcome for a in Attempt.objects.all()}
        self.assertEqual(
            [outcomes[a.pk] for a in (solved, failed, expired, by_learner, by_instructor, running)],
            [
                Outcome.SOLVED,
                Outcome.FAILED,
                Outcome.EXPIRED,
                Outcome.ENDED_BY_LEARNER,
                Outcome.ENDED_BY_INSTRUCTOR,
                "",
            ],
        )

    def test_it_spells_event_kinds_one_way(self) -> None:
        attempt = self.stored_before(Status.READY)
        event = AttemptEvent.objects.create(attempt=attempt, kind="editor-apply")
        lifecycle.rename_kinds(apps, None)
        event.refresh_from_db()
        self.assertEqual(event.kind, AttemptEvent.Kind.EDITOR_APPLY)
