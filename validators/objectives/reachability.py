"""`reachability`: may pods of `from` open a TCP port on pods of `to`, by the live NetworkPolicies?

The answer comes from evaluating the policies (validators.netpol), not from sending
packets, so it holds on any cluster, with or without a CNI that enforces policies.

A peer is usually this namespace's live pods (a workload, or a label selector). It can
also be a pod described by its `labels` in another `namespace` (the cluster DNS pods in
kube-system, say), judged by policy alone whether or not such a pod runs there, or an
`address` outside the cluster. Only this namespace's policies are read, so a path to or
from another namespace or an address is judged on this namespace's side alone: egress
for a destination elsewhere, ingress for a source elsewhere.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Literal, Self

from pydantic import Field, field_validator, model_validator

from validators import netpol, selectors
from validators.errors import ObjectInvalid
from validators.registry import register
from validators.result import Result
from validators.spec import Spec
from validators.target import name_of
from validators.view import View
from validators.workloads import is_live, workload_pods

Obj = dict[str, Any]


class Peer(Spec):
    """`workload` (with `kind`) or `labelSelector`: this namespace's live pods. `labels` (with
    `namespace`, default this one): a pod labelled so, judged by policy whether or not one runs.
    `address`: an IP address outside the cluster."""

    workload: str | None = None
    kind: Literal["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"] = "Deployment"
    label_selector: dict[str, str] | None = None
    labels: dict[str, str] | None = None
    namespace: str | None = Field(default=None, min_length=1, max_length=63)
    address: str | None = None

    @field_validator("address")
    @classmethod
    def _an_address(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ipaddress.ip_address(value)
            except ValueError:
                raise ValueError(f"address {value!r} is not an IP address") from None
        return value

    @model_validator(mode="after")
    def _one_kind_of_peer(self) -> Self:
        given = [v for v in (self.workload, self.label_selector, self.labels, self.address) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of workload, labelSelector, labels and address")
        if self.label_selector is not None and not self.label_selector:
            raise ValueError("labelSelector must name at least one label")
        if self.labels is not None and not self.labels:
            raise ValueError("labels must name at least one label")
        if "kind" in self.model_fields_set and self.workload is None:
            raise ValueError("kind goes with workload")
        if self.namespace is not None and self.labels is None:
            raise ValueError("namespace goes with labels")
        return self

    @property
    def described(self) -> bool:
        """A pod described by labels, or an address: nothing live is read for it."""
        return self.labels is not None or self.address is not None

    def describe(self) -> str:
        if self.workload is not None:
            return f"{self.kind} {self.workload}"
        if self.address is not None:
            return f"address {self.address}"
        if self.labels is not None:
            where = f" in namespace {self.namespace}" if self.namespace else ""
            return f"pods labelled {selectors.format_labels(self.labels)}{where}"
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


def _described(peer: Peer, view: View) -> netpol.PodRef:
    """The one endpoint a described peer stands for."""
    if peer.address is not None:
        return netpol.PodRef(
            name=peer.address, namespace="", ip=peer.address, display=peer.address, external=True
        )
    namespace = peer.namespace or view.namespace
    labels = dict(peer.labels or {})
    shown = selectors.format_labels(labels)
    if namespace != view.namespace:
        shown = f"{shown} in namespace {namespace}"
    return netpol.PodRef(name=shown, namespace=namespace, labels=labels, display=shown, described=True)


def _refs(peer: Peer, view: View) -> tuple[list[netpol.PodRef], str | None]:
    if peer.described:
        return [_described(peer, view)], None
    pods, label, why_none = _pods(peer, view)
    return [netpol.PodRef.from_pod(pod, display=label) for pod in pods], why_none


def _namespace_labels(view: View, namespace: str) -> dict[str, str]:
    try:
        return view.namespace_labels(namespace)
    except ObjectInvalid:
        # Not readable (or not there): a namespace still carries its automatic name label.
        return {"kubernetes.io/metadata.name": namespace}


def _directions(spec: PathSpec, view: View) -> tuple[netpol.Direction, ...]:
    """Only this namespace's policies are known: a side elsewhere is not judged."""
    directions: list[netpol.Direction] = []
    if _here(spec.destination, view):
        directions.append("ingress")
    if _here(spec.source, view):
        directions.append("egress")
    return tuple(directions)


def _here(peer: Peer, view: View) -> bool:
    return peer.address is None and (peer.namespace is None or peer.namespace == view.namespace)


@register("reachability", ReachabilitySpec)
def check_reachability(spec: ReachabilitySpec, view: View) -> Result:
    policies = view.network_policies()
    namespaces = {view.namespace: view.namespace_labels()}
    for path in spec.checks:
        for peer in (path.source, path.destination):
            if peer.namespace and peer.namespace not in namespaces:
                namespaces[peer.namespace] = _namespace_labels(view, peer.namespace)
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
    sources, why_none = _refs(spec.source, view)
    if why_none:
        return Result.fail(why_none)
    destinations, why_none = _refs(spec.destination, view)
    if why_none:
        return Result.fail(why_none)
    if not _directions(spec, view):
        raise ObjectInvalid(
            f"Neither {spec.source.describe()} nor {spec.destination.describe()} is in namespace "
            f"{view.namespace}, whose NetworkPolicies are the only ones these checks read."
        )
    want_allowed = spec.expect == "allowed"
    traffic = (
        f"Traffic from {spec.source.describe()} to {spec.destination.describe()} "
        f"on {spec.protocol} {spec.port}"
    )
    pairs = 0
    first: netpol.Decision | None = None
    for source in sources:
        for destination in destinations:
            if (
                not spec.source.described
                and not spec.destination.described
                and source.name == destination.name
            ):
                continue  # a pod talking to itself is not a network path policies govern
            decision = netpol.decide(
                source,
                destination,
                spec.port,
                policies=policies,
                namespaces=namespaces,
                protocol=spec.protocol,
                directions=_directions(spec, view),
            )
            pairs += 1
            first = first or decision
            if decision.allowed != want_allowed:
                state = "is still allowed" if decision.allowed else "is blocked"
                return Result.fail(
                    f"{traffic} {state} ({_name(source, spec.source)} to "
                    f"{_name(destination, spec.destination)}): {decision.explanation}.",
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


def _name(ref: netpol.PodRef, peer: Peer) -> str:
    if peer.address is not None:
        return f"address {ref.name}"
    if peer.labels is not None:
        return f"a pod labelled {ref.name}"
    return f"pod {ref.name}"
