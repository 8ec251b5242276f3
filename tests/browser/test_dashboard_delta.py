"""The dashboard's poll swaps only the changed cells in place, and the browser keeps the rows in
the server's order (platform/static/js/live.js).

Headless Chromium against the platform served by uvicorn, on the test database; no cluster is
needed: the attempts are written as the platform writes them (the model's own saves and
CheckRun.finish send what the classroom follows), between two polls of a dashboard that is
opened once and never reloaded.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.utils import timezone
from playwright.sync_api import Page, Response, expect
from pytest_django.live_server_helper import LiveServer

from challenges.models import Attempt, Challenge, CheckRun, Outcome, Status
from challenges.services.content import challenges_sync
from classroom.models import Assignment, Classroom, Membership
from tests.browser.people import PASSWORD
from validators import ObjectiveResult

pytestmark = [pytest.mark.browser]

POLL_MS = 20_000  # a poll every 3 s; a loaded machine may take a few


@pytest.fixture
def classroom(live_server: LiveServer) -> Iterator[Classroom]:
    challenges_sync(content_dir=settings.BREAKFIX_CONTENT_DIR)
    ivy = User.objects.create_user("ivy", password=PASSWORD)
    ivy.user_permissions.add(Permission.objects.get(codename="instruct", content_type__app_label="classroom"))
    room = Classroom.objects.create(name="Kubernetes 101", instructor=ivy)
    for slug in ("wrong-selector", "expose-internally"):
        Assignment.objects.create(classroom=room, challenge=Challenge.objects.get(slug=slug))
    for name in ("alice", "bob", "carol"):
        Membership.objects.create(classroom=room, learner=User.objects.create_user(name))
    yield room


def attempt(learner: str, slug: str, status: str = Status.READY) -> Attempt:
    challenge = Challenge.objects.get(slug=slug)
    now = timezone.now()
    fields: dict[str, object] = {"ready_at": now - timedelta(minutes=3)}
    if status == Status.SOLVED:
        fields.update(solved_at=now, outcome=Outcome.SOLVED)
    return Attempt.objects.create(
        learner=User.objects.get(username=learner),
        challenge=challenge,
        version=challenge.current_version,
        backend="namespace",
        environment=f"bf-{learner}-{slug}",
        status=status,
        expires_at=now + timedelta(hours=1),
        **fields,
    )


def finish_check(attempt: Attempt, passed: list[bool]) -> None:
    objectives = attempt.version.objectives()
    run = CheckRun.objects.create(attempt=attempt, total=len(objectives))
    run.finish(
        [
            ObjectiveResult(key=o.key, title=o.title, passed=ok, message="")
            for o, ok in zip(objectives, passed, strict=True)
        ]
    )


def rows(page: Page) -> list[str]:
    return page.locator("#board-rows tr").evaluate_all("rows => rows.map(r => r.dataset.learner)")


def test_a_poll_swaps_the_changed_cell_and_the_rows_keep_the_order(page: Page, classroom: Classroom) -> None:
    attempt("bob", "wrong-selector", Status.SOLVED)
    carol = attempt("carol", "wrong-selector")

    page.goto("/accounts/login/")
    page.fill("#id_username", "ivy")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"/classrooms/{classroom.pk}/dashboard/?sort=progress")
    assert rows(page) == ["bob", "alice", "carol"], rows(page)
    page.evaluate("window.__breakfixNoReload = 'still here'")
    polls: list[Response] = []
    page.on("response", lambda r: polls.append(r) if "since=" in r.url else None)

    # carol checks: half her objectives pass; only her cell (and her row's figures) change.
    finish_check(carol, [True, False])
    carol_cell = page.locator('#grid tr[data-learner="carol"] td[data-challenge="wrong-selector"]')
    expect(carol_cell).to_contain_text("1 of 2 checks", timeout=POLL_MS)
    expect(page.locator("#board-rows tr").nth(1)).to_have_attribute("data-learner", "carol")

    # alice solves both challenges: her row moves to the top without a reload.
    attempt("alice", "wrong-selector", Status.SOLVED)
    attempt("alice", "expose-internally", Status.SOLVED)
    expect(page.locator("#board-rows tr").first).to_have_attribute("data-learner", "alice", timeout=POLL_MS)
    expect(page.locator('#grid tr[data-learner="alice"] .row-sum')).to_contain_text("2/2")
    expect(page.locator("#dash-stats")).to_contain_text("3")
    assert rows(page) == ["alice", "bob", "carol"], rows(page)
    assert page.evaluate("window.__breakfixNoReload") == "still here"

    # The answers that carried a change were parts, not the grid; the others were 204.
    changed = [r for r in polls if r.status == 200]
    assert changed, "no poll carried a change"
    for response in changed:
        body = response.text()
        assert 'id="grid"' not in body, body[:200]
        assert len(body) < 30_000
    assert {r.status for r in polls} <= {200, 204}
