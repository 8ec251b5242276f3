"""An instructor tells the class to stop, from the dashboard; a learner's open workspace shows it
within its poll, without a reload. Then a word to that learner alone, from the drill-down.

Real everything: Chromium (two browser contexts), the web server, a Celery worker provisioning
the learner's environment on the local control plane.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Permission, User
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from challenges.backends import NamespaceBackend
from challenges.models import Challenge
from classroom.models import Assignment, Classroom, Membership
from tests.browser.test_learner_flow import READY_MS
from tests.fixtures.browser import LAPTOP, Screenshots, WebServer

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.worker]

PASSWORD = "a-long-pass-phrase-42"
NOTICE_MS = 15_000  # the workspace asks every 5 s


@pytest.fixture
def learner_page(browser: Browser, live_server: LiveServer, web_server: WebServer) -> Iterator[Page]:
    context = browser.new_context(viewport=LAPTOP, base_url=web_server.url, locale="en-US")
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()


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
