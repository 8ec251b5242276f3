"""Talking to the class: notices to everyone or to one learner, shown in the workspace and in the
drill-down's timeline; and the next hint given by an instructor, at no cost to the learner."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from challenges import selectors
from challenges.models import AttemptEvent, Status
from classroom import notices
from classroom.models import Classroom, Notice
from tests.classroom.base import ClassroomTestCase


class NoticeTest(ClassroomTestCase):
    def test_it_refuses_an_empty_or_overlong_notice(self) -> None:
        for text, message in [
            ("   ", "Write something"),
            ("x" * 501, "under 500 characters (this one has 501)"),
        ]:
            with self.subTest(message), self.assertRaisesMessage(notices.NoticeRefused, message):
                notices.notice_send(classroom=self.classroom, by=self.ivy, text=text)
        self.assertFalse(Notice.objects.exists())

    def test_a_learner_gets_their_classes_notices_and_their_own_only(self) -> None:
        self.join(self.bob)
        other = Classroom.objects.create(name="Other", instructor=self.ian)
        everyone = notices.notice_send(classroom=self.classroom, by=self.ivy, text="Break in 5 minutes")
        mine = notices.notice_send(
            classroom=self.classroom, by=self.ivy, text="Check the port", learner=self.alice
        )
        notices.notice_send(classroom=self.classroom, by=self.ivy, text="Bob only", learner=self.bob)
        notices.notice_send(classroom=other, by=self.ian, text="Another class")
        old = notices.notice_send(classroom=self.classroom, by=self.ivy, text="Yesterday")
        Notice.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
        self.assertEqual(
            [n.pk for n in notices.learner_notices(learner_id=self.alice.pk)], [mine.pk, everyone.pk]
        )

    def test_the_workspace_shows_them_within_its_poll(self) -> None:
        attempt = self.attempt_at(self.alice, "wrong-selector", Status.READY)
        url = reverse("attempt_notices", args=[attempt.pk])
        empty = self.client_for(self.alice).get(url, headers={"HX-Request": "true"})
        self.assertNotContains(empty, "data-notice=")
        notices.notice_send(
            classroom=self.classroom, by=self.ivy, text="Look at the Service's selector", learner=self.alice
        )
        response = self.client_for(self.alice).get(url, headers={"HX-Request": "true"})
        self.assertContains(response, "To you:")
        self.assertContains(response, "Look at the Service&#x27;s selector")
        self.assertContains(response, 'hx-trigger="every 5s"')
        # Someone else's attempt is not found, as every workspace URL answers.
        self.assertEqual(self.client_for(self.bob).get(url).status_code, 404)

    def test_the_instructor_sends_from_the_dashboard_and_the_drilldown(self) -> None:
        ivy = self.client_for(self.ivy)
        r = ivy.post(reverse("classroom_notice", args=[self.classroom.pk]), {"text": "Eyes on the projector"})
        self.assertRedirects(r, reverse("classroom_dashboard", args=[self.classroom.pk]))
        # Sent while her attempt runs: its timeline shows it.
        self.attempt_at(self.alice, "wrong-selector", Status.READY, started=timedelta(minutes=1))
        r = ivy.post(
            reverse("classroom_notice", args=[self.classroom.pk]),
            {"text": "Try kubectl get endpoints", "learner": str(self.alice.pk), "slug": "wrong-selector"},
        )
        drilldown = reverse("classroom_drilldown", args=[self.classroom.pk, self.alice.pk, "wrong-selector"])
        self.assertRedirects(r, drilldown)
        self.assertEqual(Notice.objects.filter(learner=self.alice).get().text, "Try kubectl get endpoints")
        page = ivy.get(drilldown)
        self.assertContains(page, "Told alice")
        self.assertContains(page, "Try kubectl get endpoints")

    def test_a_learner_outside_the_classroom_cannot_be_sent_one(self) -> None:
        r = self.client_for(self.ivy).post(
            reverse("classroom_notice", args=[self.classroom.pk]), {"text": "Hi", "learner": str(self.bob.pk)}
        )
        self.assertEqual(r.status_code, 404)
        self.assertFalse(Notice.objects.exists())


class GivenHintTest(ClassroomTestCase):
    def test_a_hint_an_instructor_gives_costs_the_learner_nothing(self) -> None:
        attempt = self.attempt_at(self.alice, "wrong-selector", Status.READY)
        url = reverse("classroom_attempt_action", args=[self.classroom.pk, attempt.pk, "hint"])
        self.client_for(self.ivy).post(url)
        attempt.refresh_from_db()
        self.assertEqual((attempt.hints_unlocked, attempt.hints_given, attempt.hints_charged), (1, 1, 0))
        event = AttemptEvent.objects.get(attempt=attempt, kind=AttemptEvent.Kind.HINT)
        self.assertEqual((event.actor, event.message), (self.ivy, "Hint 1 of 3 given by an instructor"))
        solved = self.attempt_at(
            self.alice, "expose-internally", Status.SOLVED, solved_after=timedelta(minutes=3)
        )
        free = selectors.attempt_xp(attempt=solved)
        type(solved).objects.filter(pk=solved.pk).update(hints_unlocked=1, hints_given=1)
        solved.refresh_from_db()
        self.assertEqual(selectors.attempt_xp(attempt=solved), free, "a given hint takes no XP")
        type(solved).objects.filter(pk=solved.pk).update(hints_given=0)
        solved.refresh_from_db()
        self.assertLess(selectors.attempt_xp(attempt=solved), free, "a hint the learner took does")

    def test_an_assessment_without_hints_still_takes_an_instructors(self) -> None:
        attempt = self.attempt_at(self.alice, "wrong-selector", Status.READY, hints_allowed=False)
        self.client_for(self.ivy).post(
            reverse("classroom_attempt_action", args=[self.classroom.pk, attempt.pk, "hint"])
        )
        attempt.refresh_from_db()
        self.assertEqual(attempt.hints_unlocked, 1)
        r = self.client_for(self.alice).post(reverse("attempt_hint", args=[attempt.pk]), follow=True)
        attempt.refresh_from_db()
        self.assertEqual(attempt.hints_unlocked, 1, "the learner may not take one themselves")
        self.assertEqual(r.status_code, 200)
