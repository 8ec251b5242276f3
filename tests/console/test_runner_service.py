"""The runner as a service: streaming, stop, kill, the concurrency cap, the token, its start-up checks.

All against the real runner in its real bwrap sandbox running the pinned kubectl. The
kubeconfig points at a port where nothing listens: none of this needs an API server.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.contrib.auth.models import User
from django.test import override_settings

from challenges.console.runner import (
    Exit,
    Output,
    RunnerBusy,
    kubectl_complete,
    kubectl_run,
    kubectl_stop,
    kubectl_stream,
    runner_health,
)
from challenges.console.services import ConsoleUnavailable, console_run
from challenges.models import Attempt, Challenge, Status
from challenges.secrets import encrypt
from challenges.services.content import challenges_sync
from tests.fixtures.cluster import REPO
from tests.fixtures.console import RunnerProcess, processes_with, runner_kubectl, start_runner, wait_gone

KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u, namespace: ns}}]
current-context: c
"""


def first_output(events: Iterator[object]) -> Output:
    for event in events:
        if isinstance(event, Output):
            return event
    pytest.fail("the command ended without output")


def proxy(marker: str, **options: Any) -> Iterator[object]:
    return kubectl_stream(
        args=["proxy", "--port=0", f"--www-prefix=/{marker}/"], kubeconfig=KUBECONFIG, **options
    )


@pytest.fixture
def marker(request: pytest.FixtureRequest) -> str:
    import secrets

    return f"m{secrets.token_hex(6)}"


def test_output_arrives_while_the_command_still_runs(console_runner: RunnerProcess, marker: str) -> None:
    started = time.monotonic()
    events = proxy(marker, timeout_seconds=3)
    assert "Starting to serve on 127.0.0.1:" in first_output(events).data
    assert time.monotonic() - started < 2.0  # long before the time limit ends the command
    end = list(events)[-1]
    assert isinstance(end, Exit) and end.timed_out


def test_stop_ends_the_command_and_every_process_of_its_sandbox(
    console_runner: RunnerProcess, marker: str
) -> None:
    events = proxy(marker, command_id=f"stop-{marker}", timeout_seconds=30)
    first_output(events)
    pids = processes_with(marker)
    assert len(pids) == 3, pids  # bwrap, bwrap as the sandbox's pid 1, kubectl
    assert kubectl_stop(command_id=f"stop-{marker}") is True
    end = list(events)[-1]
    assert isinstance(end, Exit) and end.stopped and end.exit_code is None and end.duration_ms < 5000
    assert wait_gone(pids), processes_with(marker)
    assert kubectl_stop(command_id=f"stop-{marker}") is False  # nothing runs under it any more


def test_the_time_limit_leaves_no_process_behind(console_runner: RunnerProcess, marker: str) -> None:
    events = proxy(marker, timeout_seconds=2)
    first_output(events)
    pids = processes_with(marker)
    assert pids
    end = list(events)[-1]
    assert isinstance(end, Exit) and end.timed_out
    assert wait_gone(pids), processes_with(marker)


def test_a_client_that_hangs_up_ends_its_command(console_runner: RunnerProcess, marker: str) -> None:
    events = proxy(marker, timeout_seconds=30)
    first_output(events)
    pids = processes_with(marker)
    assert pids
    events.close()  # type: ignore[attr-defined]
    assert wait_gone(pids), processes_with(marker)
    assert runner_health()["running"] == 0


def test_the_output_cap_ends_the_command(console_runner: RunnerProcess) -> None:
    events = list(kubectl_stream(args=["completion", "bash"], kubeconfig=KUBECONFIG, output_limit=500))
    text = "".join(event.data for event in events if isinstance(event, Output))
    end = events[-1]
    assert isinstance(end, Exit) and end.truncated and end.exit_code is None
    assert len(text.encode()) <= 500


def test_the_runner_reports_its_sandbox_and_is_not_dumpable(console_runner: RunnerProcess) -> None:
    health = runner_health()
    assert health["sandbox"] == "bwrap"
    assert health["dumpable"] is False


