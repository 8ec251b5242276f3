"""Starts that race: a double click, two tabs, a retry, many learners at once.

Each Start runs in a thread of its own, on a database connection of its own, all released at
once by a barrier: the database sees them as concurrently as a web server would send them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import partial
from unittest import mock

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test import TransactionTestCase, override_settings

from challenges.models import Attempt, Challenge
from challenges.services import attempts as services
from challenges.services import sweeping
from challenges.services.content import challenges_sync
from tests.fixtures.cluster import require_real

TRIES = 10


def _start(_: int, *, learner: User, challenge: Challenge) -> Attempt:
    return services.attempt_start(learner=learner, challenge=challenge)


def _start_nth(n: int, *, learner: User, slugs: Sequence[str]) -> Attempt:
    return services.attempt_start(learner=learner, challenge=Challenge.objects.get(slug=slugs[n]))


def _start_by_nth(n: int, *, learners: Sequence[User], challenge: Challenge) -> Attempt:
    return services.attempt_start(learner=learners[n], challenge=challenge)


def _start_or_refill(n: int, *, learners: Sequence[User], challenge: Challenge) -> object:
    """The nth learner's Start, or a pool refill for the threads past the last learner."""
    if n < len(learners):
        return services.attempt_start(learner=learners[n], challenge=challenge)
    return sweeping.pool_refill()


def race[T](count: int, start: Callable[[int], T]) -> list[T | Exception]:
    """Run `start(i)` for i in range(count), each in its own thread, all at the same moment."""
    barrier = threading.Barrier(count)
    results: list[T | Exception] = [RuntimeError("did not run")] * count

    def run(index: int) -> None:
        try:
            barrier.wait(10)
            results[index] = start(index)
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class StartRaceTestCase(TransactionTestCase):
    def setUp(self) -> None:
        if connection.vendor != "postgresql":
            require_real("PostgreSQL", "races need a database that runs transactions concurrently")
        challenges_sync(content_dir=settings.BREAKFIX_CONTENT_DIR)
        # The broker is not what these tests are about: what is sent is counted, not run.
        patcher = mock.patch("challenges.tasks.provision.delay")
        self.sent = patcher.start()
        self.addCleanup(patcher.stop)

    def learner(self, name: str) -> User:
        return User.objects.create_user(name, f"{name}@example.org", "password")

    def test_a_double_click_gives_exactly_one_environment(self) -> None:
        challenge = Challenge.objects.get(slug="wrong-selector")
        for i in range(TRIES):
            alice = self.learner(f"alice{i}")
            results = race(2, partial(_start, learner=alice, challenge=challenge))
            attempts = [r for r in results if isinstance(r, Attempt)]
            self.assertEqual(len(attempts), 2, results)  # both clicks lead to the environment
            self.assertEqual(
                {a.pk for a in attempts},
                set(Attempt.objects.filter(learner=alice).values_list("pk", flat=True)),
            )
            self.assertEqual(Attempt.objects.filter(learner=alice).count(), 1)
        self.assertEqual(self.sent.call_count, TRIES)  # one provisioning per environment

    def test_two_tabs_at_two_challenges_keep_the_per_learner_limit(self) -> None:
        slugs = ("wrong-selector", "expose-internally")
        for i in range(TRIES):
            bob = self.learner(f"bob{i}")
            results = race(2, partial(_start_nth, learner=bob, slugs=slugs))
            self.assertEqual(sum(isinstance(r, services.AttemptLimitReached) for r in results), 1, results)
            self.assertEqual(Attempt.objects.filter(learner=bob).count(), 1)

    def test_the_later_of_two_racing_starts_gives_way(self) -> None:
        # Capacity for one: of two learners starting at once, one gets it and one is told.
        challenge = Challenge.objects.get(slug="wrong-selector")
        for i in range(TRIES):
            Attempt.objects.all().delete()
            alice, bob = self.learner(f"carol{i}"), self.learner(f"dave{i}")
            with override_settings(BREAKFIX_CAPACITY=1):
                pair = (alice, bob)
                results = race(2, partial(_start_by_nth, learners=pair, challenge=challenge))
            refused = [r for r in results if isinstance(r, services.NoCapacity)]
            self.assertEqual(len(refused), 1, results)
            self.assertEqual(Attempt.objects.count(), 1)
            loser = (alice, bob)[results.index(refused[0])]
            self.assertFalse(Attempt.objects.filter(learner=loser).exists())

    @override_settings(BREAKFIX_CAPACITY=5, BREAKFIX_MAX_ACTIVE_PER_LEARNER=3)
    def test_many_learners_at_once_never_pass_the_capacity(self) -> None:
        learners = [self.learner(f"erin{i}") for i in range(12)]
        challenge = Challenge.objects.get(slug="wrong-selector")
        results = race(12, lambda n: services.attempt_start(learner=learners[n], challenge=challenge))
        self.assertEqual(sum(isinstance(r, Attempt) for r in results), 5, results)
        self.assertEqual(sum(isinstance(r, services.NoCapacity) for r in results), 7, results)
        self.assertEqual(Attempt.objects.count(), 5)

    @override_settings(BREAKFIX_POOL_SIZE=0, BREAKFIX_CAPACITY=50)
    def test_refills_at_once_fill_the_pool_to_its_target_once(self) -> None:
        # Each Start that claims sends a refill: several run at once while a class starts.
        Challenge.objects.filter(slug="wrong-selector").update(pool_target=6)
        for i in range(TRIES):
            results = race(4, lambda _: sweeping.pool_refill())
            self.assertFalse([r for r in results if isinstance(r, Exception)], results)
            self.assertEqual(Attempt.objects.filter(pooled=True).count(), 6, (i, results))
            Attempt.objects.all().delete()

    @override_settings(BREAKFIX_POOL_SIZE=0, BREAKFIX_CAPACITY=4)
    def test_starts_and_refills_at_once_never_pass_the_capacity(self) -> None:
        # A class starting while the pool tops itself up: both make environments, so both count
        # the room in turn. The pool has nothing ready yet, so it cannot give way to a learner.
        Challenge.objects.filter(slug="wrong-selector").update(pool_target=4)
        challenge = Challenge.objects.get(slug="wrong-selector")
        for i in range(TRIES):
            learners = [self.learner(f"frank{i}-{n}") for n in range(4)]
            results = race(6, partial(_start_or_refill, learners=learners, challenge=challenge))
            unexpected = [
                r for r in results if isinstance(r, Exception) and not isinstance(r, services.NoCapacity)
            ]
            self.assertFalse(unexpected, results)
            self.assertEqual(Attempt.objects.live().count(), 4, (i, results))
            started = sum(isinstance(r, Attempt) for r in results)
            self.assertEqual(Attempt.objects.filter(pooled=False).count(), started, results)
            Attempt.objects.all().delete()
