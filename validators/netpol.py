"""May pod A open a port on pod B? The NetworkPolicy API's answer, computed from policy objects.

Semantics (https://kubernetes.io/docs/concepts/services-networking/network-policies/):

- A pod is isolated for a direction only if some policy in its namespace selects it
  and lists that direction in `policyTypes`. A pod nobody isolates admits everything.
- `policyTypes` omitted: Ingress always, plus Egress when the policy has egress rules
  (the API server's defaulting).
- Policies are additive: an isolated pod admits a connection if any rule of any
  policy that selects it for that direction admits it.
- A rule with no `from`/`to` admits every peer; one with no `ports` admits every port.
- A peer is a podSelector (pods of the policy's namespace), a namespaceSelector
  (every pod of the matching namespaces), both (pods matching podSelector in matching
  namespaces: an AND), or an ipBlock (an address range minus its `except` ranges,
  matched here against pod IPs; a pod without an IP is in no block, and a pod described
  rather than read (whose address cannot be known) is in a block only if it holds every
  address, such as 0.0.0.0/0).
- A port entry matches a protocol (TCP when omitted), all ports when `port` is omitted,
  a number, a range `port`..`endPort`, or a named port resolved against the
  destination pod's container ports.
- A connection happens only if the source's egress AND the destination's ingress admit it.

An endpoint may be an address outside the cluster (`external`): no pod or namespace selector
names it, only an ipBlock, and no policy isolates it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from validators import selectors

Obj = Mapping[str, Any]
Direction = Literal["ingress", "egress"]


@dataclass(frozen=True)
class ContainerPort:
    port: int
    name: str | None = None
    protocol: str = "TCP"


@dataclass(frozen=True)
class PodRef:
    """What policy evaluation needs to know about a pod."""

    name: str
    namespace: str
    labels: Mapping[str, str] = field(default_factory=dict)
    ip: str | None = None
    ports: tuple[ContainerPort, ...] = ()
    display: str = ""  # how messages name this pod (e.g. `app=frontend`); its labels by default
    external: bool = False  # an address outside the cluster, not a pod
    described: bool = False  # a pod described by its labels, not read: its address is not known

    @classmethod
    def from_pod(cls, pod: Obj, *, display: str = "") -> PodRef:
        metadata = pod.get("metadata") or {}
        ports = tuple(
            ContainerPort(int(p["containerPort"]), p.get("name"), p.get("protocol") or "TCP")
            for container in (pod.get("spec") or {}).get("containers") or []
            for p in container.get("ports") or []
            if "containerPort" in p
        )
        return cls(
            name=str(metadata.get("name", "")),
            namespace=str(metadata.get("namespace", "default")),
            labels=dict(metadata.get("labels") or {}),
            ip=(pod.get("status") or {}).get("podIP") or None,
            ports=ports,
            display=display,
        )

    @property
    def label(self) -> str:
        if self.display:
            return self.display
        shown = selectors.format_labels(selectors.role_labels(self.labels))
        return shown or f"pod {self.name}"


@dataclass(frozen=True)
class Verdict:
    """One direction's side of a decision."""

    direction: Direction
    selecting: tuple[str, ...]  # policies that isolate the pod for this direction
    admitting: tuple[str, ...]  # those of them with a rule admitting the connection

    @property
    def isolated(self) -> bool:
        return bool(self.selecting)

    @property
    def allowed(self) -> bool:
        return not self.isolated or bool(self.admitting)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # "blocked: …" or "allowed: …", naming the policies involved
    explanation: str  # the reason without its verdict, to build sentences around
    ingress: Verdict
    egress: Verdict


def policy_types(policy: Obj) -> tuple[str, ...]:
    spec = policy.get("spec") or {}
    declared = spec.get("policyTypes")
    if declared:
        return tuple(declared)
    # The API server's defaulting: Ingress always, Egress when egress rules are present.
    return ("Ingress", "Egress") if spec.get("egress") else ("Ingress",)


def _name(policy: Obj) -> str:
    return str((policy.get("metadata") or {}).get("name", "?"))


def _namespace(policy: Obj) -> str:
    return str((policy.get("metadata") or {}).get("namespace") or "default")


def selects(policy: Obj, pod: PodRef) -> bool:
    """The policy applies to the pod: same namespace, and its podSelector (empty = all) matches."""
    if pod.external:
        return False
    spec = policy.get("spec") or {}
    return _namespace(policy) == pod.namespace and selectors.matches(
        spec.get("podSelector") or {}, pod.labels
    )


def _namespace_labels(namespace: str, namespaces: Mapping[str, Mapping[str, str]]) -> Mapping[str, str]:
    # Every namespace carries this label automatically (Kubernetes 1.21+).
    return namespaces.get(namespace) or {"kubernetes.io/metadata.name": namespace}


def _ip_in_block(pod: PodRef, block: Obj) -> bool:
    ip = pod.ip
    try:
        if not ip:
            if not pod.described:
                return False  # a pod without an address yet opens no connection
            # An address we cannot know is in a block only if the block holds every address.
            network = ipaddress.ip_network(block.get("cidr", ""), strict=False)
            return network.prefixlen == 0 and not block.get("except")
        address = ipaddress.ip_address(ip)
        if address not in ipaddress.ip_network(block.get("cidr", ""), strict=False):
            return False
        return not any(
            address in ipaddress.ip_network(excluded, strict=False) for excluded in block.get("except") or []
        )
    except ValueError:
        return False


