"""What a check run is worth in an assessment: per objective, by weight, less the hints' penalty.

A pure function of the run's results, the version's weights and the hints used, so that the
score a learner sees can be recomputed from what the result records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Score:
    score: float  # 0..1
    objectives: list[dict[str, Any]]  # [{"key", "title", "weight", "passed"}]


def score_of(
    *,
    titles: Sequence[tuple[str, str]],
    weights: Mapping[str, int],
    results: Sequence[Mapping[str, Any]],
    hints_used: int,
    hint_penalty_percent: int,
) -> Score:
    """`titles`: the version's objectives (key, title) in order; `results`: a check run's rows
    ({"key", "passed", …}), or none when no check ran."""
    passed = {str(row.get("key")): bool(row.get("passed")) for row in results}
    objectives: list[dict[str, Any]] = [
        {"key": key, "title": title, "weight": weights.get(key, 1), "passed": passed.get(key, False)}
        for key, title in titles
    ]
    total = sum(o["weight"] for o in objectives)
    earned = sum(o["weight"] for o in objectives if o["passed"])
    fraction = earned / total if total else 0.0
    penalty = min(1.0, hints_used * hint_penalty_percent / 100)
    return Score(score=round(fraction * (1 - penalty), 4), objectives=objectives)
