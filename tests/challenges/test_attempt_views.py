"""The workspace pages: who may see them, what they show, and that every change is a POST."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from challenges.models import Attempt, CheckRun, Status
from tests.base import BaseTestCase

GET_VIEWS = ("attempt", "attempt_status", "attempt_checks")
POST_VIEWS = ("attempt_check", "attempt_extend", "attempt_end", "attempt_reset")


class AttemptViewsTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.attempt = self.make_attempt(
            self.alice,
            "wrong-selector",
            environment="bf-1",
            expires_at=timezone.now() + timedelta(minutes=30),
        )

    def url(self, name: str, attempt: Attempt | None = None) -> str:
        return reverse(name, args=[(attempt or self.attempt).pk])


class AccessTestCase(AttemptViewsTestCase):
    def test_anonymous_visitors_are_sent_to_log_in(self) -> None:
        client = self.client_for(None)
        for name in GET_VIEWS:
            self.assertRedirects(client.get(self.url(name)), f"/accounts/login/?next={self.url(name)}")
        for name in POST_VIEWS:
            self.assertRedirects(client.post(self.url(name)), f"/accounts/login/?next={self.url(name)}")
        start = reverse("attempt_start", args=["wrong-selector"])
        self.assertRedirects(client.post(start), f"/accounts/login/?next={start}")

    def test_another_learner_gets_a_404_on_every_attempt_url(self) -> None:
        client = self.client_for(self.bob)
        for name in GET_VIEWS:
            self.assertEqual(client.get(self.url(name)).status_code, 404, name)
        for name in POST_VIEWS:
            self.assertEqual(client.post(self.url(name)).status_code, 404, name)
        self.attempt.refresh_from_db()
        self.assertEqual(self.attempt.status, Status.READY)
        self.assertFalse(CheckRun.objects.exists())

    def test_an_instructor_gets_a_404_too(self) -> None:
        # Instructors act through the classroom dashboard, not the learner's workspace.
        self.assertEqual(self.client_for(self.ivy).get(self.url("attempt")).status_code, 404)

    def test_changes_are_post_only(self) -> None:
        client = self.client_for(self.alice)
        for name in POST_VIEWS:
            self.assertEqual(client.get(self.url(name)).status_code, 405, name)
        self.assertEqual(client.get(reverse("attempt_start", args=["wrong-selector"])).status_code, 405)


class StartViewTestCase(AttemptViewsTestCase):
    def setUp(self) -> None:
        pass  # these tests start from no attempt at all

    def test_start_creates_an_attempt_and_shows_it(self) -> None:
        with self.captureOnCommitCallbacks():
            r = self.client_for(self.alice).post(reverse("attempt_start", args=["wrong-selector"]))
        attempt = Attempt.objects.get(learner=self.alice)
        self.assertRedirects(r, attempt.get_absolute_url())
        self.assertEqual(attempt.status, Status.REQUESTED)

    def test_it_refuses_a_second_active_environment(self) -> None:
        self.make_attempt(self.alice, "wrong-selector")
        r = self.client_for(self.alice).post(
            reverse("attempt_start", args=["expose-internally"]), follow=True
        )
        self.assertContains(r, "already have an environment", status_code=200)
        self.assertEqual(Attempt.objects.filter(learner=self.alice).count(), 1)

    @override_settings(BREAKFIX_CAPACITY=1)
    def test_it_says_when_there_is_no_capacity(self) -> None:
        self.make_attempt(self.bob, "wrong-selector")
        r = self.client_for(self.alice).post(reverse("attempt_start", args=["wrong-selector"]), follow=True)
        self.assertContains(r, "no capacity, try again in a moment")

    def test_an_unknown_challenge_is_a_404(self) -> None:
        r = self.client_for(self.alice).post(reverse("attempt_start", args=["no-such-thing"]))
        self.assertEqual(r.status_code, 404)


class PageTestCase(AttemptViewsTestCase):
    def test_a_provisioning_attempt_shows_progress_and_polls(self) -> None:
        attempt = self.make_attempt(self.bob, "wrong-selector", status=Status.PROVISIONING)
        r = self.client_for(self.bob).get(attempt.get_absolute_url())
        self.assertContains(r, "Preparing your environment")
        self.assertContains(r, f'hx-get="{self.url("attempt_status", attempt)}?seen=provisioning"')
        self.assertNotContains(r, 'class="workspace-tools"')

    def test_a_ready_attempt_shows_objectives_check_time_and_the_tools_section(self) -> None:
        r = self.client_for(self.alice).get(self.attempt.get_absolute_url())
        self.assertContains(r, "Service frontend routes to every frontend pod")
        self.assertContains(r, f'action="{self.url("attempt_check")}"')
        self.assertContains(r, "Time left")
        self.assertContains(r, "Extend time")
        self.assertContains(r, '<section class="workspace-tools">')

    def test_a_failed_attempt_shows_the_reason_and_a_retry(self) -> None:
        attempt = self.make_attempt(
            self.bob, "wrong-selector", status=Status.FAILED, error="kind is not installed"
        )
        r = self.client_for(self.bob).get(attempt.get_absolute_url())
        self.assertContains(r, "kind is not installed")
        self.assertContains(r, "Retry")
        self.assertContains(r, f'action="{self.url("attempt_reset", attempt)}"')

    def test_the_latest_check_results_are_shown_per_objective(self) -> None:
        CheckRun.objects.create(
            attempt=self.attempt,
            state=CheckRun.State.DONE,
            passed_count=1,
            total=2,
            finished_at=timezone.now(),
            results=[
                {
                    "key": "service-routes-to-frontend",
                    "passed": False,
                    "message": "Service frontend has no endpoints.",
                },
                {"key": "selector-uses-app-label", "passed": True, "message": "ok"},
            ],
        )
        r = self.client_for(self.alice).get(self.attempt.get_absolute_url())
        self.assertContains(r, "Service frontend has no endpoints.")
        self.assertContains(r, "1 of 2 objectives pass")


class PollTestCase(AttemptViewsTestCase):
    def test_the_status_poll_keeps_going_while_live(self) -> None:
        r = self.client_for(self.alice).get(
            self.url("attempt_status") + "?seen=ready", headers={"HX-Request": "true"}
        )
        self.assertEqual(r.status_code, 200)
        self.assertNotIn("HX-Refresh", r.headers)

    def test_the_status_poll_reloads_the_page_when_the_status_moved_on(self) -> None:
        r = self.client_for(self.alice).get(self.url("attempt_status") + "?seen=provisioning")
        self.assertEqual(r.headers["HX-Refresh"], "true")

    def test_the_status_poll_stops_with_286_when_final(self) -> None:
        Attempt.objects.filter(pk=self.attempt.pk).update(status=Status.DESTROYED)
        r = self.client_for(self.alice).get(self.url("attempt_status") + "?seen=destroyed")
        self.assertEqual(r.status_code, 286)

    def test_the_checks_poll_stops_when_the_check_is_done(self) -> None:
        CheckRun.objects.create(attempt=self.attempt, state=CheckRun.State.PENDING)
        self.assertEqual(self.client_for(self.alice).get(self.url("attempt_checks")).status_code, 200)
        CheckRun.objects.update(state=CheckRun.State.DONE)
        self.assertEqual(self.client_for(self.alice).get(self.url("attempt_checks")).status_code, 286)


class ActionsTestCase(AttemptViewsTestCase):
    def test_check_queues_a_check_and_answers_htmx_with_the_checks_partial(self) -> None:
        with mock.patch("challenges.tasks.check.delay"), self.captureOnCommitCallbacks(execute=True):
            r = self.client_for(self.alice).post(self.url("attempt_check"), headers={"HX-Request": "true"})
        self.assertContains(r, 'id="checks"')
        self.assertContains(r, "Checking…")
        self.assertNotContains(r, "<html")
        self.assertEqual(CheckRun.objects.get().state, CheckRun.State.PENDING)

    @override_settings(BREAKFIX_CHECK_INTERVAL_SECONDS=60)
    def test_check_too_soon_says_when_to_try_again(self) -> None:
        CheckRun.objects.create(attempt=self.attempt, state=CheckRun.State.DONE)
        r = self.client_for(self.alice).post(self.url("attempt_check"), headers={"HX-Request": "true"})
        self.assertContains(r, "try again in")
        self.assertEqual(CheckRun.objects.count(), 1)

    def test_end_ends_the_attempt(self) -> None:
        with self.captureOnCommitCallbacks():
            r = self.client_for(self.alice).post(self.url("attempt_end"))
        self.assertRedirects(r, self.attempt.get_absolute_url())
        self.attempt.refresh_from_db()
        self.assertEqual(self.attempt.status, Status.ENDED)

    def test_extend_moves_the_deadline(self) -> None:
        before = self.attempt.expires_at
        self.client_for(self.alice).post(self.url("attempt_extend"))
        self.attempt.refresh_from_db()
        assert before is not None and self.attempt.expires_at is not None
        self.assertGreater(self.attempt.expires_at, before)

    def test_reset_leads_to_the_fresh_attempt(self) -> None:
        with self.captureOnCommitCallbacks():
            r = self.client_for(self.alice).post(self.url("attempt_reset"))
        fresh = Attempt.objects.filter(learner=self.alice).exclude(pk=self.attempt.pk).get()
        self.assertRedirects(r, fresh.get_absolute_url())
        self.assertEqual(Attempt.objects.get(pk=self.attempt.pk).status, Status.ENDED)
