"""`reachability`: may pods of `from` open a TCP port on pods of `to`, by the live NetworkPolicies?

The answer comes from evaluating the policies (validators.netpol), not from sending
packets, so it holds on any cluster, with or without a CNI that enforces policies.
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import Field, model_validator

from validators import netpol, selectors
from validators.registry import register
from validators.result import Result
from validators.spec import Spec
from validators.target import name_of
from validators.view import View
from validators.workloads import is_live, workload_pods

Obj = dict[str, Any]


class Peer(Spec):
    workload: str | None = None
    kind: Literal["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"] = "Deployment"
    label_selector: dict[str, str] | None = None

    @model_validator(mode="after")
    def _workload_or_selector(self) -> Self:
        if (self.workload is None) == (self.label_selector is None):
            raise ValueError("give exactly one of workload and labelSelector")
        if self.label_selector is not None and not self.label_selector:
            raise ValueError("labelSelector must name at least one label")
        if "kind" in self.model_fields_set and self.workload is None:
            raise ValueError("kind goes with workload")
        return self

    def describe(self) -> str:
        if self.workload is not None:
            return f"{self.kind} {self.workload}"
        return f"pods matching {selectors.format_labels(self.label_selector or {})}"


class PathSpec(Spec):
    source: Peer = Field(alias="from")
    destination: Peer = Field(alias="to")
    port: int = Field(ge=1, le=65535)
    protocol: Literal["TCP", "UDP", "SCTP"] = "TCP"
    expect: Literal["allowed", "blocked"]


class ReachabilitySpec(Spec):
    """One path (`from`, `to`, `port`, `expect`), or several under `checks` that must all hold.

    Several paths in one objective let a challenge say "the frontend gets in and nobody else
    does": an objective that fails until the real fix is made, and fails again on a shortcut.
    """

    checks: list[PathSpec] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _single_path(cls, data: Any) -> Any:
        if isinstance(data, dict) and "checks" not in data:
            return {"checks": [data]}
        return data


def _pods(peer: Peer, view: View) -> tuple[list[Obj], str, str | None]:
    """The peer's live pods, how messages name them, and why there are none (None when there are)."""
    if peer.label_selector is not None:
        pods = [pod for pod in view.pods(peer.label_selector) if is_live(pod)]
        shown = selectors.format_labels(peer.label_selector)
        return pods, shown, None if pods else f"No pod matches {shown} yet."
    workload = view.get(peer.kind, peer.workload or "")
    if workload is None:
        return [], peer.describe(), f"There is no {peer.describe()} yet."
    pods = [pod for pod in workload_pods(view, workload) if is_live(pod)]
    match_labels = ((workload.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    shown = selectors.format_labels(match_labels) or peer.describe()
    return pods, shown, None if pods else f"{peer.describe()} has no pods yet."


@register("reachability", ReachabilitySpec)
def check_reachability(spec: ReachabilitySpec, view: View) -> Result:
    policies = view.network_policies()
    namespaces = {view.namespace: view.namespace_labels()}
    results = [_check_path(path, view, policies, namespaces) for path in spec.checks]
    failed = next((result for result in results if not result.passed), None)
    if failed is not None:
        return failed
    if len(results) == 1:
        return results[0]
    return Result.ok(
        " ".join(result.message for result in results),
        paths=[result.details for result in results],
    )


def _check_path(
    spec: PathSpec, view: View, policies: list[Obj], namespaces: dict[str, dict[str, str]]
) -> Result:
    sources, source_label, why_none = _pods(spec.source, view)
    if why_none:
        return Result.fail(why_none)
    destinations, destination_label, why_none = _pods(spec.destination, view)
    if why_none:
        return Result.fail(why_none)
    want_allowed = spec.expect == "allowed"
    traffic = (
        f"Traffic from {spec.source.describe()} to {spec.destination.describe()} "
        f"on {spec.protocol} {spec.port}"
    )
    pairs = 0
    first: netpol.Decision | None = None
    for source_pod in sources:
        source = netpol.PodRef.from_pod(source_pod, display=source_label)
        for destination_pod in destinations:
            if name_of(source_pod) == name_of(destination_pod):
                continue  # a pod talking to itself is not a network path policies govern
            destination = netpol.PodRef.from_pod(destination_pod, display=destination_label)
            decision = netpol.decide(
                source,
                destination,
                spec.port,
                policies=policies,
                namespaces=namespaces,
                protocol=spec.protocol,
            )
            pairs += 1
            first = first or decision
            if decision.allowed != want_allowed:
                state = "is still allowed" if decision.allowed else "is blocked"
                return Result.fail(
                    f"{traffic} {state} (pod {source.name} to pod {destination.name}): "
                    f"{decision.explanation}.",
                    source=source.name,
                    destination=destination.name,
                    allowed=decision.allowed,
                    decision=decision.reason,
                    policies=sorted(name_of(p) for p in policies),
                )
    if first is None:
        return Result.fail(
            f"{spec.source.describe()} and {spec.destination.describe()} are the same single pod."
        )
    state = "is allowed" if want_allowed else "is blocked, as it should be"
    return Result.ok(
        f"{traffic} {state}: {first.explanation}.",
        pairs=pairs,
        decision=first.reason,
        policies=sorted(name_of(p) for p in policies),
    )
