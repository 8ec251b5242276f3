"""Streamed commands through the streaming view, the real runner (bwrap) and the local control plane.

The view runs in-process through Django's ASGI test client, the way uvicorn runs it: an async
view whose response is read chunk by chunk while kubectl still runs. A pod changed through
the API meanwhile shows up in `get pods -w`; Ctrl-C (the stop view) ends kubectl and its
sandbox; the lock holds while the stream runs; a watch stops at its cap with a note.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import AsyncClient, override_settings
from django.urls import reverse
from kubernetes import client

from challenges.console.runner import runner_health
from challenges.console.services import ConsoleBusy, console_run, console_running_id
from challenges.console.streaming import GONE
from challenges.models import Attempt
from tests.challenges.live_learner import live_attempt  # noqa: F401
from tests.challenges.test_console_tab_live import frontend_pods
from tests.fixtures.cluster import Cluster
from tests.fixtures.console import RunnerProcess, processes_with, wait_gone

pytestmark = [pytest.mark.live, pytest.mark.django_db]

EVENT_SECONDS = 20.0


@pytest.fixture(autouse=True)
def _runner(console_runner: RunnerProcess) -> None:
    """Every command goes through the session's runner, in its bwrap sandbox."""


class Stream:
    """One streamed console command, read event by event."""

    def __init__(self, browser: AsyncClient, attempt: Attempt) -> None:
        self.browser = browser
        self.attempt = attempt
        self.events: AsyncIterator[dict[str, object]] | None = None
        self.text = ""

    async def start(self, line: str) -> dict[str, object]:
        response = await self.browser.post(
            reverse("attempt_console_stream", args=[self.attempt.pk]), {"line": line}
        )
        assert response.status_code == 200
        assert response["Content-Type"] == "application/x-ndjson"
        self.events = self._lines(response.streaming_content)  # type: ignore[attr-defined]
        return await self.next()

    @staticmethod
    async def _lines(chunks: AsyncIterator[bytes]) -> AsyncIterator[dict[str, object]]:
        buffer = b""
        async for chunk in chunks:
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                yield json.loads(line)

    async def next(self) -> dict[str, object]:
        assert self.events is not None
        event = await asyncio.wait_for(anext(self.events), EVENT_SECONDS)
        if event["event"] == "output":
            self.text += str(event["data"])
        return event

    async def until(self, probe: Callable[[str], bool]) -> float:
        """Read output until `probe(all output so far)`; when that came."""
        while not probe(self.text):
            event = await self.next()
            assert event["event"] == "output", event
        return time.monotonic()

    async def rest(self) -> list[dict[str, object]]:
        events: list[dict[str, object]] = []
        while not events or events[-1]["event"] != "end":
            events.append(await self.next())
        return events

    async def stop(self, command_id: object) -> bool:
        r = await self.browser.post(
            reverse("attempt_console_stop", args=[self.attempt.pk]), {"id": command_id}
        )
        return bool(r.json()["stopped"])


def scenario(attempt: Attempt, body: Callable[[Stream], Awaitable[None]]) -> None:
    async def run() -> None:
        browser = AsyncClient()
        await browser.aforce_login(attempt.learner)
        await body(Stream(browser, attempt))

    async_to_sync(run)()


def label(cluster: Cluster, namespace: str, pod: str, value: str) -> None:
    with cluster.api_client() as api:
        client.CoreV1Api(api).patch_namespaced_pod(pod, namespace, {"metadata": {"labels": {"seen": value}}})


def test_a_watch_shows_a_pod_change_made_meanwhile(live_attempt: Attempt, cluster: Cluster) -> None:  # noqa: F811
    pods = frontend_pods(cluster, live_attempt.environment)
    delays: list[float] = []

    async def body(stream: Stream) -> None:
        started = await stream.start("kubectl get pods -w --show-labels")
        assert started["event"] == "started" and started["watches"] is True
        await stream.until(lambda text: all(pod in text for pod in pods))
        changed = time.monotonic()
        value = secrets.token_hex(4)
        await asyncio.to_thread(label, cluster, live_attempt.environment, pods[0], value)
        arrived = await stream.until(lambda text: f"seen={value}" in text)
        delays.append(arrived - changed)
        assert await stream.stop(started["id"])
        end = (await stream.rest())[-1]
        assert end["event"] == "end" and end["exit_code"] is None
        assert "[stopped]" in str(end["html"])

    scenario(live_attempt, body)
    assert delays[0] < 2.0, f"the change took {delays[0]:.2f} s to show"
    stored = live_attempt.console_commands.get()
    assert stored.command == "kubectl get pods -w --show-labels"
    assert stored.exit_code is None and not stored.refused
    assert stored.output.count(pods[0]) >= 2  # listed, then changed
    assert "[stopped] You stopped this command" in stored.output


