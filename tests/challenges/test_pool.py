"""The warm pool's rules: targets and schedules, refill into free capacity, the claim (one learner
per environment, their own credentials, their own time), replacement on a content change, and
the pool giving way when clusters are full. The live test runs it on a real worker and cluster
(tests/live/test_pool_live.py)."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

from django.contrib.auth.models import User
from django.test import override_settings
from django.utils import timezone

import validators
from challenges import secrets
from challenges.backends import ClustersFull
from challenges.models import Attempt, Challenge, ChallengeVersion, Cluster, PoolSchedule, Status
from challenges.services import attempts as services
from challenges.services import provisioning, sweeping
from challenges.services.clusters import place
from challenges.services.pool import POOL_ACCOUNT, pool_account_id, pool_target
from tests.base import BaseTestCase
from tests.challenges.lifecycle_fakes import FakeBackend, fake_backend
from tests.challenges.test_clusters import NOWHERE, kubeconfig

SLUG = "wrong-selector"


@override_settings(BREAKFIX_POOL_SIZE=0, BREAKFIX_CAPACITY=50)
class PoolTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.wrong_selector = self.challenge(SLUG)
        Challenge.objects.filter(pk=self.wrong_selector.pk).update(pool_target=2)
        self.wrong_selector.refresh_from_db()

    def refill(self) -> sweeping.PoolReport:
        with mock.patch("challenges.tasks.provision.delay"), self.captureOnCommitCallbacks(execute=True):
            return sweeping.pool_refill()

    def pooled(self, status: str = Status.READY, **fields: object) -> Attempt:
        """A pooled environment of Wrong Selector's current version, as a row in `status`."""
        now = timezone.now()
        defaults: dict[str, object] = {
            "pooled": True,
            "environment": f"bf-pool-{Attempt.objects.count()}",
            "ready_at": now,
            "expires_at": now + timedelta(minutes=120),
        }
        account = User.objects.get(pk=pool_account_id())
        version = fields.pop("version", None)
        attempt = self.make_attempt(account, SLUG, status, **{**defaults, **fields})
        if version is not None:
            Attempt.objects.filter(pk=attempt.pk).update(version=version)
        return attempt

    def start(self, learner: User) -> Attempt:
        with (
            mock.patch("challenges.tasks.provision.delay"),
            mock.patch("challenges.tasks.pool_refill.delay"),
            self.captureOnCommitCallbacks(execute=True),
        ):
            return services.attempt_start(learner=learner, challenge=self.wrong_selector)


class TargetTestCase(PoolTestCase):
    @override_settings(BREAKFIX_POOL_SIZE=1)
    def test_the_default_a_challenge_own_and_a_schedule_in_force(self) -> None:
        other = self.challenge("image-tag-typo")
        self.assertEqual(pool_target(other), 1)
        self.assertEqual(pool_target(self.wrong_selector), 2)
        now = timezone.now()
        PoolSchedule.objects.create(
            challenge=self.wrong_selector,
            target=40,
            starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(hours=1),
        )
        PoolSchedule.objects.create(
            challenge=self.wrong_selector,
            target=90,
            starts_at=now + timedelta(hours=1),
            ends_at=now + timedelta(hours=2),
        )
        self.assertEqual(pool_target(self.wrong_selector), 40)
        self.assertEqual(pool_target(self.wrong_selector, now + timedelta(minutes=90)), 90)
        self.assertEqual(pool_target(self.wrong_selector, now + timedelta(hours=3)), 2)

    @override_settings(BREAKFIX_POOL_SIZE=1)
    def test_the_refill_reads_every_target_at_once(self) -> None:
        """A refill sweep runs every few seconds: its reads do not grow with the catalog."""
        Challenge.objects.update(pool_target=None)
        with mock.patch("challenges.tasks.provision.delay"), self.captureOnCommitCallbacks(execute=True):
            sweeping.pool_refill()  # everything filled once: the sweep below has nothing to add
            with self.assertNumQueries(9):
                report = sweeping.pool_refill()
        self.assertFalse(report.added)
        published = Challenge.objects.filter(published=True).count()
        self.assertGreater(published, 10)
        self.assertEqual(Attempt.objects.filter(pooled=True).count(), published)

    @override_settings(BREAKFIX_POOL_SIZE=0)
    def test_with_no_pool_anywhere_the_refill_reads_little(self) -> None:
        Challenge.objects.update(pool_target=None)
        with self.assertNumQueries(7):
            report = sweeping.pool_refill()
        self.assertFalse(report.added or report.replaced or report.surplus)

    def test_the_pool_account_cannot_log_in(self) -> None:
        account = User.objects.get(pk=pool_account_id())
        self.assertEqual(account.username, POOL_ACCOUNT)
        self.assertFalse(account.is_active)
        self.assertFalse(account.has_usable_password())


