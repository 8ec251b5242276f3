"""An instructor runs a 5-minute assessment with two learners: one solves, one half-solves.

Real everything: headless Chromium (the instructor and alice, each in a browser context of
their own), the web server, a Celery worker on Redis provisioning, checking and closing on the
local control plane. The instructor schedules the assessment in the browser and opens its
results, never reloaded. Alice opens it, sees the countdown and opens Wrong Selector from it;
bob starts his as the page would. Alice fixes the Service, bob fixes half of it (the platform's
credentials stand in for their kubectl). Then the five minutes are up: the test moves the end to
now and sends the closing, as the beat does every sweep. The open results table shows 100 % for
alice and 50 % for bob without a reload, and alice reads her result.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone
from playwright.sync_api import Page, expect

from challenges.backends import NamespaceBackend
from challenges.models import Attempt, Challenge, Status
from classroom import tasks
from classroom.assessments import services
from classroom.models import Assessment, Assignment, Classroom, Membership, Sitting
from tests.browser.people import PASSWORD, log_in
from tests.browser.test_learner_flow import READY_MS
from tests.fixtures.browser import Screenshots
from tests.fixtures.cluster import Cluster
from tests.fixtures.worker import wait_until
from tests.live.fairness import load, solve
from tests.live.scenarios import half_fix_wrong_selector
from validators import kube

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.worker]

# The results table polls every 3 s; closing checks each environment first.
RESULTS_MS = 60_000


def ready(attempt_id: int) -> Attempt:
    wait_until(
        lambda: Attempt.objects.get(pk=attempt_id).status == Status.READY,
        timeout=READY_MS / 1000,
        what=f"attempt {attempt_id} to be ready",
    )
    return Attempt.objects.get(pk=attempt_id)


def test_a_five_minute_assessment_gives_full_and_partial_credit_without_a_reload(
    page: Page, learner_page: Page, platform: NamespaceBackend, cluster: Cluster, screenshots: Screenshots
) -> None:
    ivy = User.objects.create_user("ivy", password=PASSWORD)
    ivy.user_permissions.add(Permission.objects.get(codename="instruct", content_type__app_label="classroom"))
    alice = User.objects.create_user("alice", password=PASSWORD)
    bob = User.objects.create_user("bob", password=PASSWORD)
    classroom = Classroom.objects.create(name="Kubernetes 101", instructor=ivy)
    challenge = Challenge.objects.get(slug="wrong-selector")
    Assignment.objects.create(classroom=classroom, challenge=challenge)
    for learner in (alice, bob):
        Membership.objects.create(classroom=classroom, learner=learner)

    # The instructor schedules it from the classroom's page: five minutes, from now.
    log_in(page, "ivy")
    page.goto(classroom.get_absolute_url())
    page.get_by_role("link", name="Schedule an assessment").click()
    page.fill("#id_title", "Friday practical")
    page.get_by_label(re.compile(r"Wrong Selector")).check()
    page.fill("#id_starts_at", (timezone.now() - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_minutes", "5")
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_role("heading", name="Friday practical", level=1)).to_be_visible()
    assessment = Assessment.objects.get(title="Friday practical")
    assert assessment.ends_at - assessment.starts_at == timedelta(minutes=5)
    page.evaluate("window.__breakfixNoReload = 'still here'")
    expect(page.locator('tr[data-learner="alice"]')).to_have_attribute("data-state", "not begun")

    # Alice opens it: a countdown, the assessment's challenge, and its environment.
    log_in(learner_page, "alice")
    learner_page.goto(classroom.get_absolute_url())
    learner_page.get_by_role("link", name="Friday practical").click()
    expect(learner_page.locator("[data-countdown]")).to_have_text(re.compile(r"^[0-5]:\d\d$"))
    screenshots.take(learner_page, "assessment-sitting")
    learner_page.get_by_role("button", name="Open").click()
    expect(learner_page).to_have_url(re.compile(r"/attempts/\d+/$"))
    expect(learner_page.locator("#console-line")).to_be_visible(timeout=READY_MS)
    alices = ready(int(learner_page.url.rstrip("/").rsplit("/", 1)[1]))
    bobs = ready(services.assessment_start(assessment=assessment, learner=bob, slug=challenge.slug).pk)
    expect(page.locator('tr[data-learner="alice"]')).to_have_attribute("data-state", "in progress")

    # Alice fixes the Service; bob routes it by another label, which is half the objectives.
    api = kube.client_from_file(cluster.kubeconfig)
    solve(api, load(challenge.slug), alices.environment)
    api.close()
    half_fix_wrong_selector(cluster, bobs.environment)

    # Five minutes later: the end, and the closing the beat sends every sweep.
    Assessment.objects.filter(pk=assessment.pk).update(ends_at=timezone.now())
    tasks.close_sittings.delay()

    # The open table shows both results, never reloaded.
    expect(page.locator('tr[data-learner="alice"] td.result')).to_have_attribute(
        "data-score", "100", timeout=RESULTS_MS
    )
    expect(page.locator('tr[data-learner="bob"] td.result')).to_have_attribute(
        "data-score", "50", timeout=RESULTS_MS
    )
    expect(page.locator('tr[data-learner="bob"] td.total')).to_have_text("50%")
    assert page.evaluate("window.__breakfixNoReload") == "still here"
    page.locator('tr[data-learner="bob"] td.result summary').click()
    expect(page.locator('tr[data-learner="bob"] li.failed')).to_contain_text("app label")
    screenshots.take(page, "assessment-results")
    assert Sitting.objects.filter(assessment=assessment, closed_at__isnull=False).count() == 2

    # Alice reads her own result (and the reference solution, shown afterwards by default).
    learner_page.goto(assessment.get_absolute_url())
    expect(learner_page.get_by_role("heading", name="Your result")).to_be_visible()
    expect(learner_page.locator('tr[data-challenge="wrong-selector"]')).to_contain_text("100%")
    screenshots.take(learner_page, "assessment-result")
