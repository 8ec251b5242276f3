"""Assessments with a time per learner: each learner's clock starts at their first Open (a look at
the page does not start it), runs out on its own before the window's end, and never past it; the
time an instructor adds counts on top, begun or not."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from challenges.services import attempts
from classroom.assessments import services
from classroom.assessments.results import results_table
from classroom.models import Assessment, Sitting
from tests.classroom.test_assessments import AssessmentTestCase


class DurationTest(AssessmentTestCase):
    def test_a_time_longer_than_the_window_is_refused(self) -> None:
        now = timezone.now()
        for minutes in (0, 61):
            with (
                self.subTest(minutes),
                self.assertRaisesMessage(services.AssessmentError, "Each learner's time"),
            ):
                services.assessment_create(
                    classroom=self.classroom,
                    by=self.ivy,
                    title="Bad",
                    challenges=[self.challenge("wrong-selector")],
                    starts_at=now + timedelta(minutes=1),
                    ends_at=now + timedelta(minutes=61),
                    duration_minutes=minutes,
                )
        self.assertFalse(Assessment.objects.exists())

    def test_the_instructor_sets_it_in_the_form(self) -> None:
        form = {
            "title": "Any time this week",
            "challenges": [str(self.challenge("wrong-selector").pk)],
            "starts_at": (timezone.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "minutes": "120",
            "max_attempts": "1",
            "hint_penalty_percent": "0",
        }
        url = reverse("assessment_create", args=[self.classroom.pk])
        refused = self.client_for(self.ivy).post(url, {**form, "duration_minutes": "121"})
        self.assertContains(refused, "must be between 1 minute and the window (120 min)")
        self.assertFalse(Assessment.objects.exists())
        self.client_for(self.ivy).post(url, {**form, "duration_minutes": "40"})
        assessment = Assessment.objects.get()
        self.assertEqual(assessment.duration_minutes, 40)
        page = self.client_for(self.ivy).get(assessment.get_absolute_url())
        self.assertContains(page, "40 min each, from their first Open")

    def test_a_look_at_the_page_does_not_start_the_clock_the_first_open_does(self) -> None:
        assessment = self.schedule(lasts=60, duration_minutes=20)
        page = self.client_for(self.alice).get(assessment.get_absolute_url())
        self.assertContains(page, "Your clock has not started.")
        self.assertContains(page, 'data-challenge="wrong-selector"')
        self.assertFalse(Sitting.objects.filter(opened_at__isnull=False).exists())
        rows = {row.learner.username: row for row in results_table(assessment=assessment).rows}
        self.assertEqual(rows["alice"].state, "not begun")
        # Practice stays open until they begin.
        self.assertEqual(
            services.start_refusal(learner=self.alice, challenge=self.challenge("partial-outage")), ""
        )

        before = timezone.now()
        attempt = services.assessment_start(assessment=assessment, learner=self.alice, slug="wrong-selector")
        sitting = Sitting.objects.get(assessment=assessment, learner=self.alice)
        assert sitting.opened_at is not None
        self.assertGreaterEqual(sitting.opened_at, before)
        self.assertEqual(sitting.deadline, sitting.opened_at + timedelta(minutes=20))
        self.assertLess(sitting.deadline, assessment.ends_at)
        self.assertEqual(attempt.freezes_at, sitting.deadline)
        self.assertIn(
            "You are taking",
            services.start_refusal(learner=self.alice, challenge=self.challenge("partial-outage")),
        )
        # Opening another of its challenges later does not restart the clock.
        attempts.attempt_end(attempt=attempt, actor=None, message="Next one.")
        services.assessment_start(assessment=assessment, learner=self.alice, slug="expose-internally")
        self.assertEqual(Sitting.objects.get(pk=sitting.pk).opened_at, sitting.opened_at)
        page = self.client_for(self.alice).get(assessment.get_absolute_url())
        self.assertContains(page, f'data-countdown="{int(sitting.deadline.timestamp())}"')

    def test_a_learner_who_begins_late_has_until_the_end_not_longer(self) -> None:
        assessment = self.schedule(started=timedelta(minutes=50), lasts=60, duration_minutes=20)
        services.assessment_start(assessment=assessment, learner=self.alice, slug="wrong-selector")
        self.assertEqual(Sitting.objects.get(learner=self.alice).deadline, assessment.ends_at)

    def test_time_added_before_they_begin_counts_on_top_of_their_own(self) -> None:
        assessment = self.schedule(lasts=60, duration_minutes=20)
        services.sitting_extend(
            assessment=assessment, learner=self.alice, minutes=10, reason="Dyslexia", by=self.ivy
        )
        sitting = Sitting.objects.get(learner=self.alice)
        self.assertFalse(sitting.has_begun)
        rows = {row.learner.username: row for row in results_table(assessment=assessment).rows}
        self.assertEqual(rows["alice"].state, "not begun")
        self.assertEqual(
            services.start_refusal(learner=self.alice, challenge=self.challenge("partial-outage")), ""
        )

        services.assessment_start(assessment=assessment, learner=self.alice, slug="wrong-selector")
        sitting.refresh_from_db()
        assert sitting.opened_at is not None
        self.assertEqual(sitting.deadline, sitting.opened_at + timedelta(minutes=30))

    def test_the_sweep_closes_a_sitting_whose_own_time_ran_out_before_the_end(self) -> None:
        assessment = self.schedule(started=timedelta(minutes=30), lasts=60, duration_minutes=20)
        now = timezone.now()
        ran_out = Sitting.objects.create(
            assessment=assessment, learner=self.alice, opened_at=now - timedelta(minutes=21)
        )
        self.join(self.bob)
        working = Sitting.objects.create(
            assessment=assessment, learner=self.bob, opened_at=now - timedelta(minutes=5)
        )
        self.assertEqual([s.pk for s in services.due_sittings(now)], [ran_out.pk])
        self.assertTrue(services.sitting_close(sitting=ran_out))
        self.assertTrue(Sitting.objects.get(pk=ran_out.pk).closed_at)
        self.assertIsNone(Sitting.objects.get(pk=working.pk).closed_at)

    def test_a_learner_who_never_began_did_not_sit(self) -> None:
        assessment = self.schedule(lasts=60, duration_minutes=20)
        services.sitting_extend(
            assessment=assessment, learner=self.alice, minutes=5, reason="Late bus", by=self.ivy
        )
        Assessment.objects.filter(pk=assessment.pk).update(ended_at=timezone.now())
        self.assertTrue(services.sitting_close(sitting=Sitting.objects.get(learner=self.alice)))
        rows = {
            row.learner.username: row
            for row in results_table(assessment=Assessment.objects.get(pk=assessment.pk)).rows
        }
        self.assertEqual((rows["alice"].state, rows["alice"].total_percent), ("did not sit", None))
        page = self.client_for(self.alice).get(assessment.get_absolute_url())
        self.assertContains(page, "You did not take part in it.")
        self.assertNotContains(page, "Your result")
