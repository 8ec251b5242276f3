"""`up` brings back a cluster that lost any one of its components; `down` always cleans up.

One dedicated cluster (never the shared test cluster): each component is killed in turn, with
SIGKILL as a crash would, and `up` must make the cluster whole again, with no manual cleanup,
well within its own time limit. Bounded: about a minute and a half in all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.cluster import (
    CONTROL_PLANE,
    CONTROLPLANE,
    _cache_dir,
    _missing_binaries,
    binaries_dir,
    require_real,
)

pytestmark = pytest.mark.live

NAME = f"breakfix-recovery-{os.getpid()}"
COMPONENTS = [
    "kube-apiserver",
    "etcd",
    "kube-controller-manager",
    "kube-scheduler",
    "kwok-controller",
    "simulation",
]
# Well under `up`'s own limit (180 s): a revival that only works by waiting that out fails here.
REVIVE_SECONDS = 60


def script(name: str, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "BREAKFIX_PYTHON": sys.executable,
        "BREAKFIX_CLUSTER_WAIT_SECONDS": str(REVIVE_SECONDS),
    }
    return subprocess.run(
        [str(CONTROLPLANE / name), *args], capture_output=True, text=True, timeout=timeout, env=env
    )


def kubectl(*args: str) -> subprocess.CompletedProcess[str]:
    kubeconfig = _cache_dir() / "clusters" / NAME / "kubeconfig"
    return subprocess.run(
        [str(binaries_dir() / "kubectl"), "--kubeconfig", str(kubeconfig), "--request-timeout=10s", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )


def pid_file(component: str) -> Path:
    if component == "simulation":
        return _cache_dir() / "clusters" / NAME / "simulation.pid"
    return _cache_dir() / "kwok" / "clusters" / NAME / "pids" / f"{component}.pid"


def processes_of_cluster() -> list[int]:
    """Every process whose command line names this cluster's state."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if f"/clusters/{NAME}/" in line or f"/clusters/{NAME} " in line:
            found.append(int(entry.name))
    return found


def works(tag: str) -> None:
    """The whole cluster works: the API, the scheduler, the nodes and the simulated kubelet."""
    assert kubectl("get", "--raw", "/readyz").stdout == "ok"
    name = f"probe-{tag}"
    made = kubectl("run", name, "--image=nginx:1.27", "--restart=Never")
    assert made.returncode == 0, made.stderr
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready = kubectl("get", "pod", name, "-o", "jsonpath={.status.conditions[?(@.type=='Ready')].status}")
        if ready.stdout == "True":
            return
        time.sleep(0.3)
    pytest.fail(
        f"after {tag}: pod {name} never became Ready: {kubectl('get', 'pod', name, '-o', 'yaml').stdout}"
    )


@pytest.fixture(scope="module")
def dedicated() -> Iterator[str]:
    if _missing_binaries():
        require_real(CONTROL_PLANE, f"no cached binaries in {binaries_dir()}: run `make controlplane`")
    started = script("up", NAME)
    assert started.returncode == 0, started.stderr
    try:
        yield NAME
    finally:
        script("down", NAME)


@pytest.mark.parametrize("component", COMPONENTS)
def test_up_brings_back_a_cluster_whose_component_died(dedicated: str, component: str) -> None:
    works(f"before-{component}")
    pid = int(pid_file(component).read_text())
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    began = time.monotonic()
    revived = script("up", dedicated)
    took = time.monotonic() - began
    assert revived.returncode == 0, revived.stderr
    assert "restart" in revived.stderr
    print(f"{component}: up brought the cluster back in {took:.1f}s")
    assert took < REVIVE_SECONDS
    works(f"after-{component}")
    healthy = script("up", dedicated)
    assert "already running and healthy" in healthy.stderr


def lease_holder() -> str:
    return kubectl(
        "get", "lease", "breakfix-simulation", "-n", "kube-system", "-o", "jsonpath={.spec.holderIdentity}"
    ).stdout


def test_up_replaces_a_simulation_controller_that_is_stuck(dedicated: str) -> None:
    # A controller that hangs soon after it started: its youth must not protect it.
    os.kill(int(pid_file("simulation").read_text()), signal.SIGKILL)
    assert script("up", dedicated).returncode == 0
    pid = int(pid_file("simulation").read_text())
    assert lease_holder() == f"{os.uname().nodename}-{pid}"
    os.kill(pid, signal.SIGSTOP)
    try:
        # Its Lease goes stale after 15 s, and it is its own: `up` replaces it at once.
        time.sleep(17)
        revived = script("up", dedicated)
        assert revived.returncode == 0, revived.stderr
        assert "stopped renewing its Lease" in revived.stderr
        assert int(pid_file("simulation").read_text()) != pid
        works("after-stuck-simulation")
    finally:
        if Path(f"/proc/{pid}").exists():
            os.kill(pid, signal.SIGKILL)


def test_down_cleans_up_a_cluster_that_is_half_broken(dedicated: str) -> None:
    # A dead API server and a lost pid file: kwokctl cannot delete it on its own any more.
    os.kill(int(pid_file("kube-apiserver").read_text()), signal.SIGKILL)
    pid_file("kube-scheduler").unlink()
    assert processes_of_cluster()
    stopped = script("down", dedicated)
    assert stopped.returncode == 0, stopped.stderr
    deadline = time.monotonic() + 10
    while processes_of_cluster() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not processes_of_cluster()
    assert not (_cache_dir() / "clusters" / dedicated).exists()
    assert not (_cache_dir() / "kwok" / "clusters" / dedicated).exists()
    again = script("down", dedicated)
    assert again.returncode == 0 and "nothing to do" in again.stderr
