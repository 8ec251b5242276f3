"""The learner-by-challenge timeline, and the instructor's actions on an environment."""

from __future__ import annotations

from datetime import timedelta

from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone

from challenges.models import Attempt, AttemptEvent, ConsoleCommand, HintUnlock, Outcome, Status
from tests.classroom.base import ClassroomTestCase


class TimelineTestCase(ClassroomTestCase):
    def url(self) -> str:
        return reverse("classroom_drilldown", args=[self.classroom.pk, self.alice.pk, "wrong-selector"])

    def test_it_shows_every_kind_of_entry_with_its_time(self) -> None:
        attempt = self.attempt_at(
            self.alice, "wrong-selector", expires_at=timezone.now() + timedelta(minutes=30)
        )
        AttemptEvent.objects.create(attempt=attempt, kind="ready", message="Environment bf-1 is ready.")
        ConsoleCommand.objects.create(
            attempt=attempt, command="kubectl get endpoints frontend", exit_code=0, output="frontend   <none>"
        )
        ConsoleCommand.objects.create(attempt=attempt, command="kubectl --as admin get pods", refused=True)
        HintUnlock.objects.create(attempt=attempt, index=0)
        self.check_run(attempt, [False, True])
        r = self.client_for(self.ivy).get(self.url())
        self.assertContains(r, "Environment requested")
        self.assertContains(r, "Environment bf-1 is ready.")
        self.assertContains(r, "$ kubectl get endpoints frontend")
        self.assertContains(r, "frontend   &lt;none&gt;")
        self.assertContains(r, "refused")
        self.assertContains(r, "Hint 1 unlocked")
        self.assertContains(r, "Check: 1 of 2 objectives pass")
        self.assertContains(r, "Service frontend does not route traffic to the frontend pods yet.")
        self.assertContains(r, '<li class="fail">', 1)
        self.assertContains(r, '<li class="pass">', 1)
        # requested (from the attempt), ready (its event), two commands, a hint, a check
        self.assertContains(r, "<time datetime=", 6)
        self.assertContains(r, "<strong>Environment ready</strong>", 1)  # once, not twice

    def test_entries_are_in_time_order(self) -> None:
        attempt = self.attempt_at(self.alice, "wrong-selector")
        late = ConsoleCommand.objects.create(attempt=attempt, command="kubectl get svc")
        early = ConsoleCommand.objects.create(attempt=attempt, command="kubectl get pods")
        ConsoleCommand.objects.filter(pk=early.pk).update(created_at=late.created_at - timedelta(minutes=1))
        body = self.client_for(self.ivy).get(self.url()).content.decode()
        self.assertLess(body.index("kubectl get pods"), body.index("kubectl get svc"))

    def test_it_shows_each_attempt_newest_first(self) -> None:
        first = self.attempt_at(
            self.alice,
            "wrong-selector",
            Status.DESTROYED,
            started=timedelta(hours=1),
            error="quota",
            outcome=Outcome.FAILED,
        )
        second = self.attempt_at(self.alice, "wrong-selector")
        body = self.client_for(self.ivy).get(self.url()).content.decode()
        self.assertLess(body.index(f"Attempt #{second.pk}"), body.index(f"Attempt #{first.pk}"))
        self.assertIn("Environment failed", body)

    def test_it_says_who_acted(self) -> None:
        attempt = self.attempt_at(self.alice, "wrong-selector")
        AttemptEvent.objects.create(
            attempt=attempt, kind="extended", message="Extended until 12:00 UTC.", actor=self.ivy
        )
        self.assertContains(
            self.client_for(self.ivy).get(self.url()), '<span class="actor">by ivy</span>', html=True
        )

    def test_it_names_no_actor_when_the_learner_acted(self) -> None:
        attempt = self.attempt_at(self.alice, "wrong-selector")
        AttemptEvent.objects.create(
            attempt=attempt, kind=AttemptEvent.Kind.EDITOR_APPLY, message="Service/frontend", actor=self.alice
        )
        r = self.client_for(self.ivy).get(self.url())
        self.assertContains(r, "Applied from the editor")
        self.assertNotContains(r, 'class="actor"')

    def test_a_hint_shows_once_though_it_has_an_event_too(self) -> None:
        attempt = self.attempt_at(self.alice, "wrong-selector")
        HintUnlock.objects.create(attempt=attempt, index=0)
        AttemptEvent.objects.create(
            attempt=attempt, kind="hint", message="Hint 1 of 3 unlocked", actor=self.alice
        )
        self.assertContains(self.client_for(self.ivy).get(self.url()), "Hint 1", 1)

    def test_a_learner_who_has_not_started_has_an_empty_timeline(self) -> None:
        self.assertContains(self.client_for(self.ivy).get(self.url()), "has not started this challenge yet")

    def test_staff_see_the_timeline_without_actions(self) -> None:
        self.attempt_at(self.alice, "wrong-selector", expires_at=timezone.now() + timedelta(minutes=30))
        r = self.client_for(self.sam).get(self.url())
        self.assertContains(r, "Environment requested")
        self.assertNotContains(r, "data-action=")


