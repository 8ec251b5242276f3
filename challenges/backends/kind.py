"""The kind backend: a disposable kind cluster per attempt, driven through the `kind` CLI.

The learner is cluster-admin of a cluster that is thrown away afterwards. Only the commands
`kind create cluster`, `kind delete cluster`, `kind get clusters` and `kind get kubeconfig` are
used, so any executable that honours them (a stand-in in the tests) can take kind's place.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import ClassVar

import yaml
from kubernetes.client import ApiClient

from challenges.backends.base import LEARNER, BackendFailed, ClusterBackend, Obj
from validators.kube import client_from_text

# Output kept in an error: enough to read kind's own explanation, never a whole log.
STDERR_TAIL = 1500


class KindCommandError(BackendFailed):
    """A kind command failed: carries the command, its exit status (None: it did not finish) and stderr."""

    def __init__(self, command: list[str], returncode: int | None, stderr: str, *, reason: str = "") -> None:
        self.command = command
        self.returncode = returncode
        self.stderr = stderr
        shown = " ".join(command)
        if returncode is None:
            what = f"`{shown}` {reason or 'did not finish'}"
        else:
            what = f"`{shown}` failed with exit status {returncode}"
        detail = stderr.strip()[-STDERR_TAIL:]
        super().__init__(f"{what}: {detail}" if detail else what)


class KindBackend(ClusterBackend):
    name: ClassVar[str] = "kind"
    whole_cluster: ClassVar[bool] = True

    def __init__(self, *, prefix: str, kind: str, wait_seconds: int, internal: bool) -> None:
        super().__init__(prefix=prefix)
        self.kind = kind
        self.wait_seconds = wait_seconds
        # In a container on kind's Docker network, reach the API server by its container name.
        self.internal = internal

    # -- the CLI -------------------------------------------------------------------------------

    def run(self, *args: str, timeout: float = 60.0) -> str:
        """Run `kind <args>`; stdout on success, KindCommandError on any failure or timeout."""
        command = [self.kind, *args]
        try:
            # A session of its own, so a timeout kills kind and whatever it started.
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
        except OSError as exc:
            raise KindCommandError(command, None, "", reason=f"could not run: {exc.strerror or exc}") from exc
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            _, stderr = process.communicate()
            raise KindCommandError(
                command, None, stderr, reason=f"did not finish within {timeout:.0f}s"
            ) from None
        if process.returncode != 0:
            raise KindCommandError(command, process.returncode, stderr)
        return stdout

    def clusters(self) -> set[str]:
        # kind prints "No kind clusters found." on stderr when there are none.
        return {line.strip() for line in self.run("get", "clusters").splitlines() if line.strip()}

    def config(self, environment: str) -> str:
        return yaml.safe_dump(
            {
                "kind": "Cluster",
                "apiVersion": "kind.x-k8s.io/v1alpha4",
                "name": environment,
                "nodes": [{"role": "control-plane"}],
            },
            sort_keys=False,
        )

    # -- the interface -------------------------------------------------------------------------

    def platform_client(self, environment: str) -> ApiClient:
        args = ["get", "kubeconfig", "--name", environment]
        if self.internal:
            args.append("--internal")
        return client_from_text(self.run(*args))

    def create(self, environment: str, *, attempt_id: int) -> None:
        if environment not in self.clusters():
            with tempfile.TemporaryDirectory(prefix="breakfix-kind-") as workdir:
                config = Path(workdir) / "cluster.yaml"
                config.write_text(self.config(environment))
                # Our own kubeconfig file, so kind never touches the worker's ~/.kube/config;
                # the platform asks `kind get kubeconfig` whenever it needs the cluster.
                self.run(
                    "create", "cluster",
                    "--name", environment,
                    "--config", str(config),
                    "--kubeconfig", str(Path(workdir) / "kubeconfig"),
                    "--wait", f"{self.wait_seconds}s",
                    timeout=self.wait_seconds + 120,
                )  # fmt: skip
        with self.platform_client(environment) as api:
            self.prepare_namespace(api, environment, attempt_id=attempt_id)

    def access_documents(self, namespace: str) -> list[Obj]:
        return [
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": LEARNER}},
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": f"breakfix-{LEARNER}"},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": "cluster-admin",
                },
                "subjects": [{"kind": "ServiceAccount", "name": LEARNER, "namespace": namespace}],
            },
        ]

    def destroy(self, environment: str) -> None:
        # Deleting a cluster that does not exist succeeds, so this is idempotent as it stands.
        self.run("delete", "cluster", "--name", environment, timeout=180)

    def list_environments(self) -> set[str]:
        return {name for name in self.clusters() if self.owns(name)}
