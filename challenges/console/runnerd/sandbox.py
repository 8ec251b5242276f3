"""Where kubectl runs: a bubblewrap sandbox, or a bare process in the runner's own container.

`bwrap` (`make run`, the tests, CI): kubectl runs as nobody in new user, PID, IPC, UTS and
cgroup namespaces and sees a root of its own: the kubectl binary, /etc/resolv.conf, /etc/hosts,
the public CA bundle and nsswitch.conf (all read-only), a private tmpfs HOME and /tmp, its own
/proc (which shows only the sandbox's processes) and a minimal /dev. Nothing else of the host
exists in there: not the repository, not .env, not any kubeconfig or key, not another process.
The network is shared, because kubectl must reach the API server. bwrap itself starts with an
empty environment: in the new PID namespace pid 1 is bwrap, and /proc/1/environ is bwrap's own
environment (`--clearenv` only cleans the child's). The learner's kubeconfig goes in through a
pipe (`--file FD DEST`) into the sandbox's tmpfs; it is never written to the host's disk.

`container` (compose, where Docker's default seccomp profile refuses the namespaces bwrap
needs): the runner's container is the sandbox. It holds Python, kubectl and this package, and no
secret, database, Docker socket or platform kubeconfig. kubectl runs with a bare environment and
a fresh 0700 HOME per command in the runner's homes directory (a tmpfs in compose), and reads
the kubeconfig once from a pipe (`KUBECONFIG=/dev/fd/N`: kubectl reads its kubeconfig exactly
once per run, checked with strace for get, describe, logs, apply, delete, auth, api-resources,
explain, config view and __complete; a `config set-*` fails on the pipe's lock file). What this
mode relies on: the commands run under one uid, so one command could read what a concurrent one
holds (its HOME, its /proc) if the parser let a file-reading flag through — the parser is the
second layer there. The runner itself is non-dumpable, so its /proc/<pid>/environ (the token)
is not readable by the kubectl processes it starts.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# Inside the bwrap sandbox.
SANDBOX_KUBECTL = "/usr/bin/kubectl"
SANDBOX_HOME = "/home/kubectl"
SANDBOX_KUBECONFIG = f"{SANDBOX_HOME}/.kube/config"
NOBODY = 65534
PRIVATE_BIN_PREFIX = "breakfix-console-bin-"
HOME_TMPFS_BYTES = 64 * 1024 * 1024  # the discovery cache is a few MiB
TMP_TMPFS_BYTES = 16 * 1024 * 1024
# Read-only and public: the resolver needs the first three, TLS to a cluster with a public CA the last.
SHARED_FILES = ("/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/ssl/certs")


def kubectl_environment(*, home: str, kubeconfig: str) -> dict[str, str]:
    # Nothing of the runner's environment: no proxies, no cloud credentials, no KUBECTL_*
    # switches, no editor. kuberc (1.33+ preferences, which can add flags) is off, and PATH
    # leads nowhere, so a credential plugin named in a kubeconfig finds nothing to run.
    return {
        "HOME": home,
        "KUBECONFIG": kubeconfig,
        "KUBERC": "off",
        "PATH": "/nonexistent",
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        "NO_COLOR": "1",
    }


class SandboxUnavailable(Exception):
    """This sandbox cannot work here; the message says what to install or change."""


@dataclass
class Launch:
    """How to start one command: argv and environment, and the descriptors it inherits."""

    argv: list[str]
    env: dict[str, str]
    cwd: str
    pass_fds: tuple[int, ...]
    user: int | None = None
    group: int | None = None
    # bwrap writes {"child-pid": N} here once the sandbox is up: the pid to kill.
    info_fd: int | None = None
    cleanup_paths: list[Path] = field(default_factory=list)


class Sandbox:
    name = ""

    def launch(self, args: tuple[str, ...], *, kubeconfig_fd: int) -> Launch:
        raise NotImplementedError

    def finished(self, launch: Launch) -> None:
        """Called once the command's processes are gone."""
        for path in launch.cleanup_paths:
            shutil.rmtree(path, ignore_errors=True)

    def close(self) -> None:
        """Called when the runner stops."""


