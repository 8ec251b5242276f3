"""What a check may ask of the namespace it judges: the one interface every objective is written to.

`NamespaceView` implements it against the API server; the tests' in-memory FakeView implements it
too, and mypy holds both to this one definition, so the fake cannot drift from the real thing.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

Obj = dict[str, Any]
LabelSelector = Mapping[str, str] | str | None


@dataclass(frozen=True)
class LogQuery:
    """Which log of a pod: one container's (the only one when None), its previous run, the last
    `since_seconds` or `tail_lines` only."""

    pod: str
    container: str | None = None
    since_seconds: int | None = None
    previous: bool = False
    tail_lines: int | None = None


@dataclass(frozen=True)
class AccessQuestion:
    """May `user` (in `groups`) do `verb` on `resource`? `namespace=None` means the view's own
    namespace, `""` cluster scope."""

    user: str
    groups: builtins.list[str]
    verb: str
    resource: str
    group: str = ""
    subresource: str = ""
    name: str = ""
    namespace: str | None = None


class View(Protocol):
    """Read-only access to one namespace: objects, one Secret value, logs, and access reviews."""

    @property
    def namespace(self) -> str: ...

    def fresh(self) -> View:
        """The same namespace with nothing read yet, to see how things changed."""
        ...

    def get(self, kind: str, name: str) -> Obj | None: ...

    def list(self, kind: str, label_selector: LabelSelector = None) -> builtins.list[Obj]: ...

    def secret_value(self, name: str, key: str) -> bytes | None: ...

    def pods(self, label_selector: LabelSelector = None) -> builtins.list[Obj]: ...

    def network_policies(self) -> builtins.list[Obj]: ...

    def nodes(self) -> builtins.list[Obj]:
        """The cluster's nodes (cluster-scoped: their labels, taints and capacity)."""
        ...

    def events(self) -> builtins.list[Obj]: ...

    def namespace_labels(self, name: str | None = None) -> dict[str, str]: ...

    def pod_logs(self, query: LogQuery) -> str:
        """A container's log; ObjectInvalid when there is none to read (not started, no previous run)."""
        ...

    def subject_access_review(self, question: AccessQuestion) -> Obj:
        """The API server's answer (a SubjectAccessReview's status) to whether someone may act."""
        ...
