"""The end of an assessment, with real parts: a Celery worker on Redis closes the sittings, each
open environment on the local control plane gets its last check, is frozen and torn down, and
the results say what that check found — full credit for a learner who fixed everything,
partial for one who fixed half.

The test process plays the web server and the clock: it starts the learners' environments as
the assessment page would, fixes them with the platform's credentials, then ends the
assessment ("End now", which sends the closing task to the worker).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from challenges.models import Attempt, Challenge, CheckRun, Status
from challenges.services import checks
from challenges.services.attempts import AttemptError
from classroom.assessments import services
from classroom.models import Assessment, Assignment, Classroom, Membership, Result, Sitting
from tests.fixtures.cluster import Cluster
from tests.fixtures.worker import Workers, wait_until
from tests.live.fairness import load, solve
from tests.live.lifecycle import Lifecycle, lifecycle_world, wait_for_status
from tests.live.scenarios import half_fix_wrong_selector

pytestmark = [pytest.mark.live, pytest.mark.worker]


@pytest.fixture
def world(celery_workers: Workers, cluster: Cluster, settings: Any) -> Iterator[Lifecycle]:
    with lifecycle_world(celery_workers, cluster, settings) as lifecycle:
        yield lifecycle


def test_the_end_checks_every_open_environment_then_freezes_and_removes_it(world: Lifecycle) -> None:
    world.workers.start()
    ivy = world.learner("ivy")
    alice, bob = world.learner("alice"), world.learner("bob")
    classroom = Classroom.objects.create(name="Kubernetes 101", instructor=ivy)
    challenge = Challenge.objects.get(slug="wrong-selector")
    Assignment.objects.create(classroom=classroom, challenge=challenge)
    for learner in (alice, bob):
        Membership.objects.create(classroom=classroom, learner=learner)
    now = timezone.now()
    assessment = services.assessment_create(
        classroom=classroom,
        by=ivy,
        title="Practical",
        challenges=[challenge],
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(minutes=5),
    )
    started = {
        learner.username: services.assessment_start(
            assessment=assessment, learner=learner, slug=challenge.slug
        )
        for learner in (alice, bob)
    }
    ready = {name: wait_for_status(attempt, Status.READY) for name, attempt in started.items()}
    solve(world.api, load(challenge.slug), ready["alice"].environment)
    half_fix_wrong_selector(world.cluster, ready["bob"].environment)

    assert services.assessment_end_now(assessment=Assessment.objects.get(pk=assessment.pk))
    # The learners' work stops at once, before the worker gets to close their sittings.
    assert all(Attempt.objects.get(pk=attempt.pk).is_frozen for attempt in ready.values())
    wait_until(
        lambda: Sitting.objects.filter(assessment=assessment, closed_at__isnull=False).count() == 2,
        timeout=90,
        what="the worker to close both sittings",
    )

    results = {r.sitting.learner.username: r for r in Result.objects.filter(sitting__assessment=assessment)}
    assert (results["alice"].percent, results["bob"].percent) == (100, 50)
    assert [o["passed"] for o in results["bob"].objectives] == [True, False]
    ended_at = Assessment.objects.get(pk=assessment.pk).ended_at
    assert ended_at is not None
    for name, attempt in ready.items():
        # The score is the last check's, made by the platform after the end, of this version.
        run = results[name].check_run
        assert run is not None and run.attempt_id == attempt.pk and run.requested_by_id is None
        assert run.created_at >= ended_at and run.state == CheckRun.State.DONE
        assert results[name].version_id == attempt.version_id
        # Frozen: no check, no console (the workspace is closed); then torn down.
        frozen = Attempt.objects.get(pk=attempt.pk)
        assert frozen.outcome == {"alice": "solved", "bob": "expired"}[name], frozen.outcome
        assert frozen.status in (Status.EXPIRED, Status.DESTROYED) and not frozen.is_workspace_open
        with pytest.raises(AttemptError):
            checks.attempt_check_request(attempt=frozen, requested_by=None)
        world.wait_gone(attempt.environment)
        wait_for_status(attempt, Status.DESTROYED)
    # A second closing finds nothing to do.
    assert not any(services.sitting_close(sitting=s) for s in Sitting.objects.filter(assessment=assessment))
