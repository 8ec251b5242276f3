"""A new learner solves `wrong-selector` from the browser alone.

Real everything: headless Chromium, the Django live server, a Celery worker on Redis, and the
local control plane. Sign up, open the challenge, start it, look at the Service's endpoints in
the console, fix its selector in the editor, check, see every objective pass and the challenge
marked solved in the catalog. Screenshots of the way land in artifacts/screenshots/.
"""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from challenges.backends import NamespaceBackend
from challenges.models import Attempt
from tests.base import solution_text
from tests.fixtures.browser import Screenshots

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.worker]

# Provisioning and checks run on a loaded two-core machine: be patient, but not forever.
READY_MS = 120_000
CHECK_MS = 60_000

# The reference fix, as a learner would paste it.
FIXED_SERVICE = solution_text("wrong-selector", "service.yaml")


def sign_up(page: Page, username: str) -> None:
    page.goto("/accounts/signup/")
    page.fill("#id_username", username)
    page.fill("#id_password1", "a-long-pass-phrase-42")
    page.fill("#id_password2", "a-long-pass-phrase-42")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Learn Kubernetes by repairing it")).to_be_visible()


def run_in_console(page: Page, line: str) -> None:
    before = page.locator("#console-log .console-entry").count()
    page.fill("#console-line", line)
    page.press("#console-line", "Enter")
    expect(page.locator("#console-log .console-entry")).to_have_count(before + 1, timeout=30_000)
    # The output streams into a running entry, which the stored entry replaces at the end.
    expect(page.locator("#console-log .console-entry.is-running")).to_have_count(0, timeout=30_000)


def start(page: Page, slug: str) -> Attempt:
    page.goto("/")
    page.locator(f'.card[data-slug="{slug}"]').click()
    page.get_by_role("button", name="Start challenge").click()
    expect(page).to_have_url(re.compile(r"/attempts/\d+/$"))
    expect(page.locator("#console-line")).to_be_visible(timeout=READY_MS)
    return Attempt.objects.get(challenge__slug=slug)


def replace_editor_text(page: Page, text: str) -> None:
    """Select everything in the editor and paste `text` over it, as a learner pasting would."""
    page.locator("#editor .CodeMirror").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(text)


def check_until_everything_passes(page: Page) -> None:
    """Press Check until every objective passes: the EndpointSlice controller needs a moment."""
    for _ in range(20):
        with page.expect_response(lambda response: response.url.endswith("/check/")):
            page.get_by_role("button", name="Check", exact=True).click()
        expect(page.get_by_role("button", name="Checking…")).to_have_count(0, timeout=CHECK_MS)
        if page.locator(".achievement").count() or page.locator(".objective.failed").count() == 0:
            return
        page.wait_for_timeout(1500)
    pytest.fail("the objectives never all passed")


