from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Result:
    """What one objective decided: a verdict, a learner-facing sentence and data for tooling."""

    passed: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def ok(cls, message: str, **details: Any) -> Result:
        return cls(passed=True, message=message, details=details)

    @classmethod
    def fail(cls, message: str, **details: Any) -> Result:
        return cls(passed=False, message=message, details=details)
