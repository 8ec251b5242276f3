"""Fixtures for the runner's own tests: a learner on the live API, and a runner with canaries planted.

`planted` (module) plants a unique canary where a runner that leaked would show it — in this
(the web) process's environment, in the environment a platform process started with (its
/proc/<pid>/environ: os.environ changes after start-up do not show there), in a file anyone on
the host may read, in a world-readable copy of the platform kubeconfig — and only then starts a
runner exactly as the session's one is started (same sandbox, same bare environment), pointing
this process's settings at it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.fixtures.cluster import REPO, TEST_LABEL, Cluster
from tests.fixtures.console import RunnerProcess, start_runner

CANARY_VARIABLE = "BREAKFIX_TEST_CANARY"


@dataclass
class Planted:
    canary: str
    runner: RunnerProcess
    directory: Path  # world-readable, on the host: the canary file and kubeconfig copy
    canary_file: Path
    canary_kubeconfig: Path
    platform_kubeconfig: Path
    admin_certificate: str
    admin_key: str
    admin_key_text: str
    platform_process: subprocess.Popen[bytes]

    def secrets(self) -> list[str]:
        """What must never come out of the console."""
        from django.conf import settings

        found = [self.canary, self.runner.token, settings.SECRET_KEY]
        found += [line for line in self.admin_key_text.splitlines() if len(line) > 40][:3]
        return [text for text in found if text]

    def fields(self) -> dict[str, str]:
        """What a trick's arguments may name: {canary_file}, {runner_pid} and so on."""
        return {
            "canary_file": str(self.canary_file),
            "canary_dir": str(self.directory),
            "canary_kubeconfig": str(self.canary_kubeconfig),
            "platform_kubeconfig": str(self.platform_kubeconfig),
            "admin_cert": self.admin_certificate,
            "admin_key": self.admin_key,
            "runner_pid": str(self.runner.pid),
            "web_pid": str(os.getpid()),
            "platform_pid": str(self.platform_process.pid),
            "repo": str(REPO),
            "env_file": str(REPO / ".env"),
        }


def _admin_credentials(kubeconfig: Path) -> tuple[str, str, str]:
    """The control plane admin's certificate and key files (kwokctl writes paths, not data)."""
    user = yaml.safe_load(kubeconfig.read_text())["users"][0]["user"]
    certificate, key = user.get("client-certificate", ""), user.get("client-key", "")
    if not certificate or not key:
        pytest.fail(f"{kubeconfig} names no client-certificate/client-key files", pytrace=False)
    return certificate, key, Path(key).read_text()


@pytest.fixture(scope="module")
def planted(cluster: Cluster) -> Iterator[Planted]:
    from django.conf import settings

    canary = f"canary-{secrets.token_hex(16)}"
    with contextlib.ExitStack() as cleanup:
        directory = Path(tempfile.mkdtemp(prefix="breakfix-canary-"))
        cleanup.callback(shutil.rmtree, directory, ignore_errors=True)
        directory.chmod(0o755)
        canary_file = directory / "canary.txt"
        canary_file.write_text(f"{canary}\n")
        canary_file.chmod(0o644)
        config = yaml.safe_load(cluster.kubeconfig.read_text())
        config["contexts"].append({"name": canary, "context": {"cluster": config["clusters"][0]["name"]}})
        canary_kubeconfig = directory / "kubeconfig"
        canary_kubeconfig.write_text(f"# {canary}\n{yaml.safe_dump(config)}")
        canary_kubeconfig.chmod(0o644)
        certificate, key, key_text = _admin_credentials(cluster.kubeconfig)
        os.environ[CANARY_VARIABLE] = canary
        cleanup.callback(os.environ.pop, CANARY_VARIABLE, None)
        # A process of the platform's user that started with the canary among its secrets, as
        # the web and worker processes start with theirs.
        platform_process = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(3600)"],
            env={**os.environ},
            stdin=subprocess.DEVNULL,
        )
        cleanup.callback(platform_process.wait)
        cleanup.callback(platform_process.kill)
        runner = start_runner(directory / "runner-state")
        cleanup.callback(runner.stop)
        before = (settings.BREAKFIX_CONSOLE_RUNNER, settings.BREAKFIX_CONSOLE_TOKEN)
        settings.BREAKFIX_CONSOLE_RUNNER, settings.BREAKFIX_CONSOLE_TOKEN = runner.url, runner.token
        cleanup.callback(setattr, settings, "BREAKFIX_CONSOLE_TOKEN", before[1])
        cleanup.callback(setattr, settings, "BREAKFIX_CONSOLE_RUNNER", before[0])
        yield Planted(
            canary=canary,
            runner=runner,
            directory=directory,
            canary_file=canary_file,
            canary_kubeconfig=canary_kubeconfig,
            platform_kubeconfig=cluster.kubeconfig,
            admin_certificate=certificate,
            admin_key=key,
            admin_key_text=key_text,
            platform_process=platform_process,
        )
        runner.stop()
        assert canary not in runner.output(), "the canary is in the runner's log"


@pytest.fixture(scope="module")
def learner_kubeconfig(cluster: Cluster) -> Iterator[str]:
    """A learner's kubeconfig (a ServiceAccount token with the learner's Role) on the live API."""
    from kubernetes import client

    from challenges.backends import NamespaceBackend
    from challenges.kube import apply_documents

    name = f"t-console-runner-{secrets.token_hex(3)}"
    backend = NamespaceBackend(prefix="bf-runner", kubeconfig=cluster.kubeconfig)
    with cluster.api_client() as api:
        core = client.CoreV1Api(api)
        core.create_namespace(
            client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels={TEST_LABEL: "true"}))
        )
        try:
            apply_documents(api, name, backend.access_documents(name))
            yield backend.learner_kubeconfig(name, seconds=3600)
        finally:
            core.delete_namespace(name, propagation_policy="Background")