def test_ctrl_c_ends_kubectl_and_its_sandbox(live_attempt: Attempt) -> None:  # noqa: F811
    marker = f"m{secrets.token_hex(6)}"
    found: dict[int, str] = {}

    async def body(stream: Stream) -> None:
        started = await stream.start(f"kubectl get pods -w -l mark!={marker}")
        await stream.until(lambda text: "frontend-" in text)
        found.update(processes_with(marker))
        assert len(found) == 3, found  # bwrap, bwrap as the sandbox's pid 1, kubectl
        assert console_running_id(attempt=live_attempt) == started["id"]
        assert not await stream.stop(
            "not-the-running-one"
        )  # an id that is not this attempt's running command
        assert await stream.stop(started["id"])
        end = (await stream.rest())[-1]
        assert end["event"] == "end"

    scenario(live_attempt, body)
    assert wait_gone(found), processes_with(marker)
    assert runner_health()["running"] == 0
    assert console_running_id(attempt=live_attempt) is None  # the lock is given back


@override_settings(BREAKFIX_CONSOLE_WATCH_SECONDS=2)
def test_a_watch_stops_at_its_cap_with_a_note(live_attempt: Attempt) -> None:  # noqa: F811
    async def body(stream: Stream) -> None:
        started = await stream.start("kubectl get pods -w")
        assert started["seconds"] == 2
        end = (await stream.rest())[-1]
        assert "watches for 2 seconds at most" in str(end["html"])

    began = time.monotonic()
    scenario(live_attempt, body)
    assert time.monotonic() - began < 8
    stored = live_attempt.console_commands.get()
    assert "[stopped after 2 s]" in stored.output
    assert "run the command again to keep watching" in stored.output


def test_an_ordinary_command_streams_too_and_is_stored_once(live_attempt: Attempt) -> None:  # noqa: F811
    async def body(stream: Stream) -> None:
        started = await stream.start("kubectl get endpoints frontend")
        assert started["watches"] is False
        end = (await stream.rest())[-1]
        assert end["exit_code"] == 0
        assert "Finished, exit code 0" in str(end["announce"])

    scenario(live_attempt, body)
    stored = live_attempt.console_commands.get()
    assert "<none>" in stored.output and stored.exit_code == 0


def test_the_console_stays_taken_while_a_command_streams(live_attempt: Attempt) -> None:  # noqa: F811
    async def body(stream: Stream) -> None:
        started = await stream.start("kubectl get pods -w")
        await stream.until(lambda text: "frontend-" in text)
        with pytest.raises(ConsoleBusy):
            await sync_to_async(console_run)(attempt=live_attempt, line="kubectl get pods")
        second = Stream(stream.browser, live_attempt)
        refused = await second.start("kubectl get services")
        assert refused["event"] == "end" and "still running" in str(refused["html"])
        assert await stream.stop(started["id"])
        await stream.rest()

    scenario(live_attempt, body)
    assert live_attempt.console_commands.count() == 1


def test_a_refused_line_streams_its_refusal(live_attempt: Attempt) -> None:  # noqa: F811
    async def body(stream: Stream) -> None:
        end = await stream.start("kubectl get pods --kubeconfig=/etc/kubernetes/admin.conf")
        assert end["event"] == "end" and end["refused"] is True
        assert "reads another kubeconfig" in str(end["html"])

    scenario(live_attempt, body)
    assert live_attempt.console_commands.get().refused


def test_a_browser_that_goes_away_ends_the_command(live_attempt: Attempt) -> None:  # noqa: F811
    marker = f"m{secrets.token_hex(6)}"
    found: dict[int, str] = {}

    async def body(stream: Stream) -> None:
        await stream.start(f"kubectl get pods -w -l mark!={marker}")
        await stream.until(lambda text: "frontend-" in text)
        found.update(processes_with(marker))
        # What uvicorn and Django do when the browser hangs up: the response's task is cancelled
        # while it waits for kubectl's next line. The listing may still be arriving in pieces
        # (under load, one chunk per pod): a read that finished in its 0.3 s is taken and
        # another begun, so that the cancel lands on a read that is waiting.
        reading = asyncio.ensure_future(stream.next())
        await asyncio.sleep(0.3)
        while reading.done():
            assert reading.result()["event"] == "output", reading.result()
            reading = asyncio.ensure_future(stream.next())
            await asyncio.sleep(0.3)
        reading.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reading

    scenario(live_attempt, body)
    assert found
    assert wait_gone(found), processes_with(marker)
    stored = live_attempt.console_commands.get()
    assert stored.output.endswith(GONE) and "frontend-" in stored.output
    assert console_running_id(attempt=live_attempt) is None