class RefillTestCase(PoolTestCase):
    def test_it_fills_to_the_target_once_and_sends_each_to_a_worker(self) -> None:
        with (
            mock.patch("challenges.tasks.provision.delay") as delay,
            self.captureOnCommitCallbacks(execute=True),
        ):
            report = sweeping.pool_refill()
        self.assertEqual(report.added, {SLUG: 2})
        made = Attempt.objects.filter(pooled=True)
        self.assertEqual(sorted(call.args[0] for call in delay.call_args_list), sorted(a.pk for a in made))
        self.assertTrue(all(a.learner_id == pool_account_id() and a.status == Status.REQUESTED for a in made))
        self.assertEqual(self.refill().added, {})

    @override_settings(BREAKFIX_CAPACITY=3)
    def test_it_fills_only_free_capacity(self) -> None:
        self.make_attempt(self.alice, "image-tag-typo")
        self.make_attempt(self.bob, SLUG)
        self.assertEqual(self.refill().added, {SLUG: 1})

    def test_with_registered_clusters_it_fills_only_their_free_capacity(self) -> None:
        east = Cluster(name="east", capacity=1)
        east.set_kubeconfig(kubeconfig(f"{NOWHERE}/east"))
        east.save()
        Cluster.objects.create(name="west", capacity=10, state=Cluster.State.DRAINING, kubeconfig=b"")
        with self.settings(BREAKFIX_BACKEND="namespace"):
            self.assertEqual(self.refill().added, {SLUG: 1})

    def test_a_content_change_replaces_what_is_pooled_and_a_lower_target_gives_up_the_oldest(self) -> None:
        old = self.pooled(ready_at=timezone.now() - timedelta(minutes=5))
        older_version = ChallengeVersion.objects.create(
            challenge=self.wrong_selector, content_hash="0" * 64, definition=old.version.definition
        )
        stale = self.pooled(version=older_version)
        newer = self.pooled()
        Challenge.objects.filter(pk=self.wrong_selector.pk).update(pool_target=1)
        report = self.refill()
        self.assertEqual(report.replaced, [stale.pk])
        self.assertEqual(report.surplus, [old.pk])
        self.assertEqual(Attempt.objects.get(pk=stale.pk).status, Status.EXPIRED)
        self.assertEqual(Attempt.objects.get(pk=newer.pk).status, Status.READY)

    def test_a_pooled_environment_gets_no_learner_credentials_when_provisioned(self) -> None:
        with mock.patch("challenges.tasks.provision.delay"), self.captureOnCommitCallbacks(execute=True):
            sweeping.pool_refill()
        attempt = Attempt.objects.filter(pooled=True).first()
        assert attempt is not None
        backend = FakeBackend()
        with fake_backend(backend), mock.patch("challenges.services.provisioning.apply_simulation"):
            provisioning.attempt_provision(attempt=attempt, task_id="t")
        attempt.refresh_from_db()
        self.assertEqual(attempt.status, Status.READY)
        self.assertEqual(bytes(attempt.learner_kubeconfig), b"")
        self.assertEqual(backend.tokens, 0)


