"""Data migrations: what they do to rows stored before them."""

from __future__ import annotations

import importlib

from django.apps import apps

from challenges.models import CheckRun
from tests.base import BaseTestCase

failed_objectives = importlib.import_module("challenges.migrations.0002_checkrun_failed_objectives")


class FailedObjectivesBackfillTestCase(BaseTestCase):
    def run_stored_before(self, state: str, passed: list[bool]) -> CheckRun:
        attempt = self.make_attempt(self.alice, "wrong-selector")
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
