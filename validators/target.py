"""Which objects an objective looks at: a kind plus a name or a label selector, inside the namespace."""

from __future__ import annotations

from typing import Any, Self

from pydantic import field_validator, model_validator

from validators import selectors
from validators.namespace_view import KINDS
from validators.spec import Spec
from validators.view import View

Obj = dict[str, Any]


def plural(kind: str) -> str:
    if kind.endswith("y"):
        return kind[:-1] + "ies"
    if kind.endswith("s"):
        return kind + "es"
    return kind + "s"


def name_of(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("name", "?"))


class Target(Spec):
    kind: str
    name: str | None = None
    label_selector: dict[str, str] | None = None

    @field_validator("kind")
    @classmethod
    def _readable_kind(cls, kind: str) -> str:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; the checks can read {', '.join(sorted(KINDS))}")
        return kind

    @model_validator(mode="after")
    def _name_or_selector(self) -> Self:
        if (self.name is None) == (self.label_selector is None):
            raise ValueError("give exactly one of name and labelSelector")
        if self.label_selector is not None and not self.label_selector:
            raise ValueError("labelSelector must name at least one label")
        return self

    def describe(self) -> str:
        """`Deployment webapp` or `Pods matching app=frontend`."""
        if self.name is not None:
            return f"{self.kind} {self.name}"
        return f"{plural(self.kind)} matching {selectors.format_labels(self.label_selector or {})}"

    def nothing_matched(self) -> str:
        if self.name is not None:
            return f"There is no {self.kind} named {self.name} yet."
        return f"No {self.kind} matches {selectors.format_labels(self.label_selector or {})} yet."


def resolve(target: Target, view: View) -> list[Obj]:
    """The objects the target names, sorted by name. Pods already being deleted are gone for our purposes."""
    if target.name is not None:
        obj = view.get(target.kind, target.name)
        found = [obj] if obj is not None else []
    else:
        found = view.list(target.kind, target.label_selector)
    if target.kind == "Pod":
        found = [pod for pod in found if not (pod.get("metadata") or {}).get("deletionTimestamp")]
    return sorted(found, key=name_of)
