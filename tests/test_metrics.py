"""/metrics: off without a token, refused with a wrong one, and with the right one the families an
operator graphs, computed from the rows and the queues that are there."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from challenges import tasks
from challenges.models import Attempt, CheckRun, Status
from tests.base import BaseTestCase

TOKEN = "scrape-" + "x" * 32


def scrape(token: str | None = TOKEN) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return Client().get("/metrics", headers=headers)


def samples(body: bytes) -> dict[str, list[Sample]]:
    by_family: dict[str, list[Sample]] = {}
    for family in text_string_to_metric_families(body.decode()):
        by_family[family.name] = list(family.samples)
    return by_family


def value(found: list[Sample], name: str, **labels: str) -> float:
    matching = [s.value for s in found if s.name == name and s.labels == labels]
    assert len(matching) == 1, f"{name}{labels}: {matching} among {found}"
    return matching[0]


class MetricsAccessTestCase(BaseTestCase):
    def test_it_does_not_exist_without_a_token_configured(self) -> None:
        with override_settings(BREAKFIX_METRICS_TOKEN=""):
            self.assertEqual(scrape().status_code, 404)
            self.assertEqual(scrape(None).status_code, 404)

    @override_settings(BREAKFIX_METRICS_TOKEN=TOKEN)
    def test_it_asks_for_a_token_when_none_is_sent(self) -> None:
        r = scrape(None)
        self.assertEqual(r.status_code, 401)
        self.assertEqual(r["WWW-Authenticate"], 'Bearer realm="metrics"')
        self.assertNotIn(b"breakfix_", r.content)

    @override_settings(BREAKFIX_METRICS_TOKEN=TOKEN)
    def test_it_refuses_a_wrong_token(self) -> None:
        for wrong in (TOKEN[:-1], TOKEN + "x", "x" * len(TOKEN)):
            r = scrape(wrong)
            self.assertEqual(r.status_code, 403, wrong)
            self.assertNotIn(b"breakfix_", r.content)
        r = Client().get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
        self.assertEqual(r.status_code, 401)


@override_settings(BREAKFIX_METRICS_TOKEN=TOKEN)
class MetricsFromTheDatabaseTestCase(BaseTestCase):
    def ready_attempt(self, learner: Any, slug: str, seconds: float) -> Attempt:
        taken = timezone.now() - timedelta(minutes=5)
        return self.make_attempt(
            learner, slug, Status.READY, provisioning_at=taken, ready_at=taken + timedelta(seconds=seconds)
        )

    def test_it_counts_attempts_by_state_and_cluster(self) -> None:
        self.make_attempt(self.alice, "wrong-selector", Status.READY)
        self.make_attempt(self.bob, "wrong-selector", Status.READY)
        self.make_attempt(self.alice, "expose-internally", Status.PROVISIONING)
        self.make_attempt(self.bob, "expose-internally", Status.DESTROYED)
        r = scrape()
        self.assertEqual(r.status_code, 200)
        self.assertTrue(r["Content-Type"].startswith("text/plain; version="))
        found = samples(r.content)["breakfix_attempts"]
        self.assertEqual(value(found, "breakfix_attempts", state="ready", cluster="default"), 2)
        self.assertEqual(value(found, "breakfix_attempts", state="provisioning", cluster="default"), 1)
        self.assertEqual(value(found, "breakfix_attempts", state="requested", cluster="default"), 0)
        # Destroyed attempts are history, not a level: no series for them.
        self.assertFalse([s for s in found if s.labels.get("state") == "destroyed"])

    def test_provision_durations_land_in_their_buckets(self) -> None:
        self.ready_attempt(self.alice, "wrong-selector", 0.8)
        self.ready_attempt(self.bob, "wrong-selector", 7)
        still = timezone.now()
        self.make_attempt(self.alice, "expose-internally", Status.PROVISIONING, provisioning_at=still)
        found = samples(scrape().content)["breakfix_provision_duration_seconds"]
        name = "breakfix_provision_duration_seconds"
        self.assertEqual(value(found, f"{name}_bucket", cluster="default", le="0.5"), 0)
        self.assertEqual(value(found, f"{name}_bucket", cluster="default", le="1.0"), 1)
        self.assertEqual(value(found, f"{name}_bucket", cluster="default", le="5.0"), 1)
        self.assertEqual(value(found, f"{name}_bucket", cluster="default", le="10.0"), 2)
        self.assertEqual(value(found, f"{name}_bucket", cluster="default", le="+Inf"), 2)
        self.assertEqual(value(found, f"{name}_count", cluster="default"), 2)
        self.assertAlmostEqual(value(found, f"{name}_sum", cluster="default"), 7.8, places=3)

    def test_check_durations_count_finished_runs_only(self) -> None:
        attempt = self.ready_attempt(self.alice, "wrong-selector", 2)
        pressed = timezone.now() - timedelta(minutes=1)
        for seconds in (0.03, 0.3, 3):
            run = CheckRun.objects.create(attempt=attempt, state=CheckRun.State.DONE)
            CheckRun.objects.filter(pk=run.pk).update(
                created_at=pressed, finished_at=pressed + timedelta(seconds=seconds)
            )
        CheckRun.objects.create(attempt=attempt)  # pending: not a duration yet
        found = samples(scrape().content)["breakfix_check_duration_seconds"]
        name = "breakfix_check_duration_seconds"
        self.assertEqual(value(found, f"{name}_bucket", cluster="default", le="0.05"), 1)
        self.assertEqual(value(found, f"{name}_bucket", cluster="default", le="0.5"), 2)
        self.assertEqual(value(found, f"{name}_bucket", cluster="default", le="5.0"), 3)
        self.assertEqual(value(found, f"{name}_count", cluster="default"), 3)
        self.assertAlmostEqual(value(found, f"{name}_sum", cluster="default"), 3.33, places=3)

    def test_a_scrape_takes_a_bounded_number_of_queries(self) -> None:
        for learner, slug in ((self.alice, "wrong-selector"), (self.bob, "wrong-selector")):
            self.ready_attempt(learner, slug, 1.5)
        # Attempts, two histograms of durations and one of claims, the pool (levels, schedules,
        # targets) and the clusters: the same with 2 attempts or 2,000.
        with self.assertNumQueries(8):
            self.assertEqual(scrape().status_code, 200)

    def test_clusters_pool_levels_and_claims_carry_their_own_labels(self) -> None:
        from challenges.models import Challenge, Cluster
        from challenges.services.pool import pool_account_id
        from tests.challenges.test_clusters import NOWHERE, kubeconfig

        east = Cluster(name="east", capacity=4, reachable=False, state=Cluster.State.DRAINING)
        east.set_kubeconfig(kubeconfig(f"{NOWHERE}/east"))
        east.save()
        Challenge.objects.filter(slug="wrong-selector").update(pool_target=3)
        claimed = self.ready_attempt(self.alice, "wrong-selector", 1.0)
        Attempt.objects.filter(pk=claimed.pk).update(cluster=east, claim_seconds=0.04)
        pool = User.objects.get(pk=pool_account_id())
        self.make_attempt(pool, "wrong-selector", Status.READY, pooled=True, cluster=east)
        self.make_attempt(pool, "wrong-selector", Status.PROVISIONING, pooled=True)
        found = samples(scrape().content)
        claims = found["breakfix_claim_duration_seconds"]
        name = "breakfix_claim_duration_seconds"
        self.assertEqual(value(claims, f"{name}_bucket", cluster="east", le="0.025"), 0)
        self.assertEqual(value(claims, f"{name}_bucket", cluster="east", le="0.05"), 1)
        self.assertEqual(
            value(found["breakfix_attempts"], "breakfix_attempts", state="ready", cluster="east"), 2
        )
        pool_levels = found["breakfix_pool_environments"]
        labels = {"challenge": "wrong-selector"}
        self.assertEqual(value(pool_levels, "breakfix_pool_environments", **labels, state="ready"), 1)
        self.assertEqual(value(pool_levels, "breakfix_pool_environments", **labels, state="provisioning"), 1)
        self.assertEqual(value(found["breakfix_pool_target"], "breakfix_pool_target", **labels), 3)
        capacity = found["breakfix_cluster_capacity"]
        self.assertEqual(value(capacity, "breakfix_cluster_capacity", cluster="east", state="draining"), 4)
        held = found["breakfix_cluster_environments"]
        self.assertEqual(value(held, "breakfix_cluster_environments", cluster="east"), 2)
        self.assertEqual(value(found["breakfix_cluster_up"], "breakfix_cluster_up", cluster="east"), 0)


@pytest.mark.django_db
def test_queue_depth_counts_the_messages_waiting(redis_url: str, settings: Any) -> None:
    queue = f"metrics-test-{secrets.token_hex(4)}"
    settings.BREAKFIX_METRICS_TOKEN = TOKEN
    settings.CELERY_BROKER_URL = redis_url
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    # Real messages on the real broker, no worker taking them: two plain, one with a priority
    # (kombu keeps that one in a list of its own).
    tasks.sweep.apply_async(queue=queue)
    tasks.sweep.apply_async(queue=queue)
    tasks.reap.apply_async(queue=queue, priority=5)
    found = samples(scrape().content)
    assert value(found["breakfix_broker_up"], "breakfix_broker_up") == 1
    assert value(found["breakfix_celery_queue_length"], "breakfix_celery_queue_length", queue=queue) == 3
    assert "breakfix_celery_unacked_messages" in found


@pytest.mark.django_db
def test_a_broker_that_does_not_answer_is_reported_down(settings: Any) -> None:
    from tests.fixtures.worker import _free_port

    settings.BREAKFIX_METRICS_TOKEN = TOKEN
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_free_port()}/0"
    r = scrape()
    assert r.status_code == 200
    found = samples(r.content)
    assert value(found["breakfix_broker_up"], "breakfix_broker_up") == 0
    assert "breakfix_celery_queue_length" not in found
    assert "breakfix_attempts" in found
