"""Container logs as kwok serves them: CRI log files on this host, named by a per-pod `Logs` object.

kwok answers `kubectl logs` from the file a pod's Logs object names (`--previous` from a second
one). Each run of a container gets its own file, `<run>.log`, the run being the restart count it
had; `current.log` and `previous.log` are symbolic links to the latest run and the one before,
as the kubelet reads the newest container and the one it replaced. Before any restart,
`previous.log` is an empty file.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

Obj = dict[str, Any]
LOGS_API = "kwok.x-k8s.io/v1alpha1"


def cri_line(at: datetime, text: str, stream: str = "stdout") -> str:
    """`2026-12-01T19:10:00.123456000Z stdout F message`, the CRI log format kwok parses."""
    return f"{at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%f')}000Z {stream} F {text}\n"


def render(lines: Iterable[tuple[datetime, str]]) -> str:
    return "".join(cri_line(at, part) for at, text in lines for part in text.splitlines() or [""])


def _replace(path: Path, content: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(content, encoding="utf-8")
    temporary.replace(path)


def _link(path: Path, target: str) -> None:
    if path.is_symlink() and str(path.readlink()) == target:
        return
    temporary = path.with_name(f".{path.name}.link")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(target)
    temporary.replace(path)


class LogStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def pod_dir(self, namespace: str, uid: str) -> Path:
        return self.root / namespace / uid

    def current(self, namespace: str, uid: str, container: str) -> Path:
        return self.pod_dir(namespace, uid) / container / "current.log"

    def previous(self, namespace: str, uid: str, container: str) -> Path:
        return self.pod_dir(namespace, uid) / container / "previous.log"

    def write(
        self, namespace: str, uid: str, container: str, run: int, lines: list[tuple[datetime, str]] | None
    ) -> None:
        """Make `run` the container's current log (with `lines`, when the run is live)."""
        folder = self.pod_dir(namespace, uid) / container
        folder.mkdir(parents=True, exist_ok=True)
        run_file = folder / f"{run}.log"
        if lines is not None:
            content = render(lines)
            if not run_file.exists() or run_file.read_text(encoding="utf-8") != content:
                _replace(run_file, content)
        elif not run_file.exists():
            run_file.touch()
        empty = folder / "none.log"
        if not empty.exists():
            empty.touch()
        _link(folder / "current.log", run_file.name)
        before = folder / f"{run - 1}.log"
        _link(folder / "previous.log", before.name if run > 0 and before.exists() else empty.name)
        for old in folder.glob("*.log"):
            stem = old.stem
            if stem.isdigit() and int(stem) < run - 1:
                old.unlink(missing_ok=True)

    def remove(self, namespace: str, uid: str) -> None:
        shutil.rmtree(self.pod_dir(namespace, uid), ignore_errors=True)
        with contextlib.suppress(OSError):
            (self.root / namespace).rmdir()  # the namespace's last pod

    def sweep(self, live: set[tuple[str, str]]) -> None:
        """Remove the logs of every pod that is not in `live` (namespace, uid)."""
        if not self.root.is_dir():
            return
        for namespace in self.root.iterdir():
            for pod in namespace.iterdir() if namespace.is_dir() else []:
                if (namespace.name, pod.name) not in live:
                    shutil.rmtree(pod, ignore_errors=True)
            if namespace.is_dir() and not any(namespace.iterdir()):
                namespace.rmdir()

    def logs_object(self, pod: Obj, containers: Iterable[str]) -> Obj:
        """The kwok Logs object of a pod, owned by it so that it goes when the pod goes."""
        meta = pod["metadata"]
        namespace, uid = str(meta.get("namespace")), str(meta.get("uid"))
        return {
            "apiVersion": LOGS_API,
            "kind": "Logs",
            "metadata": {
                "name": meta.get("name"),
                "namespace": namespace,
                "ownerReferences": [
                    {"apiVersion": "v1", "kind": "Pod", "name": meta.get("name"), "uid": uid}
                ],
            },
            "spec": {
                "logs": [
                    {
                        "containers": [name],
                        "logsFile": str(self.current(namespace, uid, name)),
                        "previousLogsFile": str(self.previous(namespace, uid, name)),
                        "follow": True,
                    }
                    for name in sorted(containers)
                ]
            },
        }
