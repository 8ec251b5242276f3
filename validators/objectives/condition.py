"""`condition`: status conditions of every matched object, e.g. Pods Ready, a Deployment Available."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from validators.registry import register
from validators.result import Result
from validators.spec import Spec
from validators.target import Target, name_of, resolve
from validators.view import View


class ConditionCheck(Spec):
    type: str = Field(min_length=1)
    status: str = "True"

    @field_validator("status", mode="before")
    @classmethod
    def _status_text(cls, value: Any) -> Any:
        # YAML reads an unquoted True as a boolean; a condition's status is the string "True".
        if isinstance(value, bool):
            return "True" if value else "False"
        return value

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str) -> str:
        if value not in ("True", "False", "Unknown"):
            raise ValueError(f"status must be True, False or Unknown, not {value!r}")
        return value


class ConditionSpec(Spec):
    target: Target
    checks: list[ConditionCheck] = Field(min_length=1)


def _explain(condition: dict[str, Any]) -> str:
    words = [str(condition[k]) for k in ("reason", "message") if condition.get(k)]
    return f" ({': '.join(words)})" if words else ""


@register("condition", ConditionSpec)
def check_condition(spec: ConditionSpec, view: View) -> Result:
    objects = resolve(spec.target, view)
    if not objects:
        return Result.fail(spec.target.nothing_matched(), matched=[])
    names = [name_of(obj) for obj in objects]
    for obj in objects:
        label = f"{spec.target.kind} {name_of(obj)}"
        conditions = {
            c.get("type"): c for c in (obj.get("status") or {}).get("conditions") or [] if isinstance(c, dict)
        }
        for check in spec.checks:
            condition = conditions.get(check.type)
            if condition is None:
                return Result.fail(
                    f"{label} does not report a {check.type} condition yet.",
                    matched=names,
                    failing=name_of(obj),
                )
            actual = str(condition.get("status"))
            if actual != check.status:
                if check.status == "True":
                    sentence = f"{label} is not {check.type}{_explain(condition)}."
                else:
                    sentence = (
                        f"{label} has {check.type}={actual}, expected {check.status}{_explain(condition)}."
                    )
                return Result.fail(sentence, matched=names, failing=name_of(obj), condition=condition)
    wanted = ", ".join(
        check.type if check.status == "True" else f"{check.type}={check.status}" for check in spec.checks
    )
    if len(objects) == 1:
        return Result.ok(f"{spec.target.kind} {names[0]} is {wanted}.", matched=names)
    return Result.ok(f"All {len(objects)} {spec.target.describe()} are {wanted}.", matched=names)