def peer_matches(
    peer: Obj, policy_namespace: str, pod: PodRef, namespaces: Mapping[str, Mapping[str, str]]
) -> bool:
    if "ipBlock" in peer:
        return _ip_in_block(pod, peer["ipBlock"])
    if pod.external:
        return False  # selectors name pods; an address outside the cluster is named by ipBlock only
    pod_selector = peer.get("podSelector")
    namespace_selector = peer.get("namespaceSelector")
    if pod_selector is None and namespace_selector is None:
        return False  # the API rejects an empty peer; it admits no one
    if namespace_selector is None:
        in_namespace = pod.namespace == policy_namespace
    else:
        in_namespace = selectors.matches(namespace_selector, _namespace_labels(pod.namespace, namespaces))
    if not in_namespace:
        return False
    return pod_selector is None or selectors.matches(pod_selector, pod.labels)


def port_matches(entry: Obj, port: int, protocol: str, destination: PodRef) -> bool:
    if (entry.get("protocol") or "TCP") != protocol:
        return False
    wanted = entry.get("port")
    if wanted is None:
        return True
    if isinstance(wanted, str) and not wanted.isdigit():
        # A named port means the destination pod's container port of that name and protocol.
        return any(p.name == wanted and p.protocol == protocol and p.port == port for p in destination.ports)
    low = int(wanted)
    high = entry.get("endPort")
    return low <= port <= int(high) if high is not None else port == low


def _rule_admits(
    rule: Obj,
    peers_key: str,
    peer: PodRef,
    policy_namespace: str,
    port: int,
    protocol: str,
    destination: PodRef,
    namespaces: Mapping[str, Mapping[str, str]],
) -> bool:
    peers = rule.get(peers_key)
    if peers and not any(peer_matches(p, policy_namespace, peer, namespaces) for p in peers):
        return False
    ports = rule.get("ports")
    return not ports or any(port_matches(entry, port, protocol, destination) for entry in ports)


def _verdict(
    direction: Direction,
    subject: PodRef,
    peer: PodRef,
    destination: PodRef,
    port: int,
    protocol: str,
    policies: Sequence[Obj],
    namespaces: Mapping[str, Mapping[str, str]],
) -> Verdict:
    policy_type = "Ingress" if direction == "ingress" else "Egress"
    peers_key = "from" if direction == "ingress" else "to"
    selecting = [p for p in policies if policy_type in policy_types(p) and selects(p, subject)]
    admitting = [
        p
        for p in selecting
        if any(
            _rule_admits(rule, peers_key, peer, _namespace(p), port, protocol, destination, namespaces)
            for rule in (p.get("spec") or {}).get(direction) or []
        )
    ]
    return Verdict(
        direction,
        selecting=tuple(sorted(_name(p) for p in selecting)),
        admitting=tuple(sorted(_name(p) for p in admitting)),
    )


def _policies(names: tuple[str, ...], singular: str, plural: str) -> str:
    listed = ", ".join(f"`{name}`" for name in names)
    return f"policy {listed} {singular}" if len(names) == 1 else f"policies {listed} {plural}"


def _explain(verdict: Verdict, source: PodRef, destination: PodRef, on: str) -> str:
    if verdict.direction == "ingress":
        if not verdict.isolated:
            return f"no policy selects {destination.label} for Ingress"
        if verdict.admitting:
            admit = _policies(verdict.admitting, "admits", "admit")
            return f"{admit} {source.label} into {destination.label} on {on} (ingress)"
        select = _policies(verdict.selecting, "selects", "select")
        return f"{select} {destination.label} for Ingress and no policy admits {source.label} on {on}"
    if not verdict.isolated:
        return f"no policy selects {source.label} for Egress"
    if verdict.admitting:
        let = _policies(verdict.admitting, "lets", "let")
        return f"{let} {source.label} reach {destination.label} on {on} (egress)"
    select = _policies(verdict.selecting, "selects", "select")
    return f"{select} {source.label} for Egress and no policy lets it reach {destination.label} on {on}"


def decide(
    source: PodRef,
    destination: PodRef,
    port: int,
    *,
    policies: Sequence[Obj],
    namespaces: Mapping[str, Mapping[str, str]] | None = None,
    protocol: str = "TCP",
    directions: tuple[Direction, ...] = ("ingress", "egress"),
) -> Decision:
    """Whether `source` may open `protocol`/`port` on `destination`, and why.

    `policies` are NetworkPolicy objects from any namespaces (only those in the
    pods' own namespaces apply); `namespaces` maps namespace names to their labels.
    `directions` are the sides judged: a caller that knows only one namespace's policies
    judges a path to another namespace by its egress alone, and the other side neither
    blocks nor appears in the explanation.
    """
    namespaces = namespaces or {}
    unjudged: list[Direction] = [d for d in ("ingress", "egress") if d not in directions]
    ingress = _verdict("ingress", destination, source, destination, port, protocol, policies, namespaces)
    egress = _verdict("egress", source, destination, destination, port, protocol, policies, namespaces)
    if "ingress" in unjudged:
        ingress = Verdict("ingress", selecting=(), admitting=())
    if "egress" in unjudged:
        egress = Verdict("egress", selecting=(), admitting=())
    on = f"{protocol} {port}"
    if ingress.allowed and egress.allowed:
        judged = [v for v in (ingress, egress) if v.direction not in unjudged]
        parts = [_explain(v, source, destination, on) for v in judged]
        if len(judged) == 1:
            explanation = parts[0]
        elif not ingress.isolated and not egress.isolated:
            explanation = f"no policy selects {destination.label} for Ingress or {source.label} for Egress"
        else:
            explanation = "; ".join(parts)
        return Decision(True, f"allowed: {explanation}", explanation, ingress, egress)
    failing = [v for v in (ingress, egress) if not v.allowed]
    explanation = "; and ".join(_explain(v, source, destination, on) for v in failing)
    return Decision(False, f"blocked: {explanation}", explanation, ingress, egress)
