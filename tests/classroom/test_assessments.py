"""Assessments: scheduling, a learner's sitting under its rules, the time an instructor adds,
closing and scoring (per objective, by weight, less the hints' penalty), the results table and
its CSV, and what a learner sees. Closing an environment that is still running (its last check
on a real cluster, by a real worker) is tests/live/test_assessment_live.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from challenges.console.services import ConsoleUnavailable, console_run
from challenges.models import Attempt, CheckRun, Status
from challenges.services import checks
from challenges.services.attempts import TIME_IS_UP, AttemptError, AttemptNotReady, attempt_learner_kubeconfig
from challenges.services.attempts import attempt_reset as reset
from challenges.services.editor import EditorError, editor_objects
from challenges.services.hints import HintError, hint_unlock
from classroom.actions import Action, attempt_actions
from classroom.assessments import services
from classroom.assessments.results import result_csv_rows, results_table
from classroom.assessments.scoring import score_of
from classroom.models import Assessment, Classroom, Extension, Result, Sitting
from tests.classroom.base import ClassroomTestCase

TITLES = [("a", "First"), ("b", "Second"), ("c", "Third")]


class ScoringTest(ClassroomTestCase):
    def test_each_objective_earns_its_share(self) -> None:
        found = score_of(
            titles=TITLES,
            weights={},
            results=[
                {"key": "a", "passed": True},
                {"key": "b", "passed": False},
                {"key": "c", "passed": True},
            ],
            hints_used=0,
            hint_penalty_percent=10,
        )
        self.assertAlmostEqual(found.score, 2 / 3, places=3)
        self.assertEqual([o["passed"] for o in found.objectives], [True, False, True])

    def test_weights_count(self) -> None:
        found = score_of(
            titles=TITLES,
            weights={"a": 3},
            results=[{"key": "a", "passed": True}],
            hints_used=0,
            hint_penalty_percent=0,
        )
        self.assertAlmostEqual(found.score, 3 / 5, places=3)
        self.assertEqual(found.objectives[0]["weight"], 3)

    def test_hints_take_their_share_and_never_below_zero(self) -> None:
        everything = [{"key": k, "passed": True} for k, _ in TITLES]
        self.assertAlmostEqual(
            score_of(
                titles=TITLES, weights={}, results=everything, hints_used=2, hint_penalty_percent=10
            ).score,
            0.8,
        )
        self.assertEqual(
            score_of(
                titles=TITLES, weights={}, results=everything, hints_used=20, hint_penalty_percent=10
            ).score,
            0.0,
        )

    def test_no_check_scores_nothing(self) -> None:
        found = score_of(titles=TITLES, weights={}, results=[], hints_used=0, hint_penalty_percent=0)
        self.assertEqual(found.score, 0.0)
        self.assertFalse(any(o["passed"] for o in found.objectives))

    def test_content_weights_come_from_the_version(self) -> None:
        version = self.challenge("wrong-selector").current_version
        self.assertEqual(
            version.objective_weights(), {"service-routes-to-frontend": 1, "selector-uses-app-label": 1}
        )


class AssessmentTestCase(ClassroomTestCase):
    def schedule(
        self, *, started: timedelta = timedelta(minutes=5), lasts: int = 30, **rules: object
    ) -> Assessment:
        now = timezone.now()
        assessment = services.assessment_create(
            classroom=self.classroom,
            by=self.ivy,
            title="Week 3 practical",
            challenges=[self.challenge("wrong-selector"), self.challenge("expose-internally")],
            starts_at=now + timedelta(minutes=1),
            ends_at=now + timedelta(minutes=1 + lasts),
            **rules,  # type: ignore[arg-type]
        )
        # Scheduled in the future (as the service insists), then moved to where the test needs it.
        Assessment.objects.filter(pk=assessment.pk).update(
            starts_at=now - started, ends_at=now - started + timedelta(minutes=lasts)
        )
        assessment.refresh_from_db()
        return assessment


class SchedulingTest(AssessmentTestCase):
    def test_it_refuses_what_cannot_be_an_assessment(self) -> None:
        now = timezone.now()
        cases = [
            ([], now, now + timedelta(hours=1), "Choose at least one challenge."),
            ([self.challenge("partial-outage")], now, now + timedelta(hours=1), "assigned challenges"),
            ([self.challenge("wrong-selector")], now, now - timedelta(minutes=1), "after the start"),
            (
                [self.challenge("wrong-selector")],
                now - timedelta(hours=2),
                now - timedelta(hours=1),
                "in the past",
            ),
        ]
        for challenges, starts, ends, message in cases:
            with self.subTest(message), self.assertRaisesMessage(services.AssessmentError, message):
                services.assessment_create(
                    classroom=self.classroom,
                    by=self.ivy,
                    title="Bad",
                    challenges=challenges,
                    starts_at=starts,
                    ends_at=ends,
                )
        self.assertFalse(Assessment.objects.exists())

    def test_the_instructor_schedules_one_from_the_form(self) -> None:
        response = self.client_for(self.ivy).post(
            reverse("assessment_create", args=[self.classroom.pk]),
            {
                "title": "Friday quiz",
                "challenges": [str(self.challenge("wrong-selector").pk)],
                "starts_at": (timezone.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
                "minutes": "45",
                "max_attempts": "1",
                "hint_penalty_percent": "20",
                "show_solution": "on",
            },
        )
        assessment = Assessment.objects.get()
        self.assertRedirects(response, assessment.get_absolute_url())
        self.assertEqual((assessment.ends_at - assessment.starts_at), timedelta(minutes=45))
        self.assertEqual((assessment.max_attempts, assessment.hints_allowed), (1, False))

    def test_the_form_says_what_is_wrong(self) -> None:
        response = self.client_for(self.ivy).post(
            reverse("assessment_create", args=[self.classroom.pk]),
            {
                "title": "x",
                "starts_at": "not a date",
                "minutes": "0",
                "max_attempts": "1",
                "hint_penalty_percent": "5",
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Enter a valid date/time.")
        self.assertContains(response, "This field is required.")  # the challenges
        self.assertFalse(Assessment.objects.exists())


class SittingTest(AssessmentTestCase):
    def test_a_start_gives_an_environment_under_the_assessments_rules(self) -> None:
        assessment = self.schedule()
        attempt = services.assessment_start(assessment=assessment, learner=self.alice, slug="wrong-selector")
        sitting = Sitting.objects.get(assessment=assessment, learner=self.alice)
        self.assertEqual(list(sitting.attempts.all()), [attempt])
        self.assertEqual(attempt.expires_at, sitting.deadline + services.CLOSE_SLACK)
        self.assertEqual(attempt.freezes_at, sitting.deadline)
        self.assertFalse(attempt.hints_allowed)
        with self.assertRaisesMessage(HintError, "Hints open while"):
            hint_unlock(attempt=attempt)
        # Pressing it again is the same environment.
        again = services.assessment_start(assessment=assessment, learner=self.alice, slug="wrong-selector")
        self.assertEqual(again.pk, attempt.pk)

    def test_a_practice_environment_is_ended_first(self) -> None:
        practice = self.attempt_at(self.alice, "wrong-selector", Status.READY)
        assessment = self.schedule()
        attempt = services.assessment_start(assessment=assessment, learner=self.alice, slug="wrong-selector")
        practice.refresh_from_db()
        self.assertNotEqual(attempt.pk, practice.pk)
        self.assertEqual(practice.status, Status.ENDED)

    def test_the_environments_allowed_are_counted(self) -> None:
        assessment = self.schedule(max_attempts=1)
        first = services.assessment_start(assessment=assessment, learner=self.alice, slug="wrong-selector")
        Attempt.objects.filter(pk=first.pk).update(status=Status.ENDED)
        with self.assertRaisesMessage(services.AssessmentError, "used the 1 environments"):
            services.assessment_start(assessment=assessment, learner=self.alice, slug="wrong-selector")

    def test_nothing_starts_outside_the_window_or_the_assessment(self) -> None:
        upcoming = self.schedule(started=-timedelta(minutes=10))
        over = self.schedule(started=timedelta(hours=2), lasts=30)
        for assessment, slug, message in [
            (upcoming, "wrong-selector", "not open"),
            (over, "wrong-selector", "not open"),
            (self.schedule(), "partial-outage", "not part of this assessment"),
        ]:
            with self.subTest(message), self.assertRaisesMessage(services.AssessmentError, message):
                services.assessment_start(assessment=assessment, learner=self.alice, slug=slug)
        self.assertFalse(Attempt.objects.filter(learner=self.alice).exists())

    def test_over_the_http_a_start_outside_the_window_says_so(self) -> None:
        over = self.schedule(started=timedelta(hours=2), lasts=30)
        url = reverse("assessment_start", args=[self.classroom.pk, over.pk, "wrong-selector"])
        response = self.client_for(self.alice).post(url, follow=True)
        self.assertContains(response, "This assessment is not open")
        self.assertContains(response, "You did not take part in it.")
        self.assertFalse(Attempt.objects.exists())


class ExtensionTest(AssessmentTestCase):
    def test_more_time_for_one_learner_reaches_their_environments(self) -> None:
        assessment = self.schedule()
        attempt = services.assessment_start(assessment=assessment, learner=self.alice, slug="wrong-selector")
        sitting = services.sitting_extend(
            assessment=assessment, learner=self.alice, minutes=15, reason="Laptop died", by=self.ivy
        )
        self.assertEqual(sitting.deadline, assessment.ends_at + timedelta(minutes=15))
        attempt.refresh_from_db()
        self.assertEqual(attempt.expires_at, sitting.deadline + services.CLOSE_SLACK)
        self.assertEqual(attempt.freezes_at, sitting.deadline)
        self.assertEqual(
            list(Extension.objects.values_list("minutes", "reason", "granted_by")),
            [(15, "Laptop died", self.ivy.pk)],
        )

    def test_it_refuses_what_is_not_an_extension(self) -> None:
        assessment = self.schedule()
        for minutes, reason, message in [(0, "x", "between 1 and 240"), (10, "  ", "Say why")]:
            with self.subTest(message), self.assertRaisesMessage(services.AssessmentError, message):
                services.sitting_extend(
                    assessment=assessment, learner=self.alice, minutes=minutes, reason=reason, by=self.ivy
                )
        Sitting.objects.update_or_create(
            assessment=assessment, learner=self.alice, defaults={"closed_at": timezone.now()}
        )
        with self.assertRaisesMessage(services.AssessmentError, "has closed"):
            services.sitting_extend(
                assessment=assessment, learner=self.alice, minutes=5, reason="late", by=self.ivy
            )
        self.assertFalse(Extension.objects.exists())


class ClosingTest(AssessmentTestCase):
    def setUp(self) -> None:
        self.assessment = self.schedule(hints_allowed=True, hint_penalty_percent=25)
        self.sitting = Sitting.objects.create(
            assessment=self.assessment, learner=self.alice, opened_at=timezone.now()
        )

    def sat(self, slug: str, status: str, **fields: Any) -> Attempt:
        attempt = self.attempt_at(self.alice, slug, status, **fields)
        self.sitting.attempts.add(attempt)
        return attempt

    def test_it_waits_for_the_deadline_then_scores_the_best_check(self) -> None:
        solved = self.sat(
            "wrong-selector", Status.SOLVED, solved_after=timedelta(minutes=2), hints_unlocked=1
        )
        self.check_run(solved, [False, True])
        best = self.check_run(solved, [True, True])
        half = self.sat("expose-internally", Status.ENDED)
        partial = self.check_run(half, [True, False])
        self.assertEqual(list(services.due_sittings()), [])
        Assessment.objects.filter(pk=self.assessment.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
        due = list(services.due_sittings())
        self.assertEqual(due, [self.sitting])
        self.assertTrue(services.sitting_close(sitting=due[0]))
        self.assertFalse(services.sitting_close(sitting=due[0]), "a second close does nothing")
        scores = {r.challenge.slug: r for r in Result.objects.filter(sitting=self.sitting)}
        self.assertEqual(scores["wrong-selector"].percent, 75)  # all passed, one hint at 25%
        self.assertEqual(scores["wrong-selector"].check_run, best)
        self.assertEqual(scores["wrong-selector"].version, solved.version)
        self.assertEqual(scores["expose-internally"].percent, 50)
        self.assertEqual(scores["expose-internally"].check_run, partial)
        solved.refresh_from_db()
        self.assertEqual(solved.status, Status.EXPIRED, "the environment is removed at the end")
        self.sitting.refresh_from_db()
        self.assertIsNotNone(self.sitting.closed_at)

    def test_a_challenge_never_checked_scores_nothing_and_says_so(self) -> None:
        self.sat("wrong-selector", Status.ENDED)
        self.assessment_ends_now()
        services.sitting_close(sitting=Sitting.objects.get(pk=self.sitting.pk))
        result = Result.objects.get(sitting=self.sitting, challenge__slug="wrong-selector")
        self.assertEqual((result.score, result.check_run), (0.0, None))
        self.assertEqual([o["passed"] for o in result.objectives], [False, False])
        untouched = Result.objects.get(sitting=self.sitting, challenge__slug="expose-internally")
        self.assertEqual((untouched.score, untouched.attempt), (0.0, None))

    def test_end_now_closes_even_the_time_an_instructor_added(self) -> None:
        working = self.sat("wrong-selector", Status.READY)
        services.sitting_extend(
            assessment=self.assessment, learner=self.alice, minutes=30, reason="x", by=self.ivy
        )
        self.assertEqual(list(services.due_sittings()), [])
        working.refresh_from_db()
        self.assertFalse(working.is_frozen)
        with self.captureOnCommitCallbacks() as sent:
            self.assertTrue(services.assessment_end_now(assessment=self.assessment))
        self.assertEqual(len(sent), 1, "the closing task is sent")
        self.assertFalse(services.assessment_end_now(assessment=self.assessment))
        self.assertEqual([s.pk for s in services.due_sittings()], [self.sitting.pk])
        # The learner's work stops at once, before any worker closes the sitting.
        working.refresh_from_db()
        self.assertTrue(working.is_frozen and working.is_running)
        self.assertFalse(working.can_check)

    def assessment_ends_now(self) -> None:
        Assessment.objects.filter(pk=self.assessment.pk).update(ended_at=timezone.now())


class FreezeTest(AssessmentTestCase):
    """At the sitting's deadline the learner's work stops; the environment stays up a little
    longer for the platform's last check."""

    def setUp(self) -> None:
        self.assessment = self.schedule()
        started = services.assessment_start(
            assessment=self.assessment, learner=self.alice, slug="wrong-selector"
        )
        Attempt.objects.filter(pk=started.pk).update(
            status=Status.READY, ready_at=timezone.now(), environment="attempt-frozen"
        )
        self.attempt = Attempt.objects.get(pk=started.pk)
        self.sitting = Sitting.objects.get(assessment=self.assessment, learner=self.alice)

    def freeze(self) -> Attempt:
        Attempt.objects.filter(pk=self.attempt.pk).update(freezes_at=timezone.now() - timedelta(seconds=1))
        return Attempt.objects.get(pk=self.attempt.pk)

    def test_the_workspace_counts_down_to_the_sittings_deadline_not_the_environments(self) -> None:
        self.assertTrue(self.attempt.is_workspace_open and self.attempt.can_check)
        self.assertEqual(self.attempt.work_ends_at, self.sitting.deadline)
        page = self.client_for(self.alice).get(self.attempt.get_absolute_url())
        self.assertContains(page, f'data-countdown="{int(self.sitting.deadline.timestamp())}"')
        self.assertContains(page, 'id="console"')
        self.assertNotContains(page, "Time is up")

    def test_an_assessments_environment_is_not_reset_nor_extended(self) -> None:
        # A fresh one would have none of the sitting's rules (no hints, its clock).
        with self.assertRaisesMessage(AttemptError, "An assessment's environment is not reset"):
            reset(attempt=self.attempt, actor=self.alice)
        self.assertEqual(Attempt.objects.get(pk=self.attempt.pk).status, Status.READY)
        self.assertEqual(Attempt.objects.filter(learner=self.alice).count(), 1)
        self.assertFalse(self.attempt.can_extend())
        self.assertNotIn(Action.RESET, attempt_actions(attempt=self.attempt))
        page = self.client_for(self.alice).get(self.attempt.get_absolute_url())
        self.assertNotContains(page, reverse("attempt_reset", args=[self.attempt.pk]))
        self.assertContains(page, reverse("attempt_end", args=[self.attempt.pk]))

    def test_past_the_deadline_console_editor_checks_hints_and_credentials_stop(self) -> None:
        frozen = self.freeze()
        self.assertTrue(frozen.is_running and frozen.is_frozen)
        self.assertFalse(frozen.is_workspace_open)
        refusals = [
            (lambda: console_run(attempt=frozen, line="get pods"), ConsoleUnavailable),
            (lambda: editor_objects(attempt=frozen), EditorError),
            (lambda: checks.attempt_check_request(attempt=frozen, requested_by=self.alice), AttemptNotReady),
            (lambda: hint_unlock(attempt=frozen, given_by=self.ivy), HintError),
        ]
        for call, error in refusals:
            with self.subTest(error.__name__), self.assertRaisesMessage(error, TIME_IS_UP):
                call()
        with self.assertRaises(AttemptNotReady):
            attempt_learner_kubeconfig(attempt=frozen)
        self.assertFalse(CheckRun.objects.filter(attempt=frozen).exists())
        alice = self.client_for(self.alice)
        page = alice.get(frozen.get_absolute_url())
        self.assertContains(page, "Time is up")
        self.assertNotContains(page, 'id="console"')
        self.assertNotContains(page, reverse("attempt_check", args=[frozen.pk]))
        self.assertNotContains(page, reverse("attempt_end", args=[frozen.pk]))
        download = alice.get(reverse("attempt_kubeconfig", args=[frozen.pk]), follow=True)
        self.assertNotContains(download, "kind: Config")
        self.assertContains(download, "no kubeconfig to download")


