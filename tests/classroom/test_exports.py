"""CSV exports: the grid (learner-by-challenge) and every check run."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from django.contrib.auth.models import User
from django.http import StreamingHttpResponse
from django.urls import reverse

from challenges.models import Status
from tests.classroom.base import ClassroomTestCase


class ExportTestCase(ClassroomTestCase):
    def rows(self, name: str) -> list[dict[str, str]]:
        r = self.client_for(self.ivy).get(reverse(name, args=[self.classroom.pk]))
        assert isinstance(r, StreamingHttpResponse)
        self.assertEqual(r["Content-Type"], "text/csv; charset=utf-8")
        self.assertIn("attachment;", r["Content-Disposition"])
        body = b"".join(r.streaming_content).decode()
        return list(csv.DictReader(io.StringIO(body)))

    def test_the_grid_has_one_row_per_learner_and_challenge(self) -> None:
        self.join(self.bob)
        rows = self.rows("classroom_export_grid")
        self.assertEqual(
            [(r["learner"], r["challenge"]) for r in rows],
            [
                ("alice", "wrong-selector"),
                ("alice", "expose-internally"),
                ("bob", "wrong-selector"),
                ("bob", "expose-internally"),
            ],
        )

    def test_a_solved_row_holds_status_attempts_hints_and_times(self) -> None:
        self.attempt_at(
            self.alice, "wrong-selector", Status.DESTROYED, started=timedelta(hours=2), hints_unlocked=1
        )
        solved = self.attempt_at(
            self.alice,
            "wrong-selector",
            Status.SOLVED,
            solved_after=timedelta(minutes=7, seconds=30),
            hints_unlocked=2,
        )
        row = self.rows("classroom_export_grid")[0]
        assert solved.solved_at is not None
        self.assertEqual(row["status"], "solved")
        self.assertEqual(row["attempts"], "2")
        self.assertEqual(row["hints_used"], "3")
        self.assertEqual(row["time_to_solve_seconds"], "450")
        self.assertEqual(row["time_to_solve"], "7m 30s")
        self.assertEqual(row["solved_at"], solved.solved_at.isoformat())

    def test_a_working_row_holds_its_checks(self) -> None:
        attempt = self.attempt_at(self.alice, "wrong-selector")
        self.check_run(attempt, [True, False])
        row = self.rows("classroom_export_grid")[0]
        self.assertEqual((row["status"], row["checks_passed"], row["checks_total"]), ("checking", "1", "2"))
        self.assertEqual(row["solved_at"], "")

    def test_the_check_runs_export_lists_every_run_with_its_failures(self) -> None:
        attempt = self.attempt_at(self.alice, "wrong-selector")
        first = self.check_run(attempt, [False, False], ago=timedelta(minutes=3))
        second = self.check_run(attempt, [True, True])
        rows = self.rows("classroom_export_checks")
        self.assertEqual([r["check_run"] for r in rows], [str(first.pk), str(second.pk)])
        self.assertEqual(rows[0]["failed_objectives"], "service-routes-to-frontend;selector-uses-app-label")
        self.assertEqual((rows[1]["passed"], rows[1]["passed_count"], rows[1]["total"]), ("yes", "2", "2"))

    def test_the_check_runs_export_leaves_out_other_learners_and_challenges(self) -> None:
        self.check_run(self.attempt_at(self.bob, "wrong-selector"), [True, True])
        self.check_run(self.attempt_at(self.alice, "partial-outage"), [True, True])
        self.assertEqual(self.rows("classroom_export_checks"), [])

    def test_a_formula_in_a_name_is_defused(self) -> None:
        mallory = User.objects.create_user("=HYPERLINK(1)", email="@evil")
        self.join(mallory)
        row = self.rows("classroom_export_grid")[0]
        self.assertEqual((row["learner"], row["email"]), ("'=HYPERLINK(1)", "'@evil"))