class BwrapSandbox(Sandbox):
    name = "bwrap"

    def __init__(self, *, kubectl: str, bwrap: str | None = None) -> None:
        found = bwrap or shutil.which("bwrap")
        if not found:
            raise SandboxUnavailable(
                "bwrap (bubblewrap) is not installed. Install it: `apt-get install bubblewrap` "
                "(or `platform/scripts/system-packages bwrap`), or run with --sandbox container "
                "inside a container of its own."
            )
        self.bwrap = found
        self.user: int | None = None
        self.private_bin: Path | None = None
        self.kubectl = kubectl
        if os.geteuid() == 0:
            # As root, the sandbox's processes would be root outside their user namespace. Run
            # bwrap as nobody instead, from a copy of kubectl that nobody can reach (the
            # original may sit under /root, which nobody cannot enter).
            self.user = NOBODY
            _remove_copies_of_dead_runners()
            self.private_bin = Path(tempfile.mkdtemp(prefix=f"{PRIVATE_BIN_PREFIX}{os.getpid()}-"))
            self.private_bin.chmod(0o711)
            copy = self.private_bin / "kubectl"
            shutil.copyfile(kubectl, copy)
            copy.chmod(0o555)
            self.kubectl = str(copy)

    def launch(self, args: tuple[str, ...], *, kubeconfig_fd: int) -> Launch:
        info_read, info_write = os.pipe()
        argv = [
            self.bwrap,
            *("--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"),
            "--disable-userns",  # no nested user namespace, so no way to regain capabilities in there
            *("--uid", str(NOBODY), "--gid", str(NOBODY), "--hostname", "console"),
            "--die-with-parent",  # a runner that dies takes its sandboxes with it
            "--new-session",  # no TIOCSTI into a terminal the runner might have
            "--cap-drop",
            "ALL",
            "--clearenv",
            *("--ro-bind", self.kubectl, SANDBOX_KUBECTL),
        ]
        for path in SHARED_FILES:
            argv += ["--ro-bind-try", path, path]
        argv += [
            *("--proc", "/proc", "--dev", "/dev"),
            *("--size", str(HOME_TMPFS_BYTES), "--tmpfs", SANDBOX_HOME),
            *("--size", str(TMP_TMPFS_BYTES), "--tmpfs", "/tmp"),  # noqa: S108 - the sandbox's own
            *("--perms", "0600", "--file", str(kubeconfig_fd), SANDBOX_KUBECONFIG),
            *("--info-fd", str(info_write), "--chdir", SANDBOX_HOME),
        ]
        for key, value in kubectl_environment(home=SANDBOX_HOME, kubeconfig=SANDBOX_KUBECONFIG).items():
            argv += ["--setenv", key, value]
        # bwrap stops reading options at the program: the learner's words that follow are kubectl's.
        argv += [SANDBOX_KUBECTL, *args]
        return Launch(
            argv=argv,
            env={},  # the trap: bwrap's own environment is what /proc/1/environ shows in the sandbox
            cwd="/",
            pass_fds=(kubeconfig_fd, info_write),
            user=self.user,
            group=self.user,
            info_fd=info_read,
        )

    def close(self) -> None:
        if self.private_bin is not None:
            shutil.rmtree(self.private_bin, ignore_errors=True)


def _remove_copies_of_dead_runners() -> None:
    """A runner that was killed could not remove its copy of kubectl: the next one does."""
    for entry in Path(tempfile.gettempdir()).glob(f"{PRIVATE_BIN_PREFIX}*-*"):
        pid = entry.name.removeprefix(PRIVATE_BIN_PREFIX).split("-", 1)[0]
        try:
            if not pid.isdigit() or entry.lstat().st_uid != os.geteuid() or Path(f"/proc/{pid}").exists():
                continue
        except OSError:
            continue
        shutil.rmtree(entry, ignore_errors=True)


class ContainerSandbox(Sandbox):
    name = "container"

    def __init__(self, *, kubectl: str, homes: Path | None = None) -> None:
        self.kubectl = kubectl
        self.owned = homes is None
        self.homes = homes or Path(tempfile.mkdtemp(prefix="breakfix-console-homes-"))
        info = self.homes.stat()
        if info.st_uid != os.geteuid() or info.st_mode & 0o077:
            raise SandboxUnavailable(
                f"{self.homes} must be a directory of the runner's own with mode 0700 "
                f"(it is {oct(info.st_mode & 0o777)}, owned by uid {info.st_uid})"
            )
        self.active: set[Path] = set()
        self.sweep()

    def launch(self, args: tuple[str, ...], *, kubeconfig_fd: int) -> Launch:
        home = Path(tempfile.mkdtemp(prefix="kubectl-", dir=self.homes))  # 0700
        self.active.add(home)
        return Launch(
            argv=[self.kubectl, *args],
            env=kubectl_environment(home=str(home), kubeconfig=f"/dev/fd/{kubeconfig_fd}"),
            cwd=str(home),
            pass_fds=(kubeconfig_fd,),
            cleanup_paths=[home],
        )

    def finished(self, launch: Launch) -> None:
        super().finished(launch)
        self.active.difference_update(launch.cleanup_paths)
        self.sweep()

    def sweep(self) -> None:
        """Remove whatever a finished command left in the homes directory.

        kubectl runs under the runner's uid here, so it could write beside its HOME (`cp`, a
        `--cache-dir`); nothing written there survives the command that wrote it.
        """
        for entry in self.homes.iterdir():
            if entry in self.active:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)

    def close(self) -> None:
        self.active.clear()
        if self.homes.is_dir():
            self.sweep()
        if self.owned:
            shutil.rmtree(self.homes, ignore_errors=True)


def make_sandbox(name: str, *, kubectl: str, homes: Path | None = None) -> Sandbox:
    if name == "bwrap":
        return BwrapSandbox(kubectl=kubectl)
    if name == "container":
        return ContainerSandbox(kubectl=kubectl, homes=homes)
    raise SandboxUnavailable(f"unknown sandbox {name!r}: use bwrap or container")
