"""An instructor tells the class to stop, from the dashboard; a learner's open workspace shows it
within its poll, without a reload. Then a word to that learner alone, from the drill-down.

Real everything: Chromium (two browser contexts), the web server, a Celery worker provisioning
the learner's environment on the local control plane.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from playwright.sync_api import Page, expect

from challenges.backends import NamespaceBackend
from challenges.models import Challenge
from classroom.models import Assignment, Classroom, Membership
from tests.browser.people import PASSWORD, log_in
from tests.browser.test_learner_flow import READY_MS
from tests.fixtures.browser import Screenshots

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.worker]

NOTICE_MS = 15_000  # the workspace asks every 5 s


def test_a_notice_reaches_an_open_workspace_without_a_reload(
    page: Page, learner_page: Page, platform: NamespaceBackend, screenshots: Screenshots
) -> None:
    ivy = User.objects.create_user("ivy", password=PASSWORD)
    ivy.user_permissions.add(Permission.objects.get(codename="instruct", content_type__app_label="classroom"))
    alice = User.objects.create_user("alice", password=PASSWORD)
    classroom = Classroom.objects.create(name="Kubernetes 101", instructor=ivy)
    Assignment.objects.create(classroom=classroom, challenge=Challenge.objects.get(slug="wrong-selector"))
    Membership.objects.create(classroom=classroom, learner=alice)

    log_in(learner_page, "alice")
    learner_page.goto("/challenges/wrong-selector/")
    learner_page.get_by_role("button", name="Start challenge").click()
    expect(learner_page.locator("#console-line")).to_be_visible(timeout=READY_MS)
    learner_page.evaluate("window.__breakfixNoReload = 'still here'")

    log_in(page, "ivy")
    page.goto(f"/classrooms/{classroom.pk}/dashboard/")
    page.get_by_label("Tell the class").fill("Stop here: look at the projector")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Sent to the class.")).to_be_visible()

    notice = learner_page.locator("#notices .notice")
    expect(notice).to_contain_text("To the class: Stop here: look at the projector", timeout=NOTICE_MS)
    assert learner_page.evaluate("window.__breakfixNoReload") == "still here"

    page.goto(f"/classrooms/{classroom.pk}/learners/{alice.pk}/wrong-selector/")
    page.get_by_label("Message alice").fill("Compare the Service's selector with the pods' labels")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Sent to alice.")).to_be_visible()
    expect(learner_page.locator("#notices .notice").first).to_contain_text(
        "To you: Compare the Service's selector", timeout=NOTICE_MS
    )
    screenshots.take(learner_page, "workspace-notices")
    # Both are in her timeline, where the drill-down came back to.
    expect(page.locator(".entry-notice")).to_have_count(2)
    expect(page.locator(".entry-notice").first).to_contain_text("Told the class")
