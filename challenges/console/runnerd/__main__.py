"""`python -m challenges.console.runnerd`: start the console runner, or `--check` a running one.

Configured from its own environment, which holds only what it needs (`make run` starts it with
`env -i`; compose gives its container nothing else): BREAKFIX_CONSOLE_TOKEN (required, 32+
characters), BREAKFIX_CONSOLE_SANDBOX (bwrap | container), BREAKFIX_CONSOLE_MAX_PROCESSES,
BREAKFIX_KUBECTL (the kubectl to run) and BREAKFIX_CONSOLE_LISTEN (or --listen).
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import logging
import os
import shutil
import signal
import socket
import stat
import sys
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout, TCPConnector, UnixConnector, web

from challenges.console.runnerd.protocol import HEALTH_PATH, MIN_TOKEN_LENGTH
from challenges.console.runnerd.sandbox import SandboxUnavailable, make_sandbox
from challenges.console.runnerd.selftest import self_test
from challenges.console.runnerd.server import Runner, make_app

logger = logging.getLogger("breakfix.console.runner")

PR_SET_DUMPABLE = 4


class StartupError(Exception):
    """The runner cannot start as configured; the message says what to change."""


def parse_listen(value: str) -> tuple[str, str, int]:
    """`unix:///abs/path.sock` → ("unix", path, 0); `tcp://host:port` (or http://) → ("tcp", host, port)."""
    if value.startswith("unix://"):
        path = value.removeprefix("unix://")
        if not path.startswith("/"):
            raise StartupError(f"{value}: a Unix socket needs an absolute path, unix:///dir/runner.sock")
        return "unix", path, 0
    for scheme in ("tcp://", "http://"):
        if value.startswith(scheme):
            host, _, port = value.removeprefix(scheme).rstrip("/").rpartition(":")
            if host and port.isdigit():
                return "tcp", host.strip("[]"), int(port)
    raise StartupError(f"cannot listen on {value!r}: use unix:///dir/runner.sock or tcp://host:port")


def private_socket_dir(path: Path) -> None:
    """The socket's directory is the runner's own, 0700: the token is one lock, this is another."""
    directory = path.parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = directory.stat()
    if info.st_uid != os.geteuid() or stat.S_IMODE(info.st_mode) & 0o077:
        raise StartupError(
            f"{directory} must be a private directory of the runner's user (mode 0700); it is "
            f"{oct(stat.S_IMODE(info.st_mode))}, owned by uid {info.st_uid}"
        )
    if path.is_socket() or path.is_symlink():
        with socket.socket(socket.AF_UNIX) as probe:
            if probe.connect_ex(str(path)) == 0:
                raise StartupError(f"another runner is listening on {path}; stop it or choose another path")
        path.unlink()  # left by a runner that did not stop cleanly
    elif path.exists():
        raise StartupError(f"{path} exists and is not a socket; remove it or choose another path")


def make_non_dumpable() -> None:
    """Same-uid processes (kubectl, in the container sandbox) cannot read our /proc/<pid>/environ or mem."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise StartupError(f"prctl(PR_SET_DUMPABLE, 0) failed: errno {ctypes.get_errno()}")


def resolve_kubectl(value: str) -> str:
    found = value if os.sep in value else shutil.which(value)
    if not found or not os.access(found, os.X_OK):
        raise StartupError(
            f"no kubectl at {value!r}: set BREAKFIX_KUBECTL to the path of the kubectl to run "
            "(`make controlplane` builds the pinned one)"
        )
    return str(Path(found).resolve())


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "") or str(default)
    if not raw.isdigit() or int(raw) < 1:
        raise StartupError(f"{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


async def serve(options: argparse.Namespace) -> None:
    token = os.environ.pop("BREAKFIX_CONSOLE_TOKEN", "")
    if len(token) < MIN_TOKEN_LENGTH:
        raise StartupError(
            f"BREAKFIX_CONSOLE_TOKEN must be set to a random string of at least {MIN_TOKEN_LENGTH} "
            "characters, the same for the web app and the runner (platform/scripts/dotenv writes one)"
        )
    kind, where, port = parse_listen(options.listen)
    kubectl = resolve_kubectl(os.environ.get("BREAKFIX_KUBECTL", "") or "kubectl")
    max_processes = _int("BREAKFIX_CONSOLE_MAX_PROCESSES", 16)
    if kind == "unix":
        private_socket_dir(Path(where))
    homes = Path(options.homes) if options.homes else None
    sandbox = make_sandbox(options.sandbox, kubectl=kubectl, homes=homes)
    app_runner: web.AppRunner | None = None
    try:
        if sandbox.name == "container" and os.geteuid() == 0:
            logger.warning(
                "the container sandbox runs kubectl as the runner's user, root here: only a container "
                "of its own with a non-root user (platform/docker/Dockerfile, target console) isolates it"
            )
        await self_test(sandbox)
        runner = Runner(sandbox=sandbox, token=token, max_processes=max_processes)
        # handler_cancellation: a client that hangs up cancels its handler, which ends its command
        # at once (otherwise a silent `kubectl proxy` would only notice at its time limit).
        app_runner = web.AppRunner(
            make_app(runner), handle_signals=False, access_log=None, handler_cancellation=True
        )
        await app_runner.setup()
        site: web.BaseSite
        if kind == "unix":
            old_umask = os.umask(0o077)  # the socket itself 0600 too
            try:
                site = web.UnixSite(app_runner, where)
                await site.start()
            finally:
                os.umask(old_umask)
        else:
            site = web.TCPSite(app_runner, where, port)
            await site.start()
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)
        logger.info(
            "console runner ready: %s sandbox, kubectl %s, at most %d commands at once, on %s",
            sandbox.name,
            kubectl,
            max_processes,
            options.listen,
        )
        await stopping.wait()
        logger.info("console runner stopping")
    finally:
        if app_runner is not None:
            await app_runner.cleanup()  # stops every running command, then closes the sandbox
        sandbox.close()
        if kind == "unix" and app_runner is not None:
            Path(where).unlink(missing_ok=True)


async def check(options: argparse.Namespace) -> int:
    """Exit 0 when the runner at --listen answers its health check (compose's healthcheck)."""
    kind, where, port = parse_listen(options.listen)
    connector = UnixConnector(path=where) if kind == "unix" else TCPConnector()
    # A runner listening on every address of its container is asked on loopback.
    loopback = "127.0.0.1" if where in ("0.0.0.0", "::") else where  # noqa: S104
    host = "runner" if kind == "unix" else f"{loopback}:{port}"
    headers = {"Authorization": f"Bearer {os.environ.get('BREAKFIX_CONSOLE_TOKEN', '')}"}
    async with (
        ClientSession(connector=connector, timeout=ClientTimeout(total=5)) as session,
        session.get(f"http://{host}{HEALTH_PATH}", headers=headers) as response,
    ):
        print(await response.text())
        return 0 if response.status == 200 else 1


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m challenges.console.runnerd", description=__doc__)
    parser.add_argument("--listen", default=os.environ.get("BREAKFIX_CONSOLE_LISTEN", ""))
    parser.add_argument("--sandbox", default=os.environ.get("BREAKFIX_CONSOLE_SANDBOX", "bwrap"))
    parser.add_argument(
        "--homes",
        default=os.environ.get("BREAKFIX_CONSOLE_HOMES", ""),
        help="container sandbox: the runner's own 0700 directory for per-command HOMEs (a tmpfs)",
    )
    parser.add_argument("--check", action="store_true", help="ask a running runner for its health")
    options = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [runner] %(message)s", stream=sys.stderr)
    if not options.listen:
        parser.error("say where to listen: --listen unix:///dir/runner.sock or --listen tcp://host:port")
    try:
        if options.check:
            return asyncio.run(check(options))
        make_non_dumpable()
        asyncio.run(serve(options))
    except (StartupError, SandboxUnavailable) as exc:
        logger.error("the console runner cannot start: %s", exc)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