def test_a_new_learner_solves_wrong_selector_in_the_browser(
    page: Page, platform: NamespaceBackend, screenshots: Screenshots
) -> None:
    sign_up(page, f"learner{secrets.token_hex(2)}")

    # The catalog, then the challenge.
    card = page.locator('.card[data-slug="wrong-selector"]')
    expect(card.locator(".status")).to_have_text("Not started")
    card.click()
    expect(page.get_by_role("heading", name="Wrong Selector", level=1)).to_be_visible()
    page.get_by_role("button", name="Start challenge").click()

    # Provisioning, live, until the workspace appears.
    expect(page).to_have_url(re.compile(r"/attempts/\d+/$"))
    expect(page.locator("#console-line")).to_be_visible(timeout=READY_MS)
    attempt = Attempt.objects.get()
    assert attempt.status == "ready"

    # The console: the Service has no endpoints.
    run_in_console(page, "kubectl get endpoints frontend")
    entry = page.locator("#console-log .console-entry").last
    expect(entry).to_contain_text("frontend")
    expect(entry).to_contain_text("<none>")
    run_in_console(page, "kubectl get pods --show-labels")
    run_in_console(page, "kubectl get pods -n kube-system")
    expect(page.locator("#console-log .console-entry").last).to_have_class(re.compile("is-refused"))

    # A first check fails, with the objectives' messages.
    page.get_by_role("button", name="Check", exact=True).click()
    expect(page.locator(".objective.failed").first).to_be_visible(timeout=CHECK_MS)
    page.locator("#editor-objects select option", has_text="Service/frontend").wait_for(state="attached")
    screenshots.take(page, "workspace-broken")

    # The editor: load the Service, fix its selector, preview, apply.
    page.select_option("#editor-ref", "Service/frontend")
    expect(page.locator("#editor .CodeMirror")).to_contain_text("front-end")
    replace_editor_text(page, FIXED_SERVICE)
    page.get_by_role("button", name="Preview diff").click()
    expect(page.locator("#editor-result .diff .add").first).to_contain_text("app: frontend")
    screenshots.take(page, "workspace-diff")
    page.get_by_role("button", name="Apply", exact=True).click()
    expect(page.locator("#editor-result")).to_contain_text("Applied")

    # Check again until every objective passes: the page turns to the solved state.
    check_until_everything_passes(page)
    expect(page.locator(".achievement")).to_be_visible(timeout=CHECK_MS)
    expect(page.locator(".objective.passed")).to_have_count(2)
    expect(page.locator(".objective.failed")).to_have_count(0)
    attempt.refresh_from_db()
    assert attempt.status == "solved"
    screenshots.take(page, "solved")

    # The catalog marks it solved.
    page.goto("/")
    expect(page.locator('.card[data-slug="wrong-selector"] .status')).to_have_text("Solved · 60 XP")
    screenshots.take(page, "catalog")
    page.goto("/profile/")
    expect(page.locator('tr[data-slug="wrong-selector"] .status')).to_have_text("Solved")
    screenshots.take(page, "profile")


def test_expose_internally_is_solved_with_a_service_written_in_the_editor(
    page: Page, platform: NamespaceBackend
) -> None:
    sign_up(page, f"learner{secrets.token_hex(2)}")
    attempt = start(page, "expose-internally")
    run_in_console(page, "kubectl get pods --show-labels")
    expect(page.locator("#console-log .console-entry").last).to_contain_text("app=webapp")

    # A new object, from the editor's Service template.
    page.select_option("#editor-template", "Service")
    expect(page.locator("#editor .CodeMirror")).to_contain_text("kind: Service")
    replace_editor_text(
        page,
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: webapp\nspec:\n  type: ClusterIP\n"
        "  selector:\n    app: webapp\n  ports:\n    - port: 80\n      targetPort: 8080\n",
    )
    page.get_by_role("button", name="Preview diff").click()
    expect(page.locator("#editor-result")).to_contain_text("would be created")
    page.get_by_role("button", name="Apply", exact=True).click()
    expect(page.locator("#editor-result")).to_contain_text("created")
    expect(page.locator("#editor-objects option", has_text="Service/webapp")).to_have_count(1)

    check_until_everything_passes(page)
    expect(page.locator(".achievement")).to_be_visible(timeout=CHECK_MS)
    attempt.refresh_from_db()
    assert attempt.status == "solved"


def test_partial_outage_is_solved_by_fixing_the_policy_in_the_editor(
    page: Page, platform: NamespaceBackend
) -> None:
    sign_up(page, f"learner{secrets.token_hex(2)}")
    attempt = start(page, "partial-outage")
    run_in_console(page, "kubectl describe networkpolicy allow-payments")
    expect(page.locator("#console-log .console-entry").last).to_contain_text("8080")

    page.locator("#editor-objects option", has_text="NetworkPolicy/allow-payments").wait_for(state="attached")
    page.select_option("#editor-ref", "NetworkPolicy/allow-payments")
    expect(page.locator("#editor .CodeMirror")).to_contain_text("port: 8080")
    solution = attempt.version.definition["solution"][0]["text"]
    replace_editor_text(page, solution)
    page.get_by_role("button", name="Preview diff").click()
    expect(page.locator("#editor-result .diff .add").first).to_contain_text("8443")
    page.get_by_role("button", name="Apply", exact=True).click()
    expect(page.locator("#editor-result")).to_contain_text("Applied")

    check_until_everything_passes(page)
    expect(page.locator(".achievement")).to_be_visible(timeout=CHECK_MS)
    attempt.refresh_from_db()
    assert attempt.status == "solved"
