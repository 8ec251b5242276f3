"""Hints unlock one at a time and are recorded; the reference solution opens only after a solve."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from challenges.models import AttemptEvent, HintUnlock, Status
from challenges.services.hints import HintError, hint_unlock, solution_files
from tests.base import BaseTestCase


class HintServiceTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.attempt = self.make_attempt(self.alice, "wrong-selector", environment="bf-1")
        self.hints = self.attempt.version.hints()

    def test_the_hints_come_from_the_attempts_content_version(self) -> None:
        self.assertEqual(len(self.hints), 3)
        self.assertIn("kubectl describe service frontend", self.hints[0])

    def test_it_unlocks_one_hint_at_a_time_in_order(self) -> None:
        self.assertEqual(hint_unlock(attempt=self.attempt), self.hints[0])
        self.assertEqual(hint_unlock(attempt=self.attempt), self.hints[1])
        self.attempt.refresh_from_db()
        self.assertEqual(self.attempt.hints_unlocked, 2)

    def test_each_unlock_is_recorded_with_the_attempt(self) -> None:
        hint_unlock(attempt=self.attempt)
        hint_unlock(attempt=self.attempt)
        self.assertEqual(
            list(HintUnlock.objects.filter(attempt=self.attempt).values_list("index", flat=True)), [0, 1]
        )
        self.assertEqual(AttemptEvent.objects.filter(attempt=self.attempt, kind="hint").count(), 2)

    def test_it_refuses_past_the_last_hint(self) -> None:
        for _ in self.hints:
            hint_unlock(attempt=self.attempt)
        with self.assertRaisesMessage(HintError, "every hint"):
            hint_unlock(attempt=self.attempt)
        self.assertEqual(HintUnlock.objects.filter(attempt=self.attempt).count(), 3)

    def test_a_stale_attempt_cannot_unlock_the_same_hint_twice(self) -> None:
        stale = type(self.attempt).objects.get(pk=self.attempt.pk)
        hint_unlock(attempt=self.attempt)
        with self.assertRaises(HintError):
            hint_unlock(attempt=stale)
        self.assertEqual(HintUnlock.objects.filter(attempt=self.attempt).count(), 1)

    def test_it_refuses_once_the_environment_has_ended(self) -> None:
        ended = self.make_attempt(self.bob, "wrong-selector", status=Status.ENDED)
        with self.assertRaises(HintError):
            hint_unlock(attempt=ended)

    def test_the_solution_stays_closed_until_the_attempt_is_solved(self) -> None:
        with self.assertRaisesMessage(HintError, "once you have solved"):
            solution_files(attempt=self.attempt)

    def test_the_solution_opens_after_a_solve(self) -> None:
        self.attempt.transition(from_=Status.READY, to=Status.SOLVED, solved_at=timezone.now())
        files = solution_files(attempt=self.attempt)
        self.assertEqual([f.name for f in files], ["service.yaml"])
        self.assertIn("tier: web", files[0].text)


class HintViewTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.attempt = self.make_attempt(self.alice, "wrong-selector", environment="bf-1")

    def test_htmx_gets_the_hints_panel_with_the_new_hint(self) -> None:
        r = self.client_for(self.alice).post(
            reverse("attempt_hint", args=[self.attempt.pk]), HTTP_HX_REQUEST="true"
        )
        self.assertContains(r, 'id="hints"')
        self.assertContains(r, "kubectl describe service frontend")
        self.assertContains(r, "Show hint 2 of 3")

    def test_the_workspace_offers_a_hint_and_hides_the_solution(self) -> None:
        r = self.client_for(self.alice).get(self.attempt.get_absolute_url())
        self.assertContains(r, "Stuck? Show a hint")
        self.assertContains(r, "opens once you have solved")
        self.assertNotContains(r, reverse("attempt_solution", args=[self.attempt.pk]))

    def test_the_solution_page_redirects_before_a_solve(self) -> None:
        r = self.client_for(self.alice).get(reverse("attempt_solution", args=[self.attempt.pk]))
        self.assertRedirects(r, self.attempt.get_absolute_url() + "#hints", fetch_redirect_response=False)

    def test_the_solution_page_shows_the_files_after_a_solve(self) -> None:
        self.attempt.transition(from_=Status.READY, to=Status.SOLVED, solved_at=timezone.now())
        r = self.client_for(self.alice).get(reverse("attempt_solution", args=[self.attempt.pk]))
        self.assertContains(r, "solution/service.yaml")
        self.assertContains(r, "tier: web")

    def test_a_solved_workspace_shows_what_was_achieved(self) -> None:
        self.attempt.transition(from_=Status.READY, to=Status.SOLVED, solved_at=timezone.now())
        r = self.client_for(self.alice).get(self.attempt.get_absolute_url())
        self.assertContains(r, "Challenge solved")
        self.assertContains(r, "+60 XP")
        self.assertContains(r, reverse("attempt_solution", args=[self.attempt.pk]))
