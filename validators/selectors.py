"""Kubernetes label selectors: matching labels locally and writing them as API queries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Labels that controllers add to every pod they create. They identify a revision,
# not a role, so messages leave them out when they name a group of pods.
CONTROLLER_LABELS = frozenset(
    {
        "pod-template-hash",
        "controller-revision-hash",
        "pod-template-generation",
        "statefulset.kubernetes.io/pod-name",
        "apps.kubernetes.io/pod-index",
        "batch.kubernetes.io/controller-uid",
        "batch.kubernetes.io/job-name",
        "controller-uid",
        "job-name",
    }
)


def matches_labels(required: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """Equality-based selection: every required label is present with the same value."""
    return all(labels.get(key) == value for key, value in required.items())


def matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A metav1.LabelSelector (`matchLabels` and `matchExpressions`); the empty selector matches all."""
    if not matches_labels(selector.get("matchLabels") or {}, labels):
        return False
    for expression in selector.get("matchExpressions") or []:
        key = expression.get("key", "")
        operator = expression.get("operator")
        values = expression.get("values") or []
        if operator == "In":
            if key not in labels or labels[key] not in values:
                return False
        elif operator == "NotIn":
            # A pod without the label is "not in" any set of values.
            if key in labels and labels[key] in values:
                return False
        elif operator == "Exists":
            if key not in labels:
                return False
        elif operator == "DoesNotExist":
            if key in labels:
                return False
        else:
            raise ValueError(f"unknown label selector operator {operator!r}")
    return True


def format_labels(labels: Mapping[str, str]) -> str:
    """`{"app": "web", "tier": "front"}` → `app=web,tier=front`, the form kubectl accepts after -l."""
    return ",".join(f"{key}={value}" for key, value in labels.items())


def to_query(selector: Mapping[str, Any]) -> str:
    """A metav1.LabelSelector as the `labelSelector` query parameter of a list request."""
    terms = [f"{key}={value}" for key, value in (selector.get("matchLabels") or {}).items()]
    for expression in selector.get("matchExpressions") or []:
        key = expression.get("key", "")
        operator = expression.get("operator")
        values = ",".join(expression.get("values") or [])
        if operator == "In":
            terms.append(f"{key} in ({values})")
        elif operator == "NotIn":
            terms.append(f"{key} notin ({values})")
        elif operator == "Exists":
            terms.append(key)
        elif operator == "DoesNotExist":
            terms.append(f"!{key}")
        else:
            raise ValueError(f"unknown label selector operator {operator!r}")
    return ",".join(terms)


def describe(selector: Mapping[str, Any]) -> str:
    """A selector as a person reads it; `{}` selects every pod."""
    query = to_query(selector)
    return query or "every pod"


def role_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """The labels that say what a pod is, without the ones controllers stamp on it."""
    return {key: value for key, value in labels.items() if key not in CONTROLLER_LABELS}
