"""How an attempt came out: the outcome its ending transition sets, kept after teardown, and what
the learner's page and the admin show of it."""

from __future__ import annotations

from datetime import timedelta

from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from challenges import failures
from challenges.backends import BackendFailed
from challenges.models import Attempt, AttemptEvent, CheckRun, Outcome, Status
from challenges.services import attempts as services
from challenges.services import provisioning
from classroom.actions import Action, attempt_actions
from tests.base import BaseTestCase
from tests.challenges.lifecycle_fakes import fake_backend
from validators import ClusterUnavailable, ObjectInvalid


class OutcomeTestCase(BaseTestCase):
    def destroyed(self, attempt: Attempt) -> Attempt:
        with fake_backend(), self.captureOnCommitCallbacks():
            provisioning.attempt_destroy(attempt=Attempt.objects.get(pk=attempt.pk))
        attempt.refresh_from_db()
        self.assertEqual(attempt.status, Status.DESTROYED)
        return attempt

    def live(self) -> Attempt:
        return self.make_attempt(self.alice, "wrong-selector", environment="bf-1", outcome="")

    def test_ending_it_yourself_is_ended_by_the_learner_and_stays_so(self) -> None:
        attempt = self.live()
        services.attempt_end(attempt=attempt, actor=self.alice)
        self.assertEqual(self.destroyed(attempt).outcome, Outcome.ENDED_BY_LEARNER)

    def test_an_instructor_ending_it_is_ended_by_an_instructor(self) -> None:
        attempt = self.live()
        services.attempt_end(attempt=attempt, actor=self.ivy)
        self.assertEqual(self.destroyed(attempt).outcome, Outcome.ENDED_BY_INSTRUCTOR)

    def test_a_solved_attempt_stays_solved_when_it_ends_or_expires(self) -> None:
        attempt = self.live()
        attempt.transition(
            from_=Status.READY, to=Status.SOLVED, outcome=Outcome.SOLVED, solved_at=timezone.now()
        )
        services.attempt_end(attempt=attempt, actor=self.alice)
        self.assertEqual(self.destroyed(attempt).outcome, Outcome.SOLVED)

    def test_a_failure_keeps_its_reason_and_outcome_after_teardown(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector", Status.PROVISIONING, environment="bf-1")
        with self.captureOnCommitCallbacks():
            provisioning.attempt_fail(attempt=attempt, failure=failures.Failure("It broke.", "detail"))
        attempt = self.destroyed(attempt)
        self.assertEqual(
            (attempt.outcome, attempt.error, attempt.error_detail), (Outcome.FAILED, "It broke.", "detail")
        )


class LearnerWordingTestCase(BaseTestCase):
    def test_an_unreachable_cluster_is_told_without_its_address(self) -> None:
        exc = ClusterUnavailable(
            "Could not create namespace: the Kubernetes API is unreachable "
            "(HTTPSConnectionPool(host='127.0.0.1', port=40000): Max retries exceeded)."
        )
        failure = failures.provision_failure(exc)
        self.assertNotIn("127.0.0.1", failure.reason)
        self.assertIn("did not answer", failure.reason)
        self.assertIn("Retry", failure.reason)
        self.assertIn("127.0.0.1", failure.detail)

    def test_a_refused_starting_state_blames_the_challenge_not_the_learner(self) -> None:
        failure = failures.provision_failure(
            ObjectInvalid('Deployment.apps "x" is invalid: spec.foo', status=422)
        )
        self.assertIn("fault in the challenge", failure.reason)
        self.assertNotIn("spec.foo", failure.reason)
        self.assertIn("spec.foo", failure.detail)

    def test_a_backends_own_refusal_is_already_written_for_the_learner(self) -> None:
        failure = failures.provision_failure(BackendFailed("An operator has to remove the namespace."))
        self.assertEqual(failure.reason, "An operator has to remove the namespace.")


class FailedPageTestCase(BaseTestCase):
    def failed_and_destroyed(self) -> Attempt:
        return self.make_attempt(
            self.alice,
            "wrong-selector",
            Status.DESTROYED,
            outcome=Outcome.FAILED,
            error="The cluster did not answer in time, so your environment could not be created.",
            error_detail="ClusterUnavailable: HTTPSConnectionPool(host='10.0.0.7', port=6443)",
        )

    def test_the_reason_and_a_retry_stay_after_teardown(self) -> None:
        attempt = self.failed_and_destroyed()
        r = self.client_for(self.alice).get(attempt.get_absolute_url())
        self.assertContains(r, "could not be created")
        self.assertContains(r, "The cluster did not answer in time")
        self.assertContains(r, f'action="{reverse("attempt_reset", args=[attempt.pk])}"')
        self.assertNotContains(r, "10.0.0.7")
        self.assertNotContains(r, "has ended and was removed")

    def test_once_the_learner_started_again_the_page_leads_to_the_new_attempt(self) -> None:
        attempt = self.failed_and_destroyed()
        fresh = self.make_attempt(self.alice, "wrong-selector")
        r = self.client_for(self.alice).get(attempt.get_absolute_url())
        self.assertContains(r, "The cluster did not answer in time")
        self.assertNotContains(r, f'action="{reverse("attempt_reset", args=[attempt.pk])}"')
        self.assertContains(r, f'href="{fresh.get_absolute_url()}"')

    def test_an_expired_attempt_says_so_after_teardown(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector", Status.DESTROYED, outcome=Outcome.EXPIRED)
        self.assertContains(self.client_for(self.alice).get(attempt.get_absolute_url()), "Time ran out")

    def test_staff_read_the_detail_in_the_admin_and_cannot_edit_the_status(self) -> None:
        attempt = self.failed_and_destroyed()
        self.sam.is_superuser = True
        self.sam.save()
        r = self.client_for(self.sam).get(reverse("admin:challenges_attempt_change", args=[attempt.pk]))
        self.assertContains(r, "10.0.0.7")
        self.assertNotContains(r, 'name="status"')
        self.assertNotContains(r, 'name="outcome"')

    def test_staff_delete_an_attempt_in_the_admin_only_once_its_environment_is_gone(self) -> None:
        self.sam.is_superuser = True
        self.sam.save()
        staff = self.client_for(self.sam)
        live = self.make_attempt(self.alice, "wrong-selector")  # ready: its namespace is up
        r = staff.post(reverse("admin:challenges_attempt_delete", args=[live.pk]), {"post": "yes"})
        self.assertEqual(r.status_code, 403)
        self.assertTrue(Attempt.objects.filter(pk=live.pk).exists())
        listing = staff.get(reverse("admin:challenges_attempt_changelist"))
        self.assertNotContains(listing, 'value="delete_selected"')
        gone = self.failed_and_destroyed()
        r = staff.post(reverse("admin:challenges_attempt_delete", args=[gone.pk]), {"post": "yes"})
        self.assertEqual(r.status_code, 302)
        self.assertFalse(Attempt.objects.filter(pk=gone.pk).exists())

    def test_check_runs_and_events_are_records_staff_read_but_never_write(self) -> None:
        self.sam.is_superuser = True
        self.sam.save()
        staff = self.client_for(self.sam)
        live = self.make_attempt(self.alice, "wrong-selector")
        run = CheckRun.objects.create(attempt=live, total=2, passed_count=1)
        event = AttemptEvent.objects.create(
            attempt=live, kind=AttemptEvent.Kind.EXTENDED, message="Extended."
        )
        for model, pk in (("checkrun", run.pk), ("attemptevent", event.pk)):
            with self.subTest(model):
                self.assertEqual(
                    staff.get(reverse(f"admin:challenges_{model}_change", args=[pk])).status_code, 200
                )
                self.assertEqual(
                    staff.post(reverse(f"admin:challenges_{model}_change", args=[pk]), {}).status_code, 403
                )
                self.assertEqual(staff.get(reverse(f"admin:challenges_{model}_add")).status_code, 403)
                r = staff.post(reverse(f"admin:challenges_{model}_delete", args=[pk]), {"post": "yes"})
                self.assertEqual(r.status_code, 403)  # its environment is up: it goes with its attempt
        self.assertEqual(CheckRun.objects.get(pk=run.pk).passed_count, 1)
        self.assertTrue(AttemptEvent.objects.filter(pk=event.pk).exists())


class ExtensionRuleTestCase(BaseTestCase):
    @override_settings(BREAKFIX_EXTEND_MINUTES=30, BREAKFIX_MAX_TTL_MINUTES=60)
    def test_an_instructor_is_not_offered_an_extension_past_the_ceiling(self) -> None:
        ready = timezone.now() - timedelta(minutes=20)
        attempt = self.make_attempt(
            self.alice, "wrong-selector", ready_at=ready, expires_at=ready + timedelta(minutes=60)
        )
        self.assertFalse(attempt.can_extend())
        self.assertNotIn(Action.EXTEND, attempt_actions(attempt=attempt))
        self.assertFalse(services.attempt_extend(attempt=attempt, actor=self.ivy))

    @override_settings(BREAKFIX_EXTEND_MINUTES=30, BREAKFIX_MAX_TTL_MINUTES=180)
    def test_learner_and_instructor_follow_the_same_rule(self) -> None:
        now = timezone.now()
        attempt = self.make_attempt(
            self.alice, "wrong-selector", ready_at=now, expires_at=now + timedelta(minutes=10)
        )
        self.assertIn(Action.EXTEND, attempt_actions(attempt=attempt))
        r = self.client_for(self.alice).get(attempt.get_absolute_url())
        self.assertContains(r, "Extend time")


class EventKindTestCase(BaseTestCase):
    def test_every_event_the_services_record_is_a_known_kind(self) -> None:
        attempt = self.make_attempt(
            self.alice, "wrong-selector", expires_at=timezone.now() + timedelta(minutes=5)
        )
        services.attempt_extend(attempt=attempt, actor=self.alice)
        services.attempt_end(attempt=attempt, actor=self.alice)
        kinds = set(AttemptEvent.objects.values_list("kind", flat=True))
        self.assertTrue(kinds)
        self.assertLessEqual(kinds, set(AttemptEvent.Kind.values))
