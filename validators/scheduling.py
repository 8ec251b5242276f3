"""What the scheduler's filters make of a pod spec and a node, and how a pod spec asks for a spread.

Only what holds whatever else runs on the cluster: the node selector, required node affinity
and taints (NodeAffinity and TaintToleration filters), not free capacity, which changes with
every pod. Followed from the Kubernetes API reference (core/v1 NodeSelector, Toleration,
TopologySpreadConstraint, PodAntiAffinity) and the scheduler's plugins of the same names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from validators import selectors

Obj = dict[str, Any]
# Taints the scheduler filters on; PreferNoSchedule only scores.
FILTERING_EFFECTS = ("NoSchedule", "NoExecute")


def labels_of(node: Obj) -> dict[str, str]:
    return dict((node.get("metadata") or {}).get("labels") or {})


def _requirement(expression: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    key, operator = str(expression.get("key", "")), expression.get("operator")
    values = [str(v) for v in expression.get("values") or []]
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    if operator in ("Gt", "Lt") and key in labels and values:
        try:
            have, bound = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return have > bound if operator == "Gt" else have < bound
    return False


def _term(term: Mapping[str, Any], node: Obj) -> bool:
    expressions = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not expressions and not fields:
        return False  # an empty term matches no node
    name = {"metadata.name": str((node.get("metadata") or {}).get("name", ""))}
    return all(_requirement(e, labels_of(node)) for e in expressions) and all(
        _requirement(f, name) for f in fields
    )


def affinity_admits(pod_spec: Mapping[str, Any], node: Obj) -> bool:
    """The node selector and required node affinity let the pod onto this node."""
    if not selectors.matches_labels(pod_spec.get("nodeSelector") or {}, labels_of(node)):
        return False
    required = (
        ((pod_spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        or {}
    ).get("nodeSelectorTerms")
    if required is None:
        return True
    return any(_term(term, node) for term in required)


def tolerates(tolerations: list[Obj], taint: Mapping[str, Any]) -> bool:
    for toleration in tolerations:
        effect = toleration.get("effect")
        if effect and effect != taint.get("effect"):
            continue
        key, operator = toleration.get("key") or "", toleration.get("operator") or "Equal"
        if not key and operator == "Exists":
            return True
        if key != taint.get("key"):
            continue
        if operator == "Exists" or str(toleration.get("value") or "") == str(taint.get("value") or ""):
            return True
    return False


def untolerated(pod_spec: Mapping[str, Any], node: Obj) -> list[Obj]:
    tolerations = list(pod_spec.get("tolerations") or [])
    return [
        taint
        for taint in (node.get("spec") or {}).get("taints") or []
        if taint.get("effect") in FILTERING_EFFECTS and not tolerates(tolerations, taint)
    ]


def admits(pod_spec: Mapping[str, Any], node: Obj) -> bool:
    """Whether the scheduler's label and taint filters let a pod of this spec onto the node."""
    return affinity_admits(pod_spec, node) and not untolerated(pod_spec, node)


def format_taint(taint: Mapping[str, Any]) -> str:
    value = f"={taint['value']}" if taint.get("value") else ""
    return f"{taint.get('key')}{value}:{taint.get('effect')}"


# --- spreading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """How a pod template spreads its pods over a node label: `required` when the scheduler must."""

    required: bool
    why: str


def spread(pod_spec: Mapping[str, Any], pod_labels: Mapping[str, str], key: str, max_skew: int) -> Spread:
    """Whether the spec makes the scheduler keep its own pods spread over `key`, and if not, why."""
    near: list[str] = []
    for constraint in pod_spec.get("topologySpreadConstraints") or []:
        own = selectors.matches(constraint.get("labelSelector") or {}, pod_labels)
        if constraint.get("topologyKey") != key:
            near.append(
                f"its topology spread constraint spreads over {constraint.get('topologyKey')}, not {key}"
            )
        elif not constraint.get("labelSelector") or not own:
            near.append("its topology spread constraint counts other pods than its own (labelSelector)")
        elif constraint.get("whenUnsatisfiable", "DoNotSchedule") != "DoNotSchedule":
            near.append(
                f"its topology spread constraint on {key} is {constraint.get('whenUnsatisfiable')}: "
                "the scheduler only prefers the spread and may still put pods together"
            )
        elif int(constraint.get("maxSkew") or 0) > max_skew:
            near.append(
                f"its topology spread constraint allows a skew of {constraint.get('maxSkew')}, not {max_skew}"
            )
        else:
            return Spread(
                True, f"a topology spread constraint on {key} (maxSkew {constraint.get('maxSkew')})"
            )
    anti = ((pod_spec.get("affinity") or {}).get("podAntiAffinity")) or {}
    for term in anti.get("requiredDuringSchedulingIgnoredDuringExecution") or []:
        own = (
            selectors.matches(term.get("labelSelector") or {}, pod_labels)
            if term.get("labelSelector")
            else False
        )
        if term.get("topologyKey") != key:
            near.append(
                f"its required pod anti-affinity keeps pods apart by {term.get('topologyKey')}, not {key}"
            )
        elif not own:
            near.append("its required pod anti-affinity keeps it away from other pods than its own")
        else:
            return Spread(True, f"a required pod anti-affinity on {key}")
    for weighted in anti.get("preferredDuringSchedulingIgnoredDuringExecution") or []:
        if (weighted.get("podAffinityTerm") or {}).get("topologyKey") == key:
            near.append(f"its pod anti-affinity on {key} is only preferred: the scheduler may ignore it")
    if near:
        return Spread(False, "; ".join(near))
    return Spread(False, f"nothing in it makes the scheduler spread its pods over {key}")
