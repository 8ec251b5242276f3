"""The `container` sandbox's own mechanics, run on this host: bare environment, fresh HOME, a drained pipe.

In compose the runner's container is what holds nothing to steal (platform/docker/README.md);
here, on the development host, only what the runner itself does in that mode can be checked: the
environment kubectl gets, a HOME of its own per command that is gone afterwards (and nothing left
beside it), the kubeconfig in a pipe that kubectl drains, and processes that end when stopped.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from challenges.console.runner import Exit, kubectl_run, kubectl_stop, kubectl_stream, runner_health
from tests.console.test_runner_service import KUBECONFIG, first_output, processes_with, wait_gone
from tests.fixtures.console import RunnerProcess, start_runner


@pytest.fixture(scope="module")
def container_runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunnerProcess]:
    runner = start_runner(tmp_path_factory.mktemp("container-runner"), sandbox="container")
    with override_settings(BREAKFIX_CONSOLE_RUNNER=runner.url, BREAKFIX_CONSOLE_TOKEN=runner.token):
        try:
            yield runner
        finally:
            runner.stop()


def read_in_kubectl(path: str) -> str:
    """The contents of `path` as kubectl itself reads it."""
    args = ["create", "secret", "generic", "probe", "--dry-run=client", "-o", "jsonpath={.data.file}"]
    result = kubectl_run(args=[*args, f"--from-file=file={path}"], kubeconfig=KUBECONFIG)
    assert result.exit_code == 0, result.output
    return base64.b64decode(result.output).decode(errors="replace")


def environment() -> dict[str, str]:
    raw = read_in_kubectl("/proc/self/environ")
    return dict(entry.split("=", 1) for entry in raw.split("\0") if entry)


def test_kubectl_gets_a_bare_environment(container_runner: RunnerProcess) -> None:
    env = environment()
    assert set(env) == {"HOME", "KUBECONFIG", "KUBERC", "PATH", "LANG", "TERM", "NO_COLOR"}
    assert env["PATH"] == "/nonexistent"
    assert env["KUBECONFIG"].startswith("/dev/fd/")
    assert container_runner.token not in read_in_kubectl("/proc/self/environ")


def test_the_kubeconfig_is_a_pipe_that_kubectl_has_drained(container_runner: RunnerProcess) -> None:
    assert read_in_kubectl(environment()["KUBECONFIG"]) == ""


def test_each_command_has_a_home_of_its_own_that_is_gone_afterwards(container_runner: RunnerProcess) -> None:
    first, second = environment()["HOME"], environment()["HOME"]
    assert first != second
    assert not Path(first).exists() and not Path(second).exists()
    assert Path(first).parent.stat().st_mode & 0o077 == 0


def test_what_a_command_writes_beside_its_home_does_not_outlive_it(container_runner: RunnerProcess) -> None:
    homes = Path(environment()["HOME"]).parent
    stray = homes / f"stray-{secrets.token_hex(4)}.yaml"
    result = kubectl_run(
        args=["config", "set-credentials", "x", "--token=y", f"--kubeconfig={stray}"], kubeconfig=KUBECONFIG
    )
    assert result.exit_code == 0, result.output
    assert not stray.exists()
    assert list(homes.iterdir()) == []


def test_stop_ends_kubectl(container_runner: RunnerProcess) -> None:
    marker = f"m{secrets.token_hex(6)}"
    events = kubectl_stream(
        args=["proxy", "--port=0", f"--www-prefix=/{marker}/"],
        kubeconfig=KUBECONFIG,
        command_id=f"c-{marker}",
    )
    first_output(events)
    pids = processes_with(marker)
    assert len(pids) == 1, pids  # kubectl itself, no sandbox around it
    assert kubectl_stop(command_id=f"c-{marker}")
    end = list(events)[-1]
    assert isinstance(end, Exit) and end.stopped
    assert wait_gone(pids)


def test_the_runner_says_which_sandbox_it_is(container_runner: RunnerProcess) -> None:
    health = runner_health()
    assert health["sandbox"] == "container"
    assert health["dumpable"] is False