class ResultsTest(AssessmentTestCase):
    def setUp(self) -> None:
        self.join(self.bob)
        self.assessment = self.schedule()
        sitting = Sitting.objects.create(
            assessment=self.assessment, learner=self.alice, opened_at=timezone.now()
        )
        attempt = self.attempt_at(
            self.alice, "wrong-selector", Status.SOLVED, solved_after=timedelta(minutes=1)
        )
        sitting.attempts.add(attempt)
        self.best_run = self.check_run(attempt, [True, True])
        Assessment.objects.filter(pk=self.assessment.pk).update(ended_at=timezone.now())
        services.sitting_close(sitting=Sitting.objects.get(pk=sitting.pk))

    def test_the_table_has_every_learner_and_the_mean_as_total(self) -> None:
        table = results_table(assessment=Assessment.objects.get(pk=self.assessment.pk))
        rows = {row.learner.username: row for row in table.rows}
        self.assertEqual(rows["alice"].total_percent, 50)  # 100% and 0%
        self.assertEqual((rows["bob"].state, rows["bob"].total_percent), ("did not sit", None))

    def test_the_csv_says_where_each_score_came_from(self) -> None:
        header, *rows = list(result_csv_rows(assessment=self.assessment))
        alice = [dict(zip(header, row, strict=True)) for row in rows if row[0] == "alice"]
        by_slug = {row["challenge"]: row for row in alice}
        self.assertEqual(by_slug["wrong-selector"]["score_percent"], 100)
        self.assertEqual(by_slug["wrong-selector"]["check_run"], self.best_run.pk)
        self.assertEqual(by_slug["expose-internally"]["score_percent"], 0)
        self.assertEqual(len([row for row in rows if row[0] == "bob"]), 2)

    def test_the_instructor_page_shows_partial_and_full_credit(self) -> None:
        response = self.client_for(self.ivy).get(self.assessment.get_absolute_url(), {"sort": "score"})
        self.assertContains(response, 'data-score="100"')
        self.assertContains(response, 'data-total="50"')
        self.assertContains(response, 'data-learner="bob" data-state="did not sit"')

    def test_a_learner_sees_their_own_result_and_nobody_elses(self) -> None:
        response = self.client_for(self.alice).get(self.assessment.get_absolute_url())
        self.assertContains(response, "Your result")
        self.assertContains(response, "100%")
        self.assertContains(response, "The reference solution")
        self.assertNotContains(response, "bob")

    def test_the_solution_stays_hidden_when_the_instructor_says_so(self) -> None:
        Assessment.objects.filter(pk=self.assessment.pk).update(show_solution=False)
        response = self.client_for(self.alice).get(self.assessment.get_absolute_url())
        self.assertNotContains(response, "The reference solution")

    def test_another_classrooms_assessment_is_not_found_here(self) -> None:
        other = Classroom.objects.create(name="Other", instructor=self.ian)
        theirs = Assessment.objects.create(
            classroom=other,
            title="Theirs",
            starts_at=timezone.now(),
            ends_at=timezone.now() + timedelta(hours=1),
            created_by=self.ian,
        )
        url = reverse("assessment", args=[self.classroom.pk, theirs.pk])
        self.assertEqual(self.client_for(self.ivy).get(url).status_code, 404)

    def test_nobody_edits_a_result_in_the_admin(self) -> None:
        root = type(self.ivy).objects.create_superuser("root", "root@example.org", "password-root")
        result = Result.objects.filter(sitting__learner=self.alice).first()
        assert result is not None
        url = reverse("admin:classroom_result_change", args=[result.pk])
        response = self.client_for(root).post(url, {"score": "1.0"})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(Result.objects.get(pk=result.pk).score, result.score)


