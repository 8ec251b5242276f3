"""Delivery: sending a task never breaks a request, and the sweep sends again whatever work no
task carries (the broker was down, its queue was lost, its worker died)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

from django.urls import reverse
from django.utils import timezone

from challenges.models import Attempt, AttemptEvent, CheckRun, Outcome, Status
from challenges.services import attempts as services
from challenges.services import checks, provisioning, sweeping
from tests.base import BaseTestCase
from tests.challenges.lifecycle_fakes import fake_backend
from tests.fixtures.worker import _free_port, celery_pointed_at


@contextmanager
def broker_down() -> Iterator[None]:
    """This process sends its tasks to a Redis port nothing listens on: a real refused connection."""
    with celery_pointed_at(f"redis://127.0.0.1:{_free_port()}/0"):
        yield


class BrokerDownTestCase(BaseTestCase):
    def test_start_keeps_the_request_when_the_broker_is_down(self) -> None:
        with broker_down(), self.captureOnCommitCallbacks(execute=True):
            attempt = services.attempt_start(learner=self.alice, challenge=self.challenge("wrong-selector"))
        attempt.refresh_from_db()
        self.assertEqual(attempt.status, Status.REQUESTED)
        self.assertTrue(attempt.is_kept)

    def test_the_start_view_leads_to_the_attempt_page_saying_it_is_kept(self) -> None:
        # (A test's transaction sends on its end, after the answer: the live test, over HTTP,
        # sees the very answer of the post say it.)
        client = self.client_for(self.alice)
        with broker_down(), self.captureOnCommitCallbacks(execute=True):
            r = client.post(reverse("attempt_start", args=["wrong-selector"]))
        self.assertEqual(r.status_code, 302)
        r = client.get(r.headers["Location"])
        self.assertContains(r, "The platform is busy")
        self.assertContains(r, "Your request is kept")

    def test_a_check_is_kept_and_the_panel_says_so(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector", environment="bf-1")
        client = self.client_for(self.alice)
        with broker_down(), self.captureOnCommitCallbacks(execute=True):
            client.post(reverse("attempt_check", args=[attempt.pk]), headers={"HX-Request": "true"})
        r = client.get(reverse("attempt_checks", args=[attempt.pk]), headers={"HX-Request": "true"})
        self.assertContains(r, "your check is kept")
        run = CheckRun.objects.get()
        self.assertEqual((run.state, run.task_deadline), (CheckRun.State.PENDING, None))

    def test_ending_with_the_broker_down_still_ends(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector", environment="bf-1")
        with broker_down(), self.captureOnCommitCallbacks(execute=True):
            self.assertTrue(services.attempt_end(attempt=attempt, actor=self.alice))
        attempt.refresh_from_db()
        self.assertEqual((attempt.status, attempt.task_deadline), (Status.ENDED, None))


class SweepTestCase(BaseTestCase):
    def sweep(self) -> tuple[sweeping.SweepReport, list[tuple[str, int]]]:
        sent: list[tuple[str, int]] = []
        with (
            mock.patch(
                "challenges.tasks.provision.delay", side_effect=lambda pk: sent.append(("provision", pk))
            ),
            mock.patch("challenges.tasks.destroy.delay", side_effect=lambda pk: sent.append(("destroy", pk))),
            mock.patch("challenges.tasks.check.delay", side_effect=lambda pk: sent.append(("check", pk))),
            fake_backend(),
            self.captureOnCommitCallbacks(execute=True),
        ):
            report = sweeping.sweep()
        return report, sent

    def test_it_sends_again_a_request_no_task_carries(self) -> None:
        kept = self.make_attempt(self.alice, "wrong-selector", Status.REQUESTED, task_deadline=None)
        lost = self.make_attempt(
            self.bob, "wrong-selector", Status.REQUESTED, task_deadline=timezone.now() - timedelta(seconds=1)
        )
        waiting = self.make_attempt(
            self.ivy, "wrong-selector", Status.REQUESTED, task_deadline=timezone.now() + timedelta(seconds=20)
        )
        _, sent = self.sweep()
        self.assertEqual(sorted(sent), [("provision", kept.pk), ("provision", lost.pk)])
        self.assertIsNotNone(Attempt.objects.get(pk=kept.pk).task_deadline)
        self.assertEqual(Attempt.objects.get(pk=waiting.pk).status, Status.REQUESTED)
        # A request that waits for a worker counts against nothing.
        self.assertEqual(Attempt.objects.get(pk=lost.pk).provision_retries, 0)

    def test_a_second_sweep_does_not_send_the_same_work_twice(self) -> None:
        self.make_attempt(self.alice, "wrong-selector", Status.REQUESTED, task_deadline=None)
        self.sweep()
        _, sent = self.sweep()
        self.assertEqual(sent, [])

    def test_provisioning_whose_worker_died_starts_over_once_then_fails(self) -> None:
        expired = timezone.now() - timedelta(seconds=1)
        attempt = self.make_attempt(
            self.alice,
            "wrong-selector",
            Status.PROVISIONING,
            task_deadline=expired,
            task_id="dead",
            environment="bf-9",
        )
        report, sent = self.sweep()
        attempt.refresh_from_db()
        self.assertEqual(
            (attempt.status, attempt.provision_retries, attempt.task_id), (Status.REQUESTED, 1, "")
        )
        self.assertEqual(sent, [("provision", attempt.pk)])
        self.assertEqual(report.restarted, [attempt.pk])
        self.assertTrue(
            AttemptEvent.objects.filter(attempt=attempt, kind=AttemptEvent.Kind.REQUEUED).exists()
        )
        # The second worker claims it and dies too.
        Attempt.objects.filter(pk=attempt.pk).update(status=Status.PROVISIONING, task_deadline=expired)
        report, sent = self.sweep()
        attempt.refresh_from_db()
        self.assertEqual((attempt.status, attempt.outcome), (Status.FAILED, Outcome.FAILED))
        self.assertIn("interrupted twice", attempt.error)
        self.assertEqual(sent, [("destroy", attempt.pk)])
        self.assertFalse(attempt.is_live)  # it no longer holds capacity

    def test_it_leaves_provisioning_whose_worker_renews_its_lease(self) -> None:
        attempt = self.make_attempt(
            self.alice,
            "wrong-selector",
            Status.PROVISIONING,
            task_deadline=timezone.now() + timedelta(seconds=15),
            task_id="alive",
        )
        _, sent = self.sweep()
        self.assertEqual(sent, [])
        self.assertEqual(Attempt.objects.get(pk=attempt.pk).status, Status.PROVISIONING)

    def test_it_sends_again_a_teardown_no_task_carries(self) -> None:
        ended = self.make_attempt(
            self.alice, "wrong-selector", Status.ENDED, environment="bf-1", task_deadline=None
        )
        _, sent = self.sweep()
        self.assertEqual(sent, [("destroy", ended.pk)])

    def test_a_kept_check_is_sent_again_and_a_check_lost_twice_errs(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector", environment="bf-1")
        run = CheckRun.objects.create(attempt=attempt, task_deadline=None)
        _, sent = self.sweep()
        self.assertEqual(sent, [("check", run.pk)])
        self.assertEqual(CheckRun.objects.get(pk=run.pk).resent, 0)  # the broker's fault, not the check's
        past = timezone.now() - timedelta(seconds=1)
        CheckRun.objects.filter(pk=run.pk).update(task_deadline=past)
        self.sweep()
        self.assertEqual(CheckRun.objects.get(pk=run.pk).resent, 1)
        CheckRun.objects.filter(pk=run.pk).update(task_deadline=past)
        self.sweep()
        run.refresh_from_db()
        self.assertEqual(run.state, CheckRun.State.ERROR)
        self.assertIn("Press Check again", run.error)

    def test_a_pending_check_of_an_environment_gone_errs_instead_of_polling_forever(self) -> None:
        attempt = self.make_attempt(
            self.alice, "wrong-selector", Status.DESTROYED, outcome=Outcome.ENDED_BY_LEARNER
        )
        run = CheckRun.objects.create(attempt=attempt, task_deadline=None)
        self.sweep()
        self.assertEqual(CheckRun.objects.get(pk=run.pk).state, CheckRun.State.ERROR)


class ClaimTestCase(BaseTestCase):
    def test_a_duplicate_delivery_leaves_a_claimed_provisioning_alone(self) -> None:
        attempt = self.make_attempt(
            self.alice,
            "wrong-selector",
            Status.PROVISIONING,
            task_id="first",
            task_deadline=timezone.now() + timedelta(seconds=15),
            environment="bf-1",
        )
        with fake_backend() as backend:
            provisioning.attempt_provision(attempt=attempt, task_id="second")
        self.assertEqual(backend.created, [])

    def test_the_claiming_delivery_carries_on_when_it_comes_again(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector", Status.REQUESTED)
        with fake_backend() as backend:
            provisioning.attempt_provision(attempt=attempt, task_id="first")
        self.assertEqual(backend.created, [f"bf-{attempt.pk}"])
        attempt = self.make_attempt(
            self.bob, "wrong-selector", Status.PROVISIONING, task_id="again", environment="bf-2"
        )
        with fake_backend() as backend:
            provisioning.attempt_provision(attempt=attempt, task_id="again")
        self.assertEqual(backend.created, ["bf-2"])
        self.assertEqual(Attempt.objects.get(pk=attempt.pk).status, Status.READY)

    def test_a_check_request_is_recorded_with_a_deadline(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector", environment="bf-1")
        with self.captureOnCommitCallbacks():
            run = checks.attempt_check_request(attempt=attempt, requested_by=self.alice)
        self.assertIsNotNone(run.task_deadline)
