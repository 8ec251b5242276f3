"""The runner's start-up check: kubectl runs in the sandbox, and the sandbox holds nothing.

A runner that cannot sandbox refuses to start rather than run kubectl unprotected.
"""

from __future__ import annotations

import json
import time

from challenges.console.runnerd.execution import Command
from challenges.console.runnerd.protocol import RunRequest, new_command_id
from challenges.console.runnerd.sandbox import Sandbox, SandboxUnavailable

PROBE_KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters: [{name: probe, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: probe, user: {token: probe}}]
contexts: [{name: probe, context: {cluster: probe, user: probe}}]
current-context: probe
"""

BWRAP_HELP = (
    "bubblewrap needs unprivileged user namespaces: `sysctl user.max_user_namespaces` above 0, "
    "`kernel.unprivileged_userns_clone=1` on older Debian kernels, and on Ubuntu 24.04+ an "
    "AppArmor profile that lets bwrap use them. In a container with Docker's default seccomp "
    "profile it cannot work: run the runner with --sandbox container there."
)


async def _run(sandbox: Sandbox, *args: str) -> tuple[int | None, str]:
    request = RunRequest(
        id=new_command_id(), args=args, kubeconfig=PROBE_KUBECONFIG, timeout_seconds=20, output_limit=65536
    )
    output: list[str] = []
    exit_code: int | None = None
    async for line in Command(request, sandbox).events():
        event = json.loads(line)
        if event["event"] == "output":
            output.append(event["data"])
        elif event["event"] == "exit":
            exit_code = event["exit_code"]
    return exit_code, "".join(output)


async def self_test(sandbox: Sandbox) -> float:
    """Seconds the check took; SandboxUnavailable, saying what is wrong, when it fails."""
    started = time.monotonic()
    code, output = await _run(sandbox, "version", "--client", "-o", "json")
    if code != 0 or "clientVersion" not in output:
        hint = BWRAP_HELP if sandbox.name == "bwrap" else "check BREAKFIX_KUBECTL"
        said = output.strip()[:500]
        raise SandboxUnavailable(
            f"kubectl does not run in the {sandbox.name} sandbox (exit {code}): {said}. {hint}"
        )
    if sandbox.name == "bwrap":
        # The host's files are not there, and pid 1 (bwrap) has an empty environment.
        code, output = await _run(
            sandbox, "create", "configmap", "probe", "--from-file=/etc/passwd", "--dry-run=client"
        )
        if code == 0 or "no such file" not in output:
            raise SandboxUnavailable(f"the sandbox shows the host's /etc/passwd: {output.strip()[:300]}")
        code, output = await _run(
            sandbox,
            *("create", "secret", "generic", "probe", "--from-file=/proc/1/environ"),
            *("--dry-run=client", "-o", "jsonpath={.data.environ}"),
        )
        if code != 0 or output.strip():
            raise SandboxUnavailable(f"the sandbox's pid 1 has an environment: {output.strip()[:300]!r}")
    return time.monotonic() - started
