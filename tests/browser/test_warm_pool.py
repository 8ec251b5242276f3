"""An instructor keeps environments ready for their class from the classroom's page, in Chromium:
the form, the confirmation, the list, and cancelling it."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission, User
from playwright.sync_api import Page, expect

from challenges.models import Challenge, PoolSchedule
from challenges.services.content import challenges_sync
from classroom.models import Assignment, Classroom
from tests.browser.people import PASSWORD
from tests.fixtures.browser import Screenshots

pytestmark = [pytest.mark.browser]


def test_an_instructor_keeps_environments_ready_for_the_class(page: Page, screenshots: Screenshots) -> None:
    challenges_sync(content_dir=django_settings.BREAKFIX_CONTENT_DIR)
    ivy = User.objects.create_user("ivy", password=PASSWORD)
    ivy.user_permissions.add(Permission.objects.get(codename="instruct", content_type__app_label="classroom"))
    classroom = Classroom.objects.create(name="Kubernetes 101", instructor=ivy)
    for slug in ("wrong-selector", "image-tag-typo"):
        Assignment.objects.create(classroom=classroom, challenge=Challenge.objects.get(slug=slug))

    page.goto("/accounts/login/")
    page.fill("#id_username", "ivy")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(classroom.get_absolute_url())
    panel = page.locator(".warm-pools-panel")
    expect(panel.get_by_role("heading", name="Ready at once")).to_be_visible()
    panel.locator("#id_challenge").select_option(label="Wrong Selector")
    panel.locator("#id_ready").fill("40")
    panel.locator("#id_minutes").fill("90")
    panel.get_by_role("button", name="Keep ready").click()
    expect(page.get_by_text("40 environments of “Wrong Selector” will be kept ready")).to_be_visible()
    expect(panel.locator("[data-warm-pool]")).to_have_count(1)
    schedule = PoolSchedule.objects.get()
    assert (schedule.target, schedule.challenge.slug, schedule.created_by) == (40, "wrong-selector", ivy)
    screenshots.take(page, "classroom-warm-pool")

    panel.get_by_role("button", name="Cancel the warm pool for Wrong Selector").click()
    expect(page.get_by_text("The warm pool for “Wrong Selector” is cancelled.")).to_be_visible()
    expect(page.locator(".warm-pools-panel [data-warm-pool]")).to_have_count(0)
    assert not PoolSchedule.objects.exists()