def test_completion_comes_from_kubectls_own_protocol(console_runner: RunnerProcess) -> None:
    output = kubectl_complete(words=["ge"], kubeconfig=KUBECONFIG)
    assert any(line.startswith("get\t") for line in output.splitlines()), output
    assert output.rstrip().splitlines()[-1].startswith(":")


@pytest.fixture
def attempt(db: None, django_user_model: type[User]) -> Attempt:
    """A ready attempt whose learner kubeconfig is KUBECONFIG."""
    from django.conf import settings

    challenges_sync(content_dir=settings.BREAKFIX_CONTENT_DIR)
    challenge = Challenge.objects.get(slug="wrong-selector")
    return Attempt.objects.create(
        learner=django_user_model.objects.create_user("alice", "alice@example.org", "password-alice"),
        challenge=challenge,
        version=challenge.current_version,
        backend="namespace",
        status=Status.READY,
        environment="bf-1",
        learner_kubeconfig=encrypt(KUBECONFIG),
    )


def test_beyond_the_cap_a_command_gets_busy(tmp_path: Path, marker: str, attempt: Attempt) -> None:
    runner = start_runner(tmp_path / "runner", max_processes=2)
    try:
        with override_settings(BREAKFIX_CONSOLE_RUNNER=runner.url, BREAKFIX_CONSOLE_TOKEN=runner.token):
            first, second = proxy(marker, timeout_seconds=20), proxy(marker, timeout_seconds=20)
            first_output(first)
            first_output(second)
            with pytest.raises(RunnerBusy, match="2 commands are running"):
                kubectl_run(args=["version", "--client"], kubeconfig=KUBECONFIG)
            # What the learner reads then: a message, not an error page.
            with pytest.raises(ConsoleUnavailable, match="The console is busy right now"):
                console_run(attempt=attempt, line="kubectl get pods")
            first.close()  # type: ignore[attr-defined]
            deadline = time.monotonic() + 5
            while runner_health()["running"] != 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert kubectl_run(args=["version", "--client"], kubeconfig=KUBECONFIG).exit_code == 0
            second.close()  # type: ignore[attr-defined]
    finally:
        runner.stop()


def test_a_wrong_or_missing_token_is_refused_on_every_path(console_runner: RunnerProcess) -> None:
    transport = httpx.HTTPTransport(uds=str(console_runner.socket))
    body = {"args": ["version", "--client"], "kubeconfig": KUBECONFIG}
    with httpx.Client(transport=transport, base_url="http://runner") as client:
        for headers in (
            {},
            {"Authorization": "Bearer wrong"},
            {"Authorization": f"Basic {console_runner.token}"},
        ):
            assert client.post("/v1/run", json=body, headers=headers).status_code == 401
            assert client.get("/v1/health", headers=headers).status_code == 401
            assert client.post("/v1/stop/abcdefgh", headers=headers).status_code == 401
            assert client.post("/v1/complete", json=body, headers=headers).status_code == 401
        good = {"Authorization": f"Bearer {console_runner.token}"}
        assert client.post("/v1/run", json={**body, "args": ["a\0b"]}, headers=good).status_code == 400
        assert client.post("/v1/run", json={**body, "args": "get pods"}, headers=good).status_code == 400
        assert client.post("/v1/run", content=b"not json", headers=good).status_code == 400