class OnlyTheAssessmentTest(AssessmentTestCase):
    def test_during_a_sitting_the_catalog_starts_nothing(self) -> None:
        assessment = self.schedule()
        services.assessment_start(assessment=assessment, learner=self.alice, slug="wrong-selector")
        alice = self.client_for(self.alice)
        for slug in ("partial-outage", "expose-internally"):
            with self.subTest(slug):
                response = alice.post(reverse("attempt_start", args=[slug]), follow=True)
                self.assertContains(response, "You are taking Week 3 practical until")
        self.assertEqual(Attempt.objects.filter(learner=self.alice).count(), 1)
        # Once it is over (closed, its environment gone), practice opens again.
        Sitting.objects.filter(assessment=assessment).update(closed_at=timezone.now())
        Attempt.objects.filter(learner=self.alice).update(status=Status.EXPIRED)
        alice.post(reverse("attempt_start", args=["partial-outage"]))
        self.assertTrue(Attempt.objects.filter(learner=self.alice, challenge__slug="partial-outage").exists())

    def test_during_a_sitting_a_practice_environment_is_not_renewed_by_a_reset(self) -> None:
        practice = self.attempt_at(self.alice, "partial-outage", Status.FAILED)
        assessment = self.schedule()
        alice = self.client_for(self.alice)
        alice.get(assessment.get_absolute_url())  # opening the page begins the sitting
        response = alice.post(reverse("attempt_reset", args=[practice.pk]), follow=True)
        self.assertContains(response, "You are taking Week 3 practical until")
        self.assertEqual(list(Attempt.objects.filter(learner=self.alice)), [practice])
        with self.assertRaisesMessage(AttemptError, "You are taking Week 3 practical until"):
            reset(attempt=practice, actor=self.ivy)  # nor by the instructor's Reset
