"""An instructor watches a learner solve a challenge on the live dashboard.

Real everything: headless Chromium (two browser contexts, one per person), the Django live
server, a Celery worker on Redis provisioning and checking on the local control plane. The
instructor creates a classroom in the browser; a new learner follows the join link, signs up,
joins, starts `wrong-selector`, checks, fixes the Service in the editor and checks until it
passes. The instructor's dashboard, opened once and never reloaded, follows each step: the
learner's row appears, the cell turns working, then shows the checks, then solved. The grid CSV
then holds the solved row, and the drill-down shows the timeline.
"""

from __future__ import annotations

import csv
import io
import re
import secrets

import pytest
from django.contrib.auth.models import Permission, User
from playwright.sync_api import Locator, Page, expect

from challenges.backends import NamespaceBackend
from challenges.models import Attempt
from classroom.models import Classroom
from tests.browser.people import PASSWORD
from tests.browser.test_learner_flow import (
    CHECK_MS,
    FIXED_SERVICE,
    READY_MS,
    check_until_everything_passes,
    replace_editor_text,
)
from tests.fixtures.browser import Screenshots

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.worker]

# The grid polls every 3 s; a loaded machine may take a few polls to show a change.
DASHBOARD_MS = 20_000


def cell(page: Page, learner: str, slug: str) -> Locator:
    return page.locator(f'#grid tr[data-learner="{learner}"] td[data-challenge="{slug}"]')


def test_the_dashboard_follows_a_learner_to_solved_without_a_reload(
    page: Page, learner_page: Page, platform: NamespaceBackend, screenshots: Screenshots
) -> None:
    instructor = User.objects.create_user("ivy", password=PASSWORD)
    instructor.user_permissions.add(
        Permission.objects.get(codename="instruct", content_type__app_label="classroom")
    )
    learner = f"learner{secrets.token_hex(2)}"

    # The instructor logs in and creates a classroom with one challenge.
    page.goto("/accounts/login/")
    page.fill("#id_username", "ivy")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/classrooms/")
    page.get_by_role("link", name="New classroom").click()
    page.fill("#id_name", "Kubernetes 101")
    page.get_by_label(re.compile(r"Wrong Selector")).check()
    page.get_by_role("button", name="Create classroom").click()
    expect(page.get_by_role("heading", name="Kubernetes 101", level=1)).to_be_visible()
    classroom = Classroom.objects.get(name="Kubernetes 101")
    expect(page.locator("#invite-code")).to_have_text(classroom.invite_code_display)
    join_link = page.locator("#join-link").input_value()
    assert join_link.endswith(f"/classrooms/join/{classroom.invite_code}/")

    # The dashboard opens once; a marker on the window proves it is never reloaded.
    page.get_by_role("link", name="Open the dashboard").click()
    expect(page.get_by_text("Nobody has joined yet")).to_be_visible()
    page.evaluate("window.__breakfixNoReload = 'still here'")

    # The learner follows the link, signs up, comes back to it and joins.
    learner_page.goto(join_link)
    expect(learner_page.get_by_role("heading", name="Kubernetes 101")).to_be_visible()
    learner_page.get_by_role("link", name="Sign up to join").click()
    learner_page.fill("#id_username", learner)
    learner_page.fill("#id_password1", PASSWORD)
    learner_page.fill("#id_password2", PASSWORD)
    learner_page.get_by_role("button", name="Sign up").click()
    learner_page.get_by_role("button", name="Join Kubernetes 101").click()
    expect(learner_page.get_by_text("Welcome to “Kubernetes 101”")).to_be_visible()

    # The row appears on the instructor's open dashboard.
    expect(cell(page, learner, "wrong-selector")).to_have_attribute(
        "data-state", "not-started", timeout=DASHBOARD_MS
    )

    # The learner starts the challenge from their assignment list.
    learner_page.get_by_role("link", name="Wrong Selector").click()
    learner_page.get_by_role("button", name="Start challenge").click()
    expect(learner_page).to_have_url(re.compile(r"/attempts/\d+/$"))
    expect(learner_page.locator("#console-line")).to_be_visible(timeout=READY_MS)
    expect(cell(page, learner, "wrong-selector")).to_have_attribute(
        "data-state", "working", timeout=DASHBOARD_MS
    )

    # A first check fails: the dashboard shows how many objectives pass.
    learner_page.get_by_role("button", name="Check", exact=True).click()
    expect(learner_page.locator(".objective.failed").first).to_be_visible(timeout=CHECK_MS)
    expect(cell(page, learner, "wrong-selector")).to_have_attribute(
        "data-state", "checking", timeout=DASHBOARD_MS
    )
    expect(cell(page, learner, "wrong-selector")).to_contain_text(re.compile(r"\d of 2 checks"))

    # The learner fixes the Service in the editor and checks until everything passes.
    learner_page.locator("#editor-objects option", has_text="Service/frontend").wait_for(state="attached")
    learner_page.select_option("#editor-ref", "Service/frontend")
    expect(learner_page.locator("#editor .CodeMirror")).to_contain_text("front-end")
    replace_editor_text(learner_page, FIXED_SERVICE)
    learner_page.get_by_role("button", name="Apply", exact=True).click()
    expect(learner_page.locator("#editor-result")).to_contain_text("Applied")
    check_until_everything_passes(learner_page)
    expect(learner_page.locator(".achievement")).to_be_visible(timeout=CHECK_MS)

    # The instructor's dashboard turns the cell solved, with the time, without a reload.
    solved = cell(page, learner, "wrong-selector")
    expect(solved).to_have_attribute("data-state", "solved", timeout=DASHBOARD_MS)
    expect(solved).to_contain_text(re.compile(r"✓ \d+m \d\ds"))
    expect(page.locator(f'#grid tr[data-learner="{learner}"] .row-sum')).to_contain_text("1/1")
    assert page.evaluate("window.__breakfixNoReload") == "still here"
    screenshots.take(page, "classroom-dashboard-live")

    # The grid CSV holds the row.
    export = page.request.get(f"/classrooms/{classroom.pk}/export/grid.csv")
    assert export.ok
    rows = list(csv.DictReader(io.StringIO(export.text())))
    attempt = Attempt.objects.get(learner__username=learner, challenge__slug="wrong-selector")
    assert attempt.solved_at is not None and attempt.time_to_solve is not None
    assert len(rows) == 1
    row = rows[0]
    assert (row["learner"], row["challenge"], row["status"], row["attempts"]) == (
        learner,
        "wrong-selector",
        "solved",
        "1",
    )
    assert row["solved_at"] == attempt.solved_at.isoformat()
    assert row["time_to_solve_seconds"] == str(int(attempt.time_to_solve.total_seconds()))
    assert int(row["check_runs"]) >= 2

    # The drill-down tells the story, each step with its time.
    solved.locator("a").click()
    expect(page.get_by_role("heading", name=re.compile(f"{learner} · Wrong Selector"))).to_be_visible()
    expect(page.locator(".entry-check.is-bad").first).to_be_visible()
    expect(page.locator(".entry-check.is-ok")).to_have_count(1)
    expect(page.locator(".entry-event", has_text="Solved")).to_have_count(1)
    screenshots.take(page, "classroom-drilldown-live")
