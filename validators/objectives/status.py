"""`status`: compare fields under `.status` of every matched object, e.g. readyReplicas >= 2."""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import Field, field_validator, model_validator

from validators import compare, paths, quantity
from validators.registry import register
from validators.result import Result
from validators.spec import Spec
from validators.target import Target, name_of, resolve
from validators.view import View

Operator = Literal["==", "!=", "<", "<=", ">", ">=", "in", "contains"]


class StatusCheck(Spec):
    """`field` under .status (a.b, arr[0], arr[name=x].y, ["limits.memory"]); `operator` == != < <=
    > >= in contains; `value`. Ordering compares numbers, or quantities such as 512Mi."""

    field: str
    operator: Operator = "=="
    value: Any

    @field_validator("field")
    @classmethod
    def _parses(cls, field: str) -> str:
        field = field.removeprefix("status.")
        paths.parse(field)
        return field

    @model_validator(mode="after")
    def _value_fits_operator(self) -> Self:
        if self.operator in compare.ORDERING and quantity.parse(self.value) is None:
            raise ValueError(
                f"operator {self.operator} compares numbers or quantities, but value is {self.value!r}"
            )
        if self.operator == "in" and not isinstance(self.value, list):
            raise ValueError("operator in needs a list of values")
        return self

    @property
    def steps(self) -> tuple[paths.Step, ...]:
        return paths.parse(self.field)


class StatusSpec(Spec):
    target: Target
    checks: list[StatusCheck] = Field(min_length=1)


def _read(status: dict[str, Any], check: StatusCheck) -> tuple[bool, Any]:
    found, value = paths.lookup(status, check.steps)
    if found:
        return True, value
    # Kubernetes omits zero counters (readyReplicas, succeeded, ...) from status, so a
    # missing last field under an existing mapping reads as 0 when numbers are compared.
    numeric = check.operator in ("==", "!=", *compare.ORDERING) and compare.is_number(check.value)
    if numeric and paths.parent_exists(status, check.steps):
        return True, 0
    return False, None


@register("status", StatusSpec)
def check_status(spec: StatusSpec, view: View) -> Result:
    objects = resolve(spec.target, view)
    if not objects:
        return Result.fail(spec.target.nothing_matched(), matched=[])
    names = [name_of(obj) for obj in objects]
    for obj in objects:
        label = f"{spec.target.kind} {name_of(obj)}"
        status = obj.get("status") or {}
        for check in spec.checks:
            found, value = _read(status, check)
            expected = f"{check.operator} {compare.render(check.value)}"
            if not found:
                return Result.fail(
                    f"{label} does not report status.{check.field} yet (the check expects {expected}).",
                    matched=names,
                    failing=name_of(obj),
                    field=check.field,
                )
            if not compare.apply(check.operator, value, check.value):
                return Result.fail(
                    f"{label} has status.{check.field} = {compare.render(value)}; "
                    f"the check expects {expected}.",
                    matched=names,
                    failing=name_of(obj),
                    field=check.field,
                    actual=value,
                )
    summary = ", ".join(f"status.{c.field} {c.operator} {compare.render(c.value)}" for c in spec.checks)
    if len(objects) == 1:
        return Result.ok(f"{spec.target.kind} {names[0]} has {summary}.", matched=names)
    return Result.ok(f"All {len(objects)} {spec.target.describe()} have {summary}.", matched=names)