class ActionTestCase(ClassroomTestCase):
    def setUp(self) -> None:
        self.attempt = self.attempt_at(
            self.alice, "wrong-selector", expires_at=timezone.now() + timedelta(minutes=10)
        )

    def act(self, action: str, attempt: Attempt | None = None) -> HttpResponseBase:
        url = reverse(
            "classroom_attempt_action", args=[self.classroom.pk, (attempt or self.attempt).pk, action]
        )
        return self.client_for(self.ivy).post(url, follow=True)

    def test_the_drilldown_offers_the_actions_for_a_running_environment(self) -> None:
        r = self.client_for(self.ivy).get(
            reverse("classroom_drilldown", args=[self.classroom.pk, self.alice.pk, "wrong-selector"])
        )
        for action in ("extend", "reset", "end"):
            self.assertContains(r, f'data-action="{action}"')

    def test_extending_pushes_the_deadline_and_records_the_instructor(self) -> None:
        before = self.attempt.expires_at
        r = self.act("extend")
        self.attempt.refresh_from_db()
        assert before is not None and self.attempt.expires_at is not None
        self.assertGreater(self.attempt.expires_at, before)
        self.assertTrue(
            AttemptEvent.objects.filter(attempt=self.attempt, kind="extended", actor=self.ivy).exists()
        )
        self.assertContains(r, "alice&#x27;s environment has more time")

    def test_ending_ends_and_records_the_instructor(self) -> None:
        r = self.act("end")
        self.attempt.refresh_from_db()
        self.assertEqual(self.attempt.status, Status.ENDED)
        self.assertTrue(
            AttemptEvent.objects.filter(attempt=self.attempt, kind="ended", actor=self.ivy).exists()
        )
        self.assertContains(r, "<strong>Environment ended</strong>", html=True)
        self.assertContains(r, '<span class="actor">by ivy</span>', html=True)

    def test_ending_twice_says_it_had_ended(self) -> None:
        self.act("end")
        self.assertContains(self.act("end"), "had already ended")

    def test_resetting_gives_the_learner_a_fresh_attempt(self) -> None:
        self.act("reset")
        self.attempt.refresh_from_db()
        self.assertEqual(self.attempt.status, Status.ENDED)
        fresh = Attempt.objects.filter(learner=self.alice, challenge=self.attempt.challenge).latest(
            "created_at"
        )
        self.assertNotEqual(fresh.pk, self.attempt.pk)
        self.assertEqual(fresh.status, Status.REQUESTED)
        self.assertTrue(AttemptEvent.objects.filter(attempt=fresh, kind="reset", actor=self.ivy).exists())

    def test_a_finished_attempt_offers_no_action(self) -> None:
        self.act("end")
        r = self.client_for(self.ivy).get(
            reverse("classroom_drilldown", args=[self.classroom.pk, self.alice.pk, "wrong-selector"])
        )
        self.assertNotContains(r, "data-action=")
