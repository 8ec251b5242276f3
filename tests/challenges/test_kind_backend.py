"""The kind backend's command contract, against small stand-in executables (no cluster needed).

The same contract runs against real clusters in tests/live/test_kind_backend.py.
"""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest

from challenges.backends import KindBackend, KindCommandError, get_backend
from validators.errors import ObjectInvalid

RECORDER = """#!/usr/bin/env bash
printf '%s\\n' "$*" >> "{log}"
case "$1 $2" in
  "get clusters") printf 'bf-1\\nbf-22\\nbf-test\\nother-3\\nbf\\n' ;;
  "create cluster")
    while [ $# -gt 0 ]; do [ "$1" = --config ] && cp "$2" "{log}.config"; shift; done ;;
esac
"""


def script(tmp_path: Path, body: str, name: str = "kind") -> Path:
    path = tmp_path / name
    path.write_text(body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def backend(kind: Path | str, **overrides: object) -> KindBackend:
    options: dict[str, object] = {"prefix": "bf", "kind": str(kind), "wait_seconds": 30, "internal": False}
    options.update(overrides)
    return KindBackend(**options)  # type: ignore[arg-type]


def test_it_lists_only_clusters_with_its_prefix_and_an_attempt_number(tmp_path: Path) -> None:
    log = tmp_path / "calls"
    kind = script(tmp_path, RECORDER.format(log=log))
    assert backend(kind).list_environments() == {"bf-1", "bf-22"}


def test_create_passes_name_config_kubeconfig_and_wait(tmp_path: Path) -> None:
    log = tmp_path / "calls"
    kind = script(tmp_path, RECORDER.format(log=log))
    with pytest.raises(ObjectInvalid):
        # The recorder prints no kubeconfig, so the step after creation fails; the call is what counts.
        backend(kind).create("bf-7", attempt_id=7)
    create = next(line for line in log.read_text().splitlines() if line.startswith("create cluster"))
    words = create.split()
    assert words[words.index("--name") + 1] == "bf-7"
    assert words[words.index("--wait") + 1] == "30s"
    assert "--config" in words and "--kubeconfig" in words
    config = (tmp_path / "calls.config").read_text()
    assert "kind: Cluster" in config and "name: bf-7" in config


def test_it_does_not_create_a_cluster_that_exists(tmp_path: Path) -> None:
    log = tmp_path / "calls"
    kind = script(tmp_path, RECORDER.format(log=log))
    with pytest.raises(ObjectInvalid):
        backend(kind).create("bf-22", attempt_id=22)
    assert not any(line.startswith("create") for line in log.read_text().splitlines())
    assert "get kubeconfig --name bf-22" in log.read_text()


def test_it_asks_for_the_internal_kubeconfig_inside_the_kind_network(tmp_path: Path) -> None:
    log = tmp_path / "calls"
    kind = script(tmp_path, RECORDER.format(log=log))
    with pytest.raises(ObjectInvalid):
        backend(kind, internal=True).platform_client("bf-22")
    assert "get kubeconfig --name bf-22 --internal" in log.read_text()


def test_delete_uses_the_cluster_name(tmp_path: Path) -> None:
    log = tmp_path / "calls"
    kind = script(tmp_path, RECORDER.format(log=log))
    backend(kind).destroy("bf-7")
    assert log.read_text().splitlines() == ["delete cluster --name bf-7"]


def test_a_failing_command_carries_the_command_exit_status_and_stderr(tmp_path: Path) -> None:
    kind = script(
        tmp_path, "#!/bin/sh\necho 'ERROR: failed to create cluster: no container engine' >&2\nexit 3\n"
    )
    with pytest.raises(KindCommandError) as caught:
        backend(kind).run("create", "cluster", "--name", "bf-1")
    error = caught.value
    assert error.command == [str(kind), "create", "cluster", "--name", "bf-1"]
    assert error.returncode == 3
    assert "no container engine" in error.stderr
    assert "exit status 3" in str(error) and "no container engine" in str(error)


def test_a_hanging_command_is_killed_with_everything_it_started(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    kind = script(tmp_path, f"#!/bin/sh\nsleep 300 &\necho $! > {marker}\nwait\n")
    started = time.monotonic()
    with pytest.raises(KindCommandError, match="did not finish within 1s"):
        backend(kind).run("create", "cluster", timeout=1)
    assert time.monotonic() - started < 10
    child = Path(f"/proc/{int(marker.read_text())}/status")
    time.sleep(0.2)
    # Gone, or a zombie waiting for init to reap it: either way no longer running.
    assert not child.exists() or "State:\tZ" in child.read_text()


def test_a_missing_kind_binary_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KindCommandError, match="could not run"):
        backend(tmp_path / "no-such-kind").list_environments()


def test_settings_choose_the_backend() -> None:
    from django.test import override_settings

    with override_settings(BREAKFIX_BACKEND="kind", BREAKFIX_KIND="/opt/kind", BREAKFIX_KIND_PREFIX="school"):
        chosen = get_backend()
    assert isinstance(chosen, KindBackend)
    assert (chosen.kind, chosen.environment_name(5)) == ("/opt/kind", "school-5")
