"""The attempt lifecycle services: limits, the state machine, checks, time, teardown and reap."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

from django.test import override_settings
from django.utils import timezone

import validators
from challenges import secrets
from challenges.backends import BackendFailed, BackendUnavailable
from challenges.models import Attempt, AttemptEvent, CheckRun, Status
from challenges.services import attempts as services
from challenges.services import checks, provisioning, sweeping
from challenges.services.attempts import (
    AttemptLimitReached,
    AttemptNotReady,
    CheckTooSoon,
    NoCapacity,
)
from tests.base import BaseTestCase
from tests.challenges.lifecycle_fakes import FakeBackend, fake_backend


def kinds(attempt: Attempt) -> list[str]:
    return list(AttemptEvent.objects.filter(attempt=attempt).values_list("kind", flat=True))


class StartTestCase(BaseTestCase):
    def test_it_creates_a_requested_attempt_of_the_current_version(self) -> None:
        challenge = self.challenge("wrong-selector")
        attempt = services.attempt_start(learner=self.alice, challenge=challenge)
        self.assertEqual(attempt.status, Status.REQUESTED)
        self.assertEqual(attempt.version, challenge.current_version)
        self.assertEqual(attempt.backend, "namespace")

    @override_settings(BREAKFIX_TTL_MINUTES=45)
    def test_it_sets_the_deadline_from_the_ttl(self) -> None:
        attempt = services.attempt_start(learner=self.alice, challenge=self.challenge("wrong-selector"))
        assert attempt.expires_at is not None
        left = attempt.expires_at - timezone.now()
        self.assertTrue(timedelta(minutes=44) < left <= timedelta(minutes=45))

    def test_it_enqueues_provisioning_only_on_commit(self) -> None:
        with (
            mock.patch("challenges.tasks.provision.delay") as delay,
            self.captureOnCommitCallbacks(execute=True) as callbacks,
        ):
            attempt = services.attempt_start(learner=self.alice, challenge=self.challenge("wrong-selector"))
            delay.assert_not_called()
        self.assertEqual(len(callbacks), 1)
        delay.assert_called_once_with(attempt.pk)

    def test_it_records_who_asked(self) -> None:
        attempt = services.attempt_start(learner=self.alice, challenge=self.challenge("wrong-selector"))
        event = AttemptEvent.objects.get(attempt=attempt)
        self.assertEqual((event.kind, event.actor), ("requested", self.alice))

    def test_it_returns_the_live_attempt_when_started_twice(self) -> None:
        challenge = self.challenge("wrong-selector")
        first = services.attempt_start(learner=self.alice, challenge=challenge)
        again = services.attempt_start(learner=self.alice, challenge=challenge)
        self.assertEqual(first.pk, again.pk)
        self.assertEqual(Attempt.objects.count(), 1)

    def test_it_refuses_a_second_active_environment(self) -> None:
        services.attempt_start(learner=self.alice, challenge=self.challenge("wrong-selector"))
        with self.assertRaisesMessage(AttemptLimitReached, "already have an environment"):
            services.attempt_start(learner=self.alice, challenge=self.challenge("expose-internally"))
        self.assertEqual(Attempt.objects.filter(learner=self.alice).count(), 1)

    @override_settings(BREAKFIX_MAX_ACTIVE_PER_LEARNER=2)
    def test_the_per_learner_limit_comes_from_settings(self) -> None:
        services.attempt_start(learner=self.alice, challenge=self.challenge("wrong-selector"))
        services.attempt_start(learner=self.alice, challenge=self.challenge("expose-internally"))
        self.assertEqual(Attempt.objects.filter(learner=self.alice, status=Status.REQUESTED).count(), 2)

    def test_other_learners_do_not_count_against_the_limit(self) -> None:
        services.attempt_start(learner=self.bob, challenge=self.challenge("wrong-selector"))
        services.attempt_start(learner=self.alice, challenge=self.challenge("wrong-selector"))
        self.assertEqual(Attempt.objects.count(), 2)

    @override_settings(BREAKFIX_CAPACITY=1)
    def test_it_answers_no_capacity_when_the_installation_is_full(self) -> None:
        services.attempt_start(learner=self.bob, challenge=self.challenge("wrong-selector"))
        with self.assertRaisesMessage(NoCapacity, "no capacity, try again in a moment"):
            services.attempt_start(learner=self.alice, challenge=self.challenge("wrong-selector"))
        self.assertFalse(Attempt.objects.filter(learner=self.alice).exists())

    @override_settings(BREAKFIX_CAPACITY=1)
    def test_a_finished_environment_frees_capacity(self) -> None:
        self.make_attempt(self.bob, "wrong-selector", status=Status.ENDED)
        self.make_attempt(self.bob, "wrong-selector", status=Status.DESTROYED)
        services.attempt_start(learner=self.alice, challenge=self.challenge("wrong-selector"))

    def test_a_solved_attempt_makes_way_for_the_next_challenge(self) -> None:
        solved = self.make_attempt(self.alice, "wrong-selector", status=Status.SOLVED)
        fresh = services.attempt_start(learner=self.alice, challenge=self.challenge("expose-internally"))
        solved.refresh_from_db()
        self.assertEqual(solved.status, Status.ENDED)
        self.assertEqual(fresh.status, Status.REQUESTED)

    def test_it_refuses_an_unpublished_challenge(self) -> None:
        challenge = self.challenge("wrong-selector")
        challenge.published = False
        challenge.save()
        with self.assertRaises(services.ChallengeUnavailable):
            services.attempt_start(learner=self.alice, challenge=challenge)


class ProvisionTestCase(BaseTestCase):
    def test_it_makes_the_attempt_ready_with_encrypted_credentials(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector", status=Status.REQUESTED)
        with fake_backend() as backend:
            provisioning.attempt_provision(attempt=attempt)
        attempt.refresh_from_db()
        self.assertEqual(attempt.status, Status.READY)
        self.assertEqual(backend.created, [f"bf-{attempt.pk}"])
        self.assertEqual(attempt.environment, f"bf-{attempt.pk}")
        self.assertNotIn(b"apiVersion", bytes(attempt.learner_kubeconfig))
        self.assertIn("kind: Config", services.attempt_learner_kubeconfig(attempt=attempt))
        self.assertEqual(kinds(attempt), ["provisioning", "ready"])

    def test_it_applies_manifests_then_the_guards_for_the_namespace(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector", status=Status.REQUESTED)
        order = mock.Mock()
        with (
            fake_backend(),
            mock.patch("challenges.services.provisioning.apply_with_history", order.apply),
            mock.patch("challenges.services.provisioning.apply_guards", order.guards),
        ):
            provisioning.attempt_provision(attempt=attempt)
        namespace = f"bf-{attempt.pk}"
        (apply, manifests), (guards, guarded) = ((c[0], c.args) for c in order.mock_calls)
        self.assertEqual((apply, guards), ("apply", "guards"))
        self.assertEqual([d["kind"] for d in manifests[2]], ["Deployment", "Service"])
        # apply_guards scopes them to the namespace (tests/challenges/test_kube_guards.py).
        self.assertEqual(guarded[1], namespace)
        self.assertEqual(
            {d["kind"] for d in guarded[2]}, {"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"}
        )

    def test_a_second_delivery_after_ready_does_nothing(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector", status=Status.REQUESTED)
        with fake_backend() as backend:
            provisioning.attempt_provision(attempt=attempt)
            provisioning.attempt_provision(attempt=Attempt.objects.get(pk=attempt.pk))
        self.assertEqual(len(backend.created), 1)

    def test_a_retry_resumes_a_provisioning_attempt_in_the_same_environment(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector", status=Status.REQUESTED)
        backend = FakeBackend()
        backend.create_error = BackendUnavailable("busy")
        with fake_backend(backend), self.assertRaises(BackendUnavailable):
            provisioning.attempt_provision(attempt=attempt)
        self.assertEqual(Attempt.objects.get(pk=attempt.pk).status, Status.PROVISIONING)
        backend.create_error = None
        with fake_backend(backend):
            provisioning.attempt_provision(attempt=Attempt.objects.get(pk=attempt.pk))
        self.assertEqual(backend.created, [f"bf-{attempt.pk}"])
        self.assertEqual(Attempt.objects.get(pk=attempt.pk).status, Status.READY)

    def test_a_permanent_backend_error_fails_the_attempt_with_its_reason(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector", status=Status.REQUESTED)
        backend = FakeBackend()
        backend.create_error = BackendFailed("kind could not create the cluster: no container engine")
        with fake_backend(backend), self.captureOnCommitCallbacks() as callbacks:
            provisioning.attempt_provision(attempt=attempt)
        attempt.refresh_from_db()
        self.assertEqual(attempt.status, Status.FAILED)
        self.assertEqual(attempt.error, "kind could not create the cluster: no container engine")
        self.assertEqual(len(callbacks), 1)  # the teardown of whatever was made

    def test_an_unknown_backend_fails_the_attempt(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector", status=Status.REQUESTED)
        Attempt.objects.filter(pk=attempt.pk).update(backend="docker")
        attempt.refresh_from_db()
        provisioning.attempt_provision(attempt=attempt)
        attempt.refresh_from_db()
        self.assertEqual(attempt.status, Status.FAILED)
        self.assertIn("no cluster backend called 'docker'", attempt.error)

    def test_it_does_not_provision_an_attempt_ended_before_it_started(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector", status=Status.ENDED)
        with fake_backend() as backend:
            provisioning.attempt_provision(attempt=attempt)
        self.assertEqual(backend.created, [])

    def test_it_tears_down_what_it_built_when_the_attempt_was_destroyed_meanwhile(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector", status=Status.REQUESTED)
        backend = FakeBackend()
        real_create = backend.create

        def create_then_end(environment: str, *, attempt_id: int) -> None:
            real_create(environment, attempt_id=attempt_id)
            Attempt.objects.filter(pk=attempt_id).update(status=Status.DESTROYED)

        backend.create = create_then_end  # type: ignore[method-assign]
        with fake_backend(backend):
            provisioning.attempt_provision(attempt=attempt)
        self.assertEqual(backend.destroyed, [f"bf-{attempt.pk}"])
        self.assertEqual(Attempt.objects.get(pk=attempt.pk).status, Status.DESTROYED)


def result(key: str, passed: bool) -> validators.ObjectiveResult:
    return validators.ObjectiveResult(key, key, passed, "fine" if passed else "not yet", {})


class CheckTestCase(BaseTestCase):
    def ready(self) -> Attempt:
        return self.make_attempt(self.alice, "wrong-selector", environment="bf-1", expires_at=timezone.now())

    def test_it_queues_a_pending_check_of_every_objective(self) -> None:
        attempt = self.ready()
        with self.captureOnCommitCallbacks() as callbacks:
            run = checks.attempt_check_request(attempt=attempt, requested_by=self.alice)
        self.assertEqual((run.state, run.total, run.requested_by), (CheckRun.State.PENDING, 2, self.alice))
        self.assertEqual(len(callbacks), 1)

    def test_it_refuses_a_check_before_the_environment_is_ready(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector", status=Status.PROVISIONING)
        with self.assertRaises(AttemptNotReady):
            checks.attempt_check_request(attempt=attempt, requested_by=self.alice)

    @override_settings(BREAKFIX_CHECK_INTERVAL_SECONDS=30)
    def test_it_refuses_a_check_within_the_interval_and_says_when_to_retry(self) -> None:
        attempt = self.ready()
        checks.attempt_check_request(attempt=attempt, requested_by=self.alice)
        with self.assertRaises(CheckTooSoon) as caught:
            checks.attempt_check_request(attempt=attempt, requested_by=self.alice)
        self.assertTrue(25 <= caught.exception.retry_after <= 30)

    @override_settings(BREAKFIX_CHECK_INTERVAL_SECONDS=30)
    def test_it_allows_a_check_once_the_interval_passed(self) -> None:
        attempt = self.ready()
        run = checks.attempt_check_request(attempt=attempt, requested_by=self.alice)
        CheckRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(seconds=31))
        checks.attempt_check_request(attempt=attempt, requested_by=self.alice)
        self.assertEqual(attempt.check_runs.count(), 2)

    def run_check(self, attempt: Attempt, results: list[validators.ObjectiveResult]) -> CheckRun:
        run = CheckRun.objects.create(attempt=attempt, total=2)
        with fake_backend(), mock.patch("validators.run_check", return_value=results) as run_check:
            checks.check_run_perform(check_run=run)
        objectives, view = run_check.call_args.args
        self.assertEqual(
            [o.key for o in objectives], ["service-routes-to-frontend", "selector-uses-app-label"]
        )
        self.assertEqual(view.namespace, "bf-1")
        run.refresh_from_db()
        return run

    def test_it_stores_each_objectives_result(self) -> None:
        attempt = self.ready()
        run = self.run_check(attempt, [result("a", True), result("b", False)])
        self.assertEqual((run.state, run.passed, run.passed_count), (CheckRun.State.DONE, False, 1))
        self.assertEqual([r["message"] for r in run.results], ["fine", "not yet"])
        self.assertEqual(Attempt.objects.get(pk=attempt.pk).status, Status.READY)

    def test_it_stores_which_objectives_failed(self) -> None:
        run = self.run_check(self.ready(), [result("a", False), result("b", True), result("c", False)])
        self.assertEqual(run.failed_objectives, ["a", "c"])

    def test_all_objectives_passing_solves_the_attempt(self) -> None:
        attempt = self.ready()
        run = self.run_check(attempt, [result("a", True), result("b", True)])
        self.assertTrue(run.passed)
        attempt.refresh_from_db()
        self.assertEqual(attempt.status, Status.SOLVED)
        self.assertIsNotNone(attempt.solved_at)
        self.assertIn("solved", kinds(attempt))

    def test_a_check_delivered_twice_runs_once(self) -> None:
        attempt = self.ready()
        run = self.run_check(attempt, [result("a", True), result("b", False)])
        with fake_backend(), mock.patch("validators.run_check") as run_check:
            checks.check_run_perform(check_run=run)
        run_check.assert_not_called()

    def test_an_unreachable_cluster_propagates_for_a_retry(self) -> None:
        run = CheckRun.objects.create(attempt=self.ready(), total=2)
        with (
            fake_backend(),
            mock.patch("validators.run_check", side_effect=validators.ClusterUnavailable("down")),
            self.assertRaises(validators.ClusterUnavailable),
        ):
            checks.check_run_perform(check_run=run)
        self.assertEqual(CheckRun.objects.get(pk=run.pk).state, CheckRun.State.PENDING)

    def test_a_check_of_an_ended_environment_errs(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector", status=Status.ENDED)
        run = CheckRun.objects.create(attempt=attempt, total=2)
        checks.check_run_perform(check_run=run)
        run.refresh_from_db()
        self.assertEqual(
            (run.state, run.error), (CheckRun.State.ERROR, "The environment is no longer running.")
        )


class ExtendTestCase(BaseTestCase):
    @override_settings(BREAKFIX_EXTEND_MINUTES=30, BREAKFIX_MAX_TTL_MINUTES=180)
    def test_it_adds_the_extension_to_the_deadline(self) -> None:
        now = timezone.now()
        attempt = self.make_attempt(
            self.alice, "wrong-selector", ready_at=now, expires_at=now + timedelta(minutes=10)
        )
        self.assertTrue(services.attempt_extend(attempt=attempt, actor=self.alice))
        self.assertEqual(attempt.expires_at, now + timedelta(minutes=40))
        self.assertEqual(AttemptEvent.objects.get(attempt=attempt).actor, self.alice)

    @override_settings(BREAKFIX_EXTEND_MINUTES=30, BREAKFIX_MAX_TTL_MINUTES=60)
    def test_it_never_passes_the_ceiling_from_ready(self) -> None:
        ready = timezone.now() - timedelta(minutes=20)
        attempt = self.make_attempt(
            self.alice, "wrong-selector", ready_at=ready, expires_at=ready + timedelta(minutes=50)
        )
        self.assertTrue(services.attempt_extend(attempt=attempt, actor=self.ivy))
        self.assertEqual(attempt.expires_at, ready + timedelta(minutes=60))
        self.assertFalse(services.attempt_extend(attempt=attempt, actor=self.ivy))

    def test_it_does_not_extend_a_finished_attempt(self) -> None:
        attempt = self.make_attempt(
            self.alice, "wrong-selector", status=Status.ENDED, expires_at=timezone.now()
        )
        self.assertFalse(services.attempt_extend(attempt=attempt, actor=self.alice))


class EndResetTestCase(BaseTestCase):
    def test_ending_a_live_attempt_enqueues_its_teardown(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector")
        with self.captureOnCommitCallbacks() as callbacks:
            self.assertTrue(services.attempt_end(attempt=attempt, actor=self.alice))
        self.assertEqual(attempt.status, Status.ENDED)
        self.assertIsNotNone(attempt.ended_at)
        self.assertEqual(len(callbacks), 1)

    def test_ending_twice_does_nothing_the_second_time(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector")
        services.attempt_end(attempt=attempt, actor=self.alice)
        self.assertFalse(services.attempt_end(attempt=Attempt.objects.get(pk=attempt.pk), actor=self.alice))

    def test_a_reset_ends_the_attempt_and_starts_a_fresh_one(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector")
        fresh = services.attempt_reset(attempt=attempt, actor=self.ivy)
        attempt.refresh_from_db()
        self.assertEqual(attempt.status, Status.ENDED)
        self.assertEqual(
            (fresh.learner, fresh.challenge.slug, fresh.status),
            (self.alice, "wrong-selector", Status.REQUESTED),
        )
        self.assertEqual(AttemptEvent.objects.get(attempt=fresh, kind="reset").actor, self.ivy)
        self.assertEqual(AttemptEvent.objects.get(attempt=attempt, kind="ended").actor, self.ivy)

    def test_a_reset_of_a_failed_attempt_is_a_retry(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector", status=Status.FAILED, error="boom")
        fresh = services.attempt_reset(attempt=attempt, actor=self.alice)
        self.assertNotEqual(fresh.pk, attempt.pk)
        self.assertEqual(Attempt.objects.get(pk=attempt.pk).status, Status.FAILED)


class DestroyTestCase(BaseTestCase):
    def test_it_tears_down_a_finished_environment_and_forgets_the_credentials(self) -> None:
        attempt = self.make_attempt(
            self.alice,
            "wrong-selector",
            status=Status.ENDED,
            environment="bf-7",
            learner_kubeconfig=secrets.encrypt("x"),
        )
        with fake_backend() as backend:
            self.assertTrue(provisioning.attempt_destroy(attempt=attempt))
        self.assertEqual(backend.destroyed, ["bf-7"])
        attempt.refresh_from_db()
        self.assertEqual(attempt.status, Status.DESTROYED)
        self.assertEqual(bytes(attempt.learner_kubeconfig), b"")

    def test_it_never_touches_a_live_environment(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector", environment="bf-7")
        with fake_backend() as backend:
            self.assertFalse(provisioning.attempt_destroy(attempt=attempt))
        self.assertEqual(backend.destroyed, [])

    def test_destroying_twice_tears_down_once(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector", status=Status.EXPIRED, environment="bf-7")
        with fake_backend() as backend:
            provisioning.attempt_destroy(attempt=attempt)
            provisioning.attempt_destroy(attempt=Attempt.objects.get(pk=attempt.pk))
        self.assertEqual(backend.destroyed, ["bf-7"])

    def test_a_backend_error_leaves_the_attempt_for_a_later_try(self) -> None:
        attempt = self.make_attempt(self.alice, "wrong-selector", status=Status.ENDED, environment="bf-7")
        backend = FakeBackend()
        backend.destroy_error = BackendUnavailable("busy")
        with fake_backend(backend), self.assertRaises(BackendUnavailable):
            provisioning.attempt_destroy(attempt=attempt)
        self.assertEqual(Attempt.objects.get(pk=attempt.pk).status, Status.ENDED)


class ReapTestCase(BaseTestCase):
    def reap(self, backend: FakeBackend | None = None) -> sweeping.ReapReport:
        with fake_backend(backend), self.captureOnCommitCallbacks():
            return sweeping.reap()

    def test_it_expires_attempts_past_their_deadline(self) -> None:
        late = self.make_attempt(
            self.alice, "wrong-selector", expires_at=timezone.now() - timedelta(seconds=1)
        )
        on_time = self.make_attempt(
            self.bob, "wrong-selector", expires_at=timezone.now() + timedelta(minutes=5)
        )
        report = self.reap()
        self.assertEqual(report.expired, [late.pk])
        self.assertEqual(Attempt.objects.get(pk=late.pk).status, Status.EXPIRED)
        self.assertEqual(Attempt.objects.get(pk=on_time.pk).status, Status.READY)

    @override_settings(BREAKFIX_SOLVED_GRACE_SECONDS=60)
    def test_it_ends_solved_attempts_after_the_grace_period(self) -> None:
        now = timezone.now()
        done = self.make_attempt(
            self.alice, "wrong-selector", status=Status.SOLVED, solved_at=now - timedelta(seconds=61)
        )
        fresh = self.make_attempt(self.bob, "wrong-selector", status=Status.SOLVED, solved_at=now)
        self.reap()
        self.assertEqual(Attempt.objects.get(pk=done.pk).status, Status.ENDED)
        self.assertEqual(Attempt.objects.get(pk=fresh.pk).status, Status.SOLVED)

    @override_settings(BREAKFIX_PROVISION_DEADLINE_SECONDS=600)
    def test_it_fails_attempts_stuck_provisioning(self) -> None:
        old = timezone.now() - timedelta(seconds=601)
        stuck = self.make_attempt(
            self.alice, "wrong-selector", status=Status.PROVISIONING, provisioning_at=old
        )
        busy = self.make_attempt(
            self.bob, "wrong-selector", status=Status.PROVISIONING, provisioning_at=timezone.now()
        )
        self.reap()
        stuck.refresh_from_db()
        self.assertEqual(stuck.status, Status.FAILED)
        self.assertIn("took far too long", stuck.error)
        self.assertEqual(Attempt.objects.get(pk=busy.pk).status, Status.PROVISIONING)

    def test_it_removes_environments_no_attempt_claims(self) -> None:
        self.make_attempt(self.alice, "wrong-selector", environment="bf-1")
        self.make_attempt(self.bob, "wrong-selector", status=Status.DESTROYED, environment="bf-2")
        backend = FakeBackend()
        backend.existing = {"bf-1", "bf-2", "bf-3"}
        with (
            mock.patch("challenges.tasks.destroy_orphan.delay") as delay,
            fake_backend(backend),
            self.captureOnCommitCallbacks(execute=True),
        ):
            report = sweeping.reap()
        self.assertEqual(report.orphans, ["bf-2", "bf-3"])
        self.assertEqual(
            sorted(call.args for call in delay.call_args_list),
            [("namespace", "bf-2", None), ("namespace", "bf-3", None)],
        )

    def test_an_orphan_claimed_meanwhile_is_kept(self) -> None:
        self.make_attempt(self.alice, "wrong-selector", environment="bf-1")
        with fake_backend() as backend:
            self.assertFalse(provisioning.orphan_destroy(backend_name="namespace", environment="bf-1"))
            self.assertTrue(provisioning.orphan_destroy(backend_name="namespace", environment="bf-9"))
        self.assertEqual(backend.destroyed, ["bf-9"])

    def test_an_unreachable_cluster_is_reported_not_raised(self) -> None:
        backend = FakeBackend()
        with mock.patch.object(backend, "list_environments", side_effect=BackendUnavailable("down")):
            report = self.reap(backend)
        self.assertEqual(report.problems, ["namespace: down"])


class CredentialsTestCase(BaseTestCase):
    def test_it_hands_out_the_kubeconfig_of_a_ready_attempt(self) -> None:
        attempt = self.make_attempt(
            self.alice, "wrong-selector", learner_kubeconfig=secrets.encrypt("kind: Config")
        )
        self.assertEqual(services.attempt_learner_kubeconfig(attempt=attempt), "kind: Config")

    def test_it_refuses_the_kubeconfig_of_a_finished_attempt(self) -> None:
        attempt = self.make_attempt(
            self.alice,
            "wrong-selector",
            status=Status.ENDED,
            learner_kubeconfig=secrets.encrypt("kind: Config"),
        )
        with self.assertRaises(AttemptNotReady):
            services.attempt_learner_kubeconfig(attempt=attempt)
