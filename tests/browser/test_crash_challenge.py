"""A learner solves `crashloop-config-key` from the browser, reading the crash the way one reads a
real one: through the console, on the local control plane with the simulation playing the kubelet.

`kubectl get pods` shows CrashLoopBackOff with the restarts climbing, `kubectl logs --previous`
the app's own error, `kubectl describe pod` the back-off events; the learner adds the missing key
to the ConfigMap and restarts the rollout, the pods run, their logs are healthy, and Check passes.
"""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from challenges.backends import NamespaceBackend
from tests.browser.test_learner_flow import check_until_everything_passes, run_in_console, sign_up, start
from tests.fixtures.browser import Screenshots
from tests.fixtures.cluster import eventually

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.worker]

SLUG = "crashloop-config-key"
DATABASE = "postgres://orders@orders-db:5432/orders"
POLL_MS = 3000


def last_output(page: Page, line: str) -> str:
    run_in_console(page, line)
    return page.locator("#console-log .console-entry").last.inner_text()


def polled(page: Page, line: str) -> str:
    """`line` again, at a learner's pace: the console allows 30 commands a minute (BREAKFIX_CONSOLE_RATE)."""
    page.wait_for_timeout(POLL_MS)
    output = last_output(page, line)
    assert "faster than this console takes them" not in output, output
    return output


def restarts(output: str) -> list[int]:
    return [int(n) for n in re.findall(r"CrashLoopBackOff\s+(\d+)", output)]


def test_a_learner_reads_a_crash_loop_in_the_console_fixes_it_and_it_runs(
    page: Page, platform: NamespaceBackend, screenshots: Screenshots
) -> None:
    sign_up(page, f"learner{secrets.token_hex(2)}")
    start(page, SLUG)

    def looping(more_than: int) -> str | None:
        output = polled(page, "kubectl get pods")
        return output if max(restarts(output), default=-1) > more_than else None

    first = eventually(lambda: looping(-1), "CrashLoopBackOff in the console", timeout=60)
    climbed = eventually(lambda: looping(max(restarts(first))), "the restarts to climb", timeout=60)
    screenshots.take(page, "crash-loop-get-pods")
    pod = re.search(r"(orders-api-\S+)\s+0/1\s+CrashLoopBackOff", climbed)
    assert pod, climbed

    previous = last_output(page, f"kubectl logs {pod.group(1)} --previous")
    assert "FATAL config: required setting DATABASE_URL is not set" in previous
    described = last_output(page, f"kubectl describe pod {pod.group(1)}")
    assert "Back-off restarting failed container api" in described, described
    screenshots.take(page, "crash-loop-describe")

    run_in_console(
        page, f"""kubectl patch configmap orders-api-config -p '{{"data":{{"DATABASE_URL":"{DATABASE}"}}}}'"""
    )
    run_in_console(page, "kubectl rollout restart deployment orders-api")

    def two_running() -> str | None:
        output = polled(page, "kubectl get pods")
        lines = [line for line in output.splitlines() if line.startswith("orders-api-")]
        healthy = [line for line in lines if re.search(r"\s1/1\s+Running\s", line)]
        return output if len(lines) == len(healthy) == 2 else None

    eventually(two_running, "both replicas Running in the console", timeout=90)
    expect(page.locator("#console-log .console-entry").last).to_contain_text("Running")
    assert "listening on :8080" in last_output(page, "kubectl logs deployment/orders-api")
    check_until_everything_passes(page)
    expect(page.locator(".objective.failed")).to_have_count(0)
    screenshots.take(page, "crash-loop-solved")
