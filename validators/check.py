"""One check run: every objective of a challenge, evaluated concurrently against one namespace."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from validators import registry
from validators.errors import ObjectInvalid, SpecInvalid
from validators.result import Result
from validators.view import View


@dataclass(frozen=True)
class Objective:
    key: str
    title: str
    type: str
    spec: Mapping[str, Any]
    failure_message: str


@dataclass(frozen=True)
class ObjectiveResult:
    key: str
    title: str
    passed: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?:" else text + "."


def _evaluate(objective: Objective, view: View) -> ObjectiveResult:
    try:
        result = registry.evaluate(objective.type, objective.spec, view)
    except SpecInvalid as exc:
        result = Result.fail(f"This objective's spec is invalid: {exc}", error="spec")
    except ObjectInvalid as exc:
        result = Result.fail(str(exc), error="object")
    # ClusterUnavailable propagates: the whole run is retried, never half-judged.
    if result.passed:
        return ObjectiveResult(objective.key, objective.title, True, result.message, dict(result.details))
    message = " ".join(
        part for part in (_sentence(objective.failure_message), _sentence(result.message)) if part
    )
    details = {**result.details, "reason": result.message}
    return ObjectiveResult(objective.key, objective.title, False, message, details)


def run_check(objectives: Sequence[Objective], view: View, *, max_workers: int = 8) -> list[ObjectiveResult]:
    """Evaluate every objective; results come back in objective order.

    Pass a new view (NamespaceView) for each run: a view is one run's snapshot of the namespace.

    A failing objective's message is its `failureMessage` followed by the validator's
    own reason, which details["reason"] also carries alone. ClusterUnavailable from any
    objective propagates once the others have finished or been cancelled.
    """
    if not objectives:
        return []
    workers = max(1, min(max_workers, len(objectives)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="breakfix-check") as pool:
        futures = [pool.submit(_evaluate, objective, view) for objective in objectives]
        try:
            return [future.result() for future in futures]
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