def run_runner(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-E", "-s", "-m", "challenges.console.runnerd", *args]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_it_refuses_to_start_without_a_token(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "BREAKFIX_KUBECTL": runner_kubectl(), "BREAKFIX_CONSOLE_TOKEN": "short"}
    result = run_runner(env, "--listen", f"unix://{tmp_path}/s/runner.sock")
    assert result.returncode == 2
    assert "BREAKFIX_CONSOLE_TOKEN must be set" in result.stderr


def test_it_refuses_to_start_when_bwrap_is_missing(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {"PATH": str(empty), "BREAKFIX_KUBECTL": runner_kubectl(), "BREAKFIX_CONSOLE_TOKEN": "t" * 40}
    result = run_runner(env, "--listen", f"unix://{tmp_path}/s/runner.sock")
    assert result.returncode == 2
    assert "apt-get install bubblewrap" in result.stderr


def test_it_refuses_to_start_when_kubectl_does_not_run_in_the_sandbox(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "BREAKFIX_KUBECTL": shutil.which("false") or "/bin/false"}
    env["BREAKFIX_CONSOLE_TOKEN"] = "t" * 40
    result = run_runner(env, "--listen", f"unix://{tmp_path}/s/runner.sock")
    assert result.returncode == 2
    assert "does not run in the bwrap sandbox" in result.stderr
    assert not (tmp_path / "s" / "runner.sock").exists()


def test_it_refuses_a_socket_directory_others_can_enter(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    env = {"PATH": "/usr/bin:/bin", "BREAKFIX_KUBECTL": runner_kubectl(), "BREAKFIX_CONSOLE_TOKEN": "t" * 40}
    result = run_runner(env, "--listen", f"unix://{shared}/runner.sock")
    assert result.returncode == 2
    assert "must be a private directory" in result.stderr


def test_the_runner_imports_nothing_of_the_platform(tmp_path: Path) -> None:
    """What the runner's container holds: the runner package and its two empty parents, nothing else."""
    package = tmp_path / "challenges" / "console"
    shutil.copytree(REPO / "challenges" / "console" / "runnerd", package / "runnerd")
    shutil.copy(REPO / "challenges" / "__init__.py", tmp_path / "challenges" / "__init__.py")
    shutil.copy(REPO / "challenges" / "console" / "__init__.py", package / "__init__.py")
    probe = (
        "import sys, challenges.console.runnerd.__main__; "
        "platform = {'django', 'config', 'celery', 'kubernetes', 'httpx', 'classroom', 'validators'}; "
        "print(sorted({name.split('.')[0] for name in sys.modules} & platform))"
    )
    result = subprocess.run(
        [sys.executable, "-E", "-s", "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_over_tcp_it_serves_with_the_token_and_its_health_check_passes(tmp_path: Path) -> None:
    import socket as sockets

    with sockets.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = "t" * 40
    env = {"PATH": "/usr/bin:/bin", "BREAKFIX_KUBECTL": runner_kubectl(), "BREAKFIX_CONSOLE_TOKEN": token}
    log = tmp_path / "runner.log"
    command = [
        sys.executable,
        "-E",
        "-s",
        "-m",
        "challenges.console.runnerd",
        "--listen",
        f"tcp://127.0.0.1:{port}",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while "console runner ready" not in log.read_text():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        with override_settings(
            BREAKFIX_CONSOLE_RUNNER=f"http://127.0.0.1:{port}", BREAKFIX_CONSOLE_TOKEN=token
        ):
            assert kubectl_run(args=["version", "--client"], kubeconfig=KUBECONFIG).exit_code == 0
        check = ["--check", "--listen", f"tcp://0.0.0.0:{port}"]
        assert run_runner(env, *check).returncode == 0
        assert run_runner({**env, "BREAKFIX_CONSOLE_TOKEN": "wrong"}, *check).returncode == 1
    finally:
        process.terminate()
        process.wait(15)


def test_a_runner_that_stops_or_dies_takes_its_sandboxes_with_it(tmp_path: Path, marker: str) -> None:
    import signal

    killed: list[int] = []
    for how in (signal.SIGKILL, signal.SIGTERM):
        runner = start_runner(tmp_path / how.name)
        killed.append(runner.pid)
        with override_settings(BREAKFIX_CONSOLE_RUNNER=runner.url, BREAKFIX_CONSOLE_TOKEN=runner.token):
            events = proxy(marker, timeout_seconds=60)
            first_output(events)
            pids = processes_with(marker)
            assert len(pids) == 3, pids
            runner.process.send_signal(how)
            runner.process.wait(15)
            assert wait_gone(pids), (how.name, processes_with(marker))
            events.close()  # type: ignore[attr-defined]
        runner.stop()
    # As root the runner runs bwrap as nobody from a copy of kubectl; a killed runner's copy is
    # removed by the next runner, a stopped one removes its own.
    leftovers = [
        p for pid in killed for p in Path(tempfile.gettempdir()).glob(f"breakfix-console-bin-{pid}-*")
    ]
    assert leftovers == []
