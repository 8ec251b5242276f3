"""Which pods an objective judges: the pods of a named workload, or the pods a label selector picks."""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import Field, model_validator

from validators import selectors
from validators.spec import Spec
from validators.view import View
from validators.workloads import is_deleting, workload_pods

Obj = dict[str, Any]
WorkloadKind = Literal["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"]


class WorkloadRef(Spec):
    """A workload by kind (Deployment by default) and name; its pods are the ones it owns."""

    kind: WorkloadKind = "Deployment"
    name: str = Field(min_length=1)

    def describe(self) -> str:
        return f"{self.kind} {self.name}"


class PodSelection(Spec):
    """`workload: {kind, name}` (the pods it owns, through its ReplicaSets for a Deployment) or
    `labelSelector: {label: value}` (every pod carrying those labels). Exactly one."""

    workload: WorkloadRef | None = None
    label_selector: dict[str, str] | None = None

    @model_validator(mode="after")
    def _workload_or_selector(self) -> Self:
        if (self.workload is None) == (self.label_selector is None):
            raise ValueError("give exactly one of workload and labelSelector")
        if self.label_selector is not None and not self.label_selector:
            raise ValueError("labelSelector must name at least one label")
        return self

    def describe(self) -> str:
        if self.workload is not None:
            return self.workload.describe()
        return f"pods matching {selectors.format_labels(self.label_selector or {})}"


def select_pods(selection: PodSelection, view: View) -> tuple[list[Obj], Obj | None, str | None]:
    """(pods not being deleted, sorted by name; the workload or None; why there is nothing to judge)."""
    if selection.workload is not None:
        workload = view.get(selection.workload.kind, selection.workload.name)
        if workload is None:
            return [], None, f"There is no {selection.workload.describe()} yet."
        pods = [p for p in workload_pods(view, workload) if not is_deleting(p)]
        return pods, workload, None if pods else f"{selection.workload.describe()} has no pods yet."
    pods = sorted(
        (p for p in view.pods(selection.label_selector) if not is_deleting(p)),
        key=lambda p: p["metadata"]["name"],
    )
    shown = selectors.format_labels(selection.label_selector or {})
    return pods, None, None if pods else f"No pod matches {shown} yet."
