"""`placement`: where the pods of a workload run, read from the nodes they were scheduled on.

In order, each only when asked for:
- `nodeLabels`: every pod runs on a node carrying these labels;
- `pinned`: and not by luck: the pod template's node selector, required node affinity and
  tolerations admit no node without them, and it names no node itself (`nodeName` skips the
  scheduler, and with it the node's taints and every other check);
- `spreadRequired` (with `spreadBy`): the template makes the scheduler spread its pods over the
  node label `spreadBy` (a DoNotSchedule topology spread constraint of at most `maxSkew`, or a
  required pod anti-affinity, selecting its own pods);
- `minDomains` / `maxSkew` (with `spreadBy`): the pods run in at least `minDomains` distinct
  values of that label, and the counts per value (among the nodes the pods may use) differ by
  at most `maxSkew`.

Nodes are read with the platform's credentials; free capacity is not judged, only what stays
true whatever else runs on the cluster.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Self

from pydantic import Field, model_validator

from validators import scheduling, selectors
from validators.podsource import PodSelection, select_pods
from validators.registry import register
from validators.result import Result
from validators.target import name_of
from validators.view import View

Obj = dict[str, Any]


class PlacementSpec(PodSelection):
    """Fields: `nodeLabels` ({label: value}), `pinned` (bool, needs nodeLabels), `spreadBy` (a
    node label such as topology.kubernetes.io/zone), `spreadRequired` (bool), `maxSkew` (int),
    `minDomains` (int); at least one check."""

    node_labels: dict[str, str] | None = None
    pinned: bool = False
    spread_by: str | None = None
    spread_required: bool = False
    max_skew: int | None = Field(default=None, ge=1, le=100)
    min_domains: int | None = Field(default=None, ge=1, le=100)

    @model_validator(mode="after")
    def _asks_something(self) -> Self:
        if self.pinned and not self.node_labels:
            raise ValueError("pinned needs nodeLabels: the nodes the pods must be kept on")
        spreads = self.spread_required or self.max_skew is not None or self.min_domains is not None
        if spreads and not self.spread_by:
            raise ValueError(
                "spreadRequired, maxSkew and minDomains need spreadBy, the node label to spread over"
            )
        if not self.node_labels and not spreads:
            raise ValueError("give nodeLabels, or spreadBy with spreadRequired, maxSkew or minDomains")
        return self


def _templates(workload: Obj | None, pods: list[Obj]) -> list[tuple[str, Obj, dict[str, str]]]:
    """(what to call it, pod spec, pod labels) for each spec whose rules the scheduler follows."""
    if workload is not None:
        template = (workload.get("spec") or {}).get("template") or {}
        label = f"the pod template of {workload.get('kind')} {name_of(workload)}"
        return [(label, template.get("spec") or {}, (template.get("metadata") or {}).get("labels") or {})]
    return [
        (f"pod {name_of(p)}", p.get("spec") or {}, (p.get("metadata") or {}).get("labels") or {})
        for p in pods
    ]


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _names(nodes: list[Obj], limit: int = 4) -> str:
    shown = [name_of(n) for n in nodes[:limit]]
    more = f" and {len(nodes) - limit} more" if len(nodes) > limit else ""
    return ", ".join(shown) + more


def _unscheduled(pod: Obj) -> str:
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
            why = str(condition.get("message") or condition.get("reason") or "").strip()
            return f"Pod {name_of(pod)} is not scheduled on any node" + (f": {why}" if why else ".")
    return f"Pod {name_of(pod)} is not scheduled on any node yet."


def _pinned(spec: PlacementSpec, label: str, pod_spec: Obj, nodes: list[Obj]) -> str | None:
    wanted = spec.node_labels or {}
    if pod_spec.get("nodeName"):
        return (
            f"{_upper(label)} names its node (nodeName: {pod_spec['nodeName']}), which skips the "
            "scheduler and with it the node's taints and every other check; let a node selector or "
            "node affinity choose the node instead."
        )
    admitted = [n for n in nodes if scheduling.admits(pod_spec, n)]
    elsewhere = [n for n in admitted if not selectors.matches_labels(wanted, scheduling.labels_of(n))]
    if elsewhere:
        return (
            f"Nothing in {label} keeps its pods on nodes with {selectors.format_labels(wanted)}: its "
            f"node selector, node affinity and tolerations also admit {_names(elsewhere)}, so where "
            "they land is luck."
        )
    return None


def _spread_counts(spec: PlacementSpec, pods: list[Obj], nodes: dict[str, Obj], pod_spec: Obj) -> str | None:
    key = str(spec.spread_by)
    # The domains are the values of the nodes the pods may use (the scheduler's nodeAffinityPolicy).
    domains = sorted(
        {
            scheduling.labels_of(n)[key]
            for n in nodes.values()
            if key in scheduling.labels_of(n) and scheduling.affinity_admits(pod_spec, n)
        }
    )
    counts: Counter[str] = Counter(dict.fromkeys(domains, 0))
    for pod in pods:
        node = nodes.get(str((pod.get("spec") or {}).get("nodeName") or ""))
        value = scheduling.labels_of(node).get(key) if node else None
        if value is None:
            return f"Pod {name_of(pod)} runs on node {name_of(node or {})}, which has no {key} label."
        counts[value] += 1
    shown = ", ".join(f"{domain}: {count}" for domain, count in sorted(counts.items()))
    used = sum(1 for count in counts.values() if count)
    if spec.min_domains is not None and used < spec.min_domains:
        return (
            f"Its {len(pods)} {'pod runs' if len(pods) == 1 else 'pods run'} in {used} "
            f"{key} {'value' if used == 1 else 'values'} ({shown}); the check expects at least "
            f"{spec.min_domains}."
        )
    skew = max(counts.values(), default=0) - min(counts.values(), default=0)
    if spec.max_skew is not None and skew > spec.max_skew:
        return (
            f"Its pods are spread unevenly over {key} ({shown}): a skew of {skew}, more than {spec.max_skew}."
        )
    return None


@register("placement", PlacementSpec)
def check_placement(spec: PlacementSpec, view: View) -> Result:
    pods, workload, why_none = select_pods(spec, view)
    if why_none:
        return Result.fail(why_none, pods=[])
    pods = [p for p in pods if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
    subject = spec.describe()
    nodes = {name_of(n): n for n in view.nodes()}
    details: dict[str, Any] = {"pods": {name_of(p): (p.get("spec") or {}).get("nodeName") for p in pods}}
    wanted = spec.node_labels or {}
    landing = spec.min_domains is not None or spec.max_skew is not None
    # Where pods run is judged once they all run somewhere; what the template requires, at any
    # time (a Pending pod is often what the template gets wrong).
    for pod in pods if wanted or landing else []:
        if not (pod.get("spec") or {}).get("nodeName"):
            return Result.fail(_unscheduled(pod), **details)
    for pod in pods if wanted else []:
        node_name = str(pod["spec"]["nodeName"])
        node = nodes.get(node_name)
        if wanted and (node is None or not selectors.matches_labels(wanted, scheduling.labels_of(node))):
            have = ", ".join(f"{k}={scheduling.labels_of(node or {}).get(k, '(none)')}" for k in wanted)
            return Result.fail(
                f"Pod {name_of(pod)} runs on node {node_name} ({have}), not on a node with "
                f"{selectors.format_labels(wanted)}.",
                **details,
            )
    templates = _templates(workload, pods)
    if spec.pinned:
        for label, pod_spec, _ in templates:
            problem = _pinned(spec, label, pod_spec, list(nodes.values()))
            if problem:
                return Result.fail(problem, **details)
    required = ""
    if spec.spread_required:
        for label, pod_spec, labels in templates:
            spread = scheduling.spread(pod_spec, labels, str(spec.spread_by), spec.max_skew or 1)
            if not spread.required:
                return Result.fail(f"{_upper(label)} does not require the spread: {spread.why}.", **details)
            required = spread.why
    if landing:
        problem = _spread_counts(spec, pods, nodes, templates[0][1] if templates else {})
        if problem:
            return Result.fail(problem, **details)
    return Result.ok(_summary(spec, subject, pods, nodes, required), **details)


def _summary(spec: PlacementSpec, subject: str, pods: list[Obj], nodes: dict[str, Obj], required: str) -> str:
    parts = []
    if spec.node_labels:
        kept = ", kept there by its node selector or affinity" if spec.pinned else ""
        parts.append(f"on nodes with {selectors.format_labels(spec.node_labels)}{kept}")
    if spec.min_domains is not None or spec.max_skew is not None:
        key = str(spec.spread_by)
        values = sorted(
            {scheduling.labels_of(nodes.get(str(p["spec"]["nodeName"])) or {}).get(key, "?") for p in pods}
        )
        parts.append(f"spread over {key} ({', '.join(values)})")
    if required and not parts:
        return f"{subject} requires its pods to spread over {spec.spread_by}, with {required}."
    if required:
        parts.append(f"as {required} requires")
    pods_of = f"The pod of {subject} runs" if len(pods) == 1 else f"All {len(pods)} pods of {subject} run"
    return f"{pods_of} {' '.join(parts)}."