class ClaimTestCase(PoolTestCase):
    def test_a_start_claims_a_ready_one_with_the_learner_own_token_and_time(self) -> None:
        pooled = self.pooled(ready_at=timezone.now() - timedelta(minutes=30))
        backend = FakeBackend()
        with fake_backend(backend):
            attempt = self.start(self.alice)
        self.assertEqual(attempt.pk, pooled.pk)
        self.assertEqual(
            (attempt.status, attempt.learner_id, attempt.pooled), (Status.READY, self.alice.pk, False)
        )
        assert attempt.expires_at is not None and attempt.claimed_at is not None
        self.assertAlmostEqual((attempt.expires_at - timezone.now()).total_seconds(), 3600, delta=30)
        self.assertEqual(attempt.ready_at, attempt.claimed_at)
        self.assertIn(f"token 1 for {pooled.environment}", secrets.decrypt(attempt.learner_kubeconfig))
        # The learner's limit counts it; the pool's own environments never count against anyone.
        self.assertEqual(Attempt.objects.active().filter(learner=self.alice).count(), 1)

    def test_two_learners_never_get_the_same_environment_and_an_empty_pool_starts_fresh(self) -> None:
        pooled = self.pooled()
        with fake_backend(FakeBackend()):
            first = self.start(self.alice)
            second = self.start(self.bob)
        self.assertEqual(first.pk, pooled.pk)
        self.assertNotEqual(second.pk, pooled.pk)
        self.assertEqual((second.status, second.pooled), (Status.REQUESTED, False))

    def test_one_claimed_after_the_pool_chose_to_give_it_up_stays_the_learner_own(self) -> None:
        pooled = self.pooled()
        # The pool picked it (over target, out of date, making room) as a Start claimed it.
        chosen = Attempt.objects.get(pk=pooled.pk)
        with fake_backend(FakeBackend()):
            claimed = self.start(self.alice)
        self.assertEqual(claimed.pk, pooled.pk)
        with mock.patch("challenges.tasks.destroy.delay"), self.captureOnCommitCallbacks(execute=True):
            given_up = services.attempt_expire(
                attempt=chosen, message="The pool's target went down.", pooled=True
            )
        self.assertFalse(given_up)
        claimed.refresh_from_db()
        self.assertEqual((claimed.status, claimed.learner_id), (Status.READY, self.alice.pk))

    def test_an_old_version_one_near_its_end_or_one_not_ready_is_not_claimed(self) -> None:
        older_version = ChallengeVersion.objects.create(
            challenge=self.wrong_selector,
            content_hash="1" * 64,
            definition=self.wrong_selector.current_version.definition,
        )
        self.pooled(version=older_version)
        self.pooled(expires_at=timezone.now() + timedelta(minutes=2))
        self.pooled(status=Status.PROVISIONING)
        with fake_backend(FakeBackend()):
            attempt = self.start(self.alice)
        self.assertEqual(attempt.status, Status.REQUESTED)

    def test_credentials_that_cannot_be_issued_give_the_environment_up_and_start_fresh(self) -> None:
        pooled = self.pooled()
        backend = FakeBackend()
        backend.token_error = validators.ClusterUnavailable("down")
        with fake_backend(backend):
            attempt = self.start(self.alice)
        self.assertNotEqual(attempt.pk, pooled.pk)
        self.assertEqual(attempt.status, Status.REQUESTED)
        given_up = Attempt.objects.get(pk=pooled.pk)
        self.assertEqual((given_up.status, given_up.learner_id), (Status.EXPIRED, pool_account_id()))

    def test_a_reset_hands_over_a_ready_one_at_once(self) -> None:
        with fake_backend(FakeBackend()):
            current = self.make_attempt(self.alice, SLUG, Status.READY, environment="bf-old")
            pooled = self.pooled()
            with mock.patch("challenges.tasks.destroy.delay"), self.captureOnCommitCallbacks(execute=True):
                fresh = services.attempt_reset(attempt=current, actor=self.alice)
        self.assertEqual((fresh.pk, fresh.status), (pooled.pk, Status.READY))
        self.assertEqual(Attempt.objects.get(pk=current.pk).status, Status.ENDED)

    def test_when_every_cluster_is_full_the_pool_gives_way_to_a_learner(self) -> None:
        east = Cluster(name="east", capacity=1)
        east.set_kubeconfig(kubeconfig(f"{NOWHERE}/east"))
        east.save()
        spare = self.pooled(cluster=east)
        waiting = self.make_attempt(self.alice, SLUG, Status.REQUESTED)
        with self.assertRaises(ClustersFull):
            place(waiting)
        self.assertEqual(Attempt.objects.get(pk=spare.pk).status, Status.EXPIRED)


class OperatorPageTestCase(PoolTestCase):
    def test_the_admin_shows_pool_levels_per_challenge_and_per_cluster(self) -> None:
        east = Cluster(name="east", capacity=5)
        east.set_kubeconfig(kubeconfig(f"{NOWHERE}/east"))
        east.save()
        self.pooled(cluster=east)
        self.pooled(cluster=east)
        self.make_attempt(self.alice, SLUG, Status.READY, cluster=east)
        self.client.force_login(User.objects.create_superuser("root", password="pw"))
        challenges = self.client.get("/admin/challenges/challenge/?q=wrong-selector").content.decode()
        self.assertIn('<td class="field-pool_target">2</td><td class="field-pool_ready">2</td>', challenges)
        clusters = self.client.get("/admin/challenges/cluster/").content.decode()
        self.assertIn('<td class="field-in_use">3</td><td class="field-pooled">2</td>', clusters)
        self.assertIn('<td class="field-free">2</td>', clusters)


class CapacityTestCase(PoolTestCase):
    @override_settings(BREAKFIX_CAPACITY=2)
    def test_at_capacity_the_pool_gives_way_and_without_one_a_start_is_refused(
        self,
    ) -> None:
        self.make_attempt(self.bob, "image-tag-typo", Status.READY)
        spare = self.pooled()
        Attempt.objects.filter(pk=spare.pk).update(challenge=self.challenge("image-tag-typo"))
        with fake_backend(FakeBackend()), mock.patch("challenges.tasks.destroy.delay"):
            attempt = self.start(self.alice)
        self.assertEqual(attempt.status, Status.REQUESTED)
        self.assertEqual(Attempt.objects.get(pk=spare.pk).status, Status.EXPIRED)
        carol = User.objects.create_user("carol", password="pw")
        with fake_backend(FakeBackend()), self.assertRaises(services.NoCapacity):
            self.start(carol)
