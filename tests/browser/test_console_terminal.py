"""The console as a terminal, in Chromium: Tab completes a pod name, a watch streams, Ctrl-C stops it.

Real everything, as in test_learner_flow: the platform served through ASGI (uvicorn), a Celery
worker that provisions `wrong-selector` on the local control plane, the console runner in its
bwrap sandbox. The learner types `kubectl logs fr` and Tab, and the pod's name completes; a
pod changed through the API shows in `kubectl get pods -w` within a second; Ctrl-C ends the
command; ↑ brings it back after a reload; Ctrl-L clears the screen.
"""

from __future__ import annotations

import re
import secrets
import time

import pytest
from kubernetes import client
from playwright.sync_api import Page, expect

from challenges.backends import NamespaceBackend
from challenges.console.runner import runner_health
from tests.browser.test_learner_flow import sign_up, start
from tests.fixtures.browser import Screenshots
from tests.fixtures.cluster import Cluster, eventually

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.worker]

CHANGE_SHOWN_MS = 1000


def frontend_pods(cluster: Cluster, namespace: str) -> list[str]:
    def three() -> list[str] | None:
        with cluster.api_client() as api:
            pods = client.CoreV1Api(api).list_namespaced_pod(namespace, label_selector="app=frontend").items
        names = sorted(str(pod.metadata.name) for pod in pods if pod.metadata)
        return names if len(names) == 3 else None

    return eventually(three, "three frontend pods")


def common_prefix(names: list[str]) -> str:
    prefix = names[0]
    for name in names:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    return prefix


def test_the_console_completes_streams_and_stops_like_a_terminal(
    page: Page, platform: NamespaceBackend, cluster: Cluster, screenshots: Screenshots
) -> None:
    sign_up(page, f"learner{secrets.token_hex(2)}")
    attempt = start(page, "wrong-selector")
    pods = frontend_pods(cluster, attempt.environment)
    line = page.locator("#console-line")

    # Tab: several pods start with `fr`; their common part completes and they are listed.
    line.press_sequentially("kubectl logs fr")
    line.press("Tab")
    prefix = common_prefix(pods)
    expect(line).to_have_value(f"kubectl logs {prefix}")
    expect(page.locator("#console-completions .console-completion")).to_have_count(3)
    for pod in pods:
        expect(page.locator("#console-completions")).to_contain_text(pod)
    screenshots.take(page, "console-completions")
    # A letter or two more, Tab again: one pod's whole name, and a space after it.
    target = pods[0]
    typed = len(prefix) + 1
    while any(other.startswith(target[:typed]) for other in pods[1:]):
        typed += 1
    line.press_sequentially(target[len(prefix) : typed])
    line.press("Tab")
    expect(line).to_have_value(f"kubectl logs {target} ")
    expect(page.locator("#console-completions")).to_be_hidden()

    # A flag completes; one the console refuses is never offered.
    line.fill("kubectl get pods --show-l")
    line.press("Tab")
    expect(line).to_have_value("kubectl get pods --show-labels ")
    line.fill("kubectl get pods --kubec")
    line.press("Tab")
    expect(page.locator("#console-completions")).to_contain_text("Nothing to complete")
    expect(line).to_have_value("kubectl get pods --kubec")
    line.fill("kubectl get pods --")
    line.press("Tab")
    listed = page.locator("#console-completions")
    expect(listed).to_contain_text("--show-labels")
    expect(listed).to_contain_text("--watch")
    expect(listed).to_contain_text(
        "After listing/getting the requested object, watch for changes"
    )  # kubectl's words
    for refused in ("--kubeconfig", "--token", "--as", "--server", "--all-namespaces", "--filename"):
        expect(listed.locator("code", has_text=re.compile(f"^{refused}$"))).to_have_count(0)
    screenshots.take(page, "console-flags")
    line.press("Escape")

    # A watch streams: a pod changed through the API shows within a second.
    line.fill("kubectl get pods -w")
    line.press("Enter")
    running = page.locator("#console-log .console-entry.is-running")
    expect(running).to_have_count(1)
    for pod in pods:
        expect(running).to_contain_text(pod)
    expect(page.locator("#console-running")).to_contain_text("watching")
    changed = time.monotonic()
    with cluster.api_client() as api:
        client.CoreV1Api(api).patch_namespaced_pod(
            pods[1], attempt.environment, {"metadata": {"labels": {"seen": "yes"}}}
        )
    page.wait_for_function(
        """([pod, before]) => {
          const out = document.querySelector("#console-log .console-entry.is-running .console-out");
          return out !== null && out.textContent.split(pod).length - 1 > before;
        }""",
        arg=[pods[1], 1],
        timeout=CHANGE_SHOWN_MS,
    )
    shown_after = time.monotonic() - changed
    assert shown_after < CHANGE_SHOWN_MS / 1000, f"the change showed after {shown_after:.2f} s"
    screenshots.take(page, "console-watch")

    # Ctrl-C ends it: the stored entry replaces the running one, and it is announced.
    line.press("Control+c")
    expect(running).to_have_count(0, timeout=5000)
    last = page.locator("#console-log .console-entry").last
    expect(last).to_have_class(re.compile("is-stopped"))
    expect(last).to_contain_text("[stopped] You stopped this command")
    expect(page.locator("#console-announce")).to_contain_text("Finished, stopped")
    eventually(lambda: True if runner_health()["running"] == 0 else None, "kubectl to be gone", timeout=5)
    stored = attempt.console_commands.get(command="kubectl get pods -w")
    assert stored.exit_code is None and stored.output.count(pods[1]) >= 2
    expect(line).to_be_focused()

    # Ctrl-L clears the screen; the history outlives a reload.
    line.press("Control+l")
    expect(page.locator("#console-log .console-entry")).to_have_count(0)
    page.reload()
    expect(page.locator("#console-log .console-entry")).to_have_count(1)
    line.press("ArrowUp")
    expect(line).to_have_value("kubectl get pods -w")

    # The larger layout: the console beside the objectives, remembered across a reload.
    line.fill("kubectl get pods")
    line.press("Enter")
    expect(page.locator("#console-log .console-entry.is-running")).to_have_count(0, timeout=30_000)
    page.get_by_role("button", name="Beside the objectives").click()
    expect(page.locator(".workspace-grid #console")).to_have_count(1)
    page.reload()
    expect(page.locator(".workspace-grid #console")).to_have_count(1)
    expect(page.get_by_role("button", name="Beside the objectives")).to_have_attribute("aria-pressed", "true")
    screenshots.take(page, "console-beside")


def test_keyboard_only_the_console_never_traps_focus(page: Page, platform: NamespaceBackend) -> None:
    sign_up(page, f"learner{secrets.token_hex(2)}")
    start(page, "wrong-selector")
    line = page.locator("#console-line")
    line.focus()
    line.press("Tab")  # an empty line: Tab moves on, as everywhere
    expect(line).not_to_be_focused()
    line.focus()
    line.press_sequentially("kubectl get po")
    line.press("Escape")
    line.press("Tab")  # Esc, then Tab: leave with what is typed
    expect(line).not_to_be_focused()
    expect(line).to_have_value("kubectl get po")
