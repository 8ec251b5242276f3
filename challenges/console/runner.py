"""Runs kubectl for the console: no shell, a bare environment, a time limit and an output cap.

The learner's kubeconfig is written to a private temporary directory (mode 0700, the file
0600) that is also kubectl's HOME, so its discovery cache and any preferences file live and
die with the one command.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

TRUNCATED = "[output truncated]"


@dataclass(frozen=True)
class RunResult:
    output: str
    exit_code: int | None  # None when the command was stopped at the time limit
    duration_ms: int
    truncated: bool = False
    timed_out: bool = False


class KubectlMissing(Exception):
    """No kubectl binary to run: an installation problem, not the learner's."""


def _controlplane_kubectl() -> Path | None:
    """The kubectl built with the local control plane, when it has been built."""
    override = os.environ.get("BREAKFIX_CONTROLPLANE_DIR")
    if override:
        candidate = Path(override) / "kubectl"
        return candidate if os.access(candidate, os.X_OK) else None
    versions = settings.BASE_DIR / "platform" / "controlplane" / "versions.env"
    try:
        lines = versions.read_text().splitlines()
    except OSError:
        return None
    version = next((line.split("=", 1)[1].strip() for line in lines if line.startswith("K8S_VERSION=")), "")
    candidate = settings.CACHE_DIR / "controlplane" / version / "kubectl"
    return candidate if version and os.access(candidate, os.X_OK) else None


def kubectl_path() -> str:
    """BREAKFIX_KUBECTL when it is a path; else the control plane's kubectl; else the one on PATH.

    The control plane's comes before PATH because it matches the API server's version, and
    a distribution's `kubectl` may be anything (some are wrappers around other tools).
    """
    configured = settings.BREAKFIX_KUBECTL
    if os.sep in configured:
        if not os.access(configured, os.X_OK):
            raise KubectlMissing(f"BREAKFIX_KUBECTL={configured} is not an executable file")
        return configured
    if configured == "kubectl" and (built := _controlplane_kubectl()):
        return str(built)
    found = shutil.which(configured)
    if found is None:
        raise KubectlMissing(f"no {configured!r} on PATH; set BREAKFIX_KUBECTL to kubectl's path")
    return found


def _environment(home: Path, kubeconfig: Path) -> dict[str, str]:
    # Nothing of the server's own environment: no proxies, no cloud credentials, no
    # KUBECTL_* switches, no editor. kuberc (1.33+ preferences, which can add flags) is off.
    return {
        "HOME": str(home),
        "KUBECONFIG": str(kubeconfig),
        "KUBERC": "off",
        "PATH": "/nonexistent",
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        "NO_COLOR": "1",
    }


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def kubectl_run(*, args: list[str], kubeconfig: str) -> RunResult:
    """Run `kubectl ARGS` as the holder of `kubeconfig`.

    stdout and stderr come interleaved, the way a terminal shows them.
    """
    timeout = settings.BREAKFIX_CONSOLE_TIMEOUT_SECONDS
    limit = settings.BREAKFIX_CONSOLE_OUTPUT_LIMIT
    program = kubectl_path()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="breakfix-console-") as home_dir:
        home = Path(home_dir)  # mkdtemp makes it 0700
        config = home / "kubeconfig"
        fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(kubeconfig)
        process = subprocess.Popen(
            [program, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=_environment(home, config),
            cwd=home,
            start_new_session=True,  # its own process group, so a kill takes any child with it
        )
        assert process.stdout is not None
        chunks: list[bytes] = []
        size = 0
        truncated = timed_out = False
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while True:
                left = timeout - (time.monotonic() - started)
                if left <= 0:
                    timed_out = True
                    _stop(process)
                    break
                if not selector.select(timeout=left):
                    continue
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    truncated = True
                    _stop(process)
                    break
        process.stdout.close()
        try:
            exit_code: int | None = process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL does not wait
            _stop(process)
            exit_code = process.wait()
    duration_ms = int((time.monotonic() - started) * 1000)
    output = b"".join(chunks)[:limit].decode("utf-8", errors="replace")
    if truncated:
        output = (
            f"{output.rstrip()}\n{TRUNCATED} The console shows the first {limit:,} characters; "
            "narrow the command down (-l, --tail, -o name)."
        )
    if truncated or timed_out:
        exit_code = None  # stopped by the console, not finished
    if timed_out:
        note = f"[stopped after {timeout} s] The console runs commands that answer within {timeout} seconds."
        output = f"{output.rstrip()}\n{note}".lstrip()
    return RunResult(
        output=output, exit_code=exit_code, duration_ms=duration_ms, truncated=truncated, timed_out=timed_out
    )
