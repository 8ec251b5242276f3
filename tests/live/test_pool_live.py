"""The warm pool on a real worker, beat, Redis and control plane: filled by beat, claimed at once
with the learner's own credentials (and none of another's), refilled, replaced when the content
changes, and falling back to a fresh environment when it runs dry."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest

from challenges.models import Attempt, Challenge, ChallengeVersion, Status
from challenges.services import attempts as services
from challenges.services import checks
from tests.fixtures.cluster import Cluster
from tests.fixtures.worker import Workers, wait_until
from tests.live.lifecycle import (
    PROVISION_SECONDS,
    Lifecycle,
    get,
    lifecycle_world,
    namespace_state,
    wait_for_check,
    wait_for_status,
)

pytestmark = [pytest.mark.live, pytest.mark.worker]

SLUG = "wrong-selector"


@pytest.fixture
def world(celery_workers: Workers, cluster: Cluster, settings: Any) -> Iterator[Lifecycle]:
    with lifecycle_world(celery_workers, cluster, settings, BREAKFIX_SWEEP_SECONDS="1") as lifecycle:
        yield lifecycle


def ready_pool(version: ChallengeVersion) -> list[Attempt]:
    return list(Attempt.objects.filter(pooled=True, status=Status.READY, version=version))


def wait_for_pool(version: ChallengeVersion, size: int) -> list[Attempt]:
    wait_until(
        lambda: len(ready_pool(version)) == size, timeout=PROVISION_SECONDS, what=f"{size} ready in the pool"
    )
    return ready_pool(version)


def test_the_pool_is_filled_claimed_refilled_replaced_and_never_fails_a_start(world: Lifecycle) -> None:
    challenge = Challenge.objects.get(slug=SLUG)
    Challenge.objects.filter(pk=challenge.pk).update(pool_target=2)
    world.workers.start(concurrency=2)
    world.workers.start_beat()
    version = challenge.current_version
    pooled = wait_for_pool(version, 2)
    assert all(not attempt.learner_kubeconfig for attempt in pooled)

    # A Start is ready when it returns: the learner's own token, for that namespace only.
    alice = world.learner("alice")
    mine = world.start(alice, SLUG)
    assert mine.status == Status.READY and mine.pk in {attempt.pk for attempt in pooled}
    assert mine.learner_id == alice.pk and not mine.pooled
    other = next(attempt for attempt in pooled if attempt.pk != mine.pk)
    with world.learner_api(mine) as api:
        assert get(api, f"/api/v1/namespaces/{mine.environment}/pods")[0] == 200
        assert get(api, f"/api/v1/namespaces/{other.environment}/pods")[0] == 403
    run = wait_for_check(checks.attempt_check_request(attempt=mine, requested_by=None))
    assert run.state == run.State.DONE and run.total > 0 and not run.passed, run.error

    # Refilled in the background.
    refilled = wait_for_pool(version, 2)
    assert mine.pk not in {attempt.pk for attempt in refilled}

    # The content changes: what is pooled is replaced by environments of the new version.
    definition = {**version.definition, "challenge": {**version.definition["challenge"], "hints": ["New."]}}
    new_hash = hashlib.sha256(b"a new version").hexdigest()
    new_version = ChallengeVersion.objects.create(
        challenge=challenge, content_hash=new_hash, definition=definition
    )
    Challenge.objects.filter(pk=challenge.pk).update(content_hash=new_hash)
    wait_for_pool(new_version, 2)
    for replaced in refilled:
        wait_for_status(replaced, Status.DESTROYED)
        world.wait_gone(replaced.environment)

    # Run dry: three Starts on two ready, and the third gets a fresh environment, never a failure.
    learners = [world.learner(f"learner{i}") for i in range(3)]
    started = [world.start(learner, SLUG) for learner in learners]
    assert [attempt.status for attempt in started].count(Status.READY) == 2
    fresh = next(attempt for attempt in started if attempt.status != Status.READY)
    assert wait_for_status(fresh, Status.READY, Status.FAILED).status == Status.READY
    assert {attempt.version_id for attempt in started} == {new_version.pk}

    # Everything ends and is torn down; the pool refills itself meanwhile, and goes with its target.
    Challenge.objects.filter(pk=challenge.pk).update(pool_target=0)
    for attempt in [mine, *started]:
        services.attempt_end(attempt=Attempt.objects.get(pk=attempt.pk), actor=None)
    wait_until(
        lambda: not Attempt.objects.exclude(status=Status.DESTROYED).exists(),
        timeout=PROVISION_SECONDS,
        what="every environment, pooled ones included, to be torn down",
    )
    for attempt in Attempt.objects.all():
        assert namespace_state(world.api, attempt.environment) in ("gone", "terminating")
