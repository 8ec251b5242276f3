"""`spec`: fields anywhere in the matched objects, from the object root: exists, equals, contains."""

from __future__ import annotations

from typing import Any, Self

from pydantic import Field, field_validator, model_validator

from validators import compare, paths, quantity
from validators.registry import register
from validators.result import Result
from validators.spec import Spec
from validators.target import Target, name_of, resolve
from validators.view import View


class SpecCheck(Spec):
    """`path` from the object root, and what it must be: `exists` true|false, `equals` a value,
    `contains` a substring, list element or sub-mapping, `atLeast` / `atMost` a number or a
    quantity (`256Mi`, `500m`: compared as quantities, so 0.25Gi is at least 256Mi); `reveal:
    false` keeps the expected value out of the message."""

    path: str
    exists: bool | None = None
    equals: Any = None
    contains: Any = None
    at_least: int | float | str | None = None
    at_most: int | float | str | None = None
    # False keeps the expected value out of the message, where saying it would give the fix away.
    reveal: bool = True

    @field_validator("path")
    @classmethod
    def _parses(cls, path: str) -> str:
        paths.parse(path)
        return path

    @model_validator(mode="after")
    def _says_what_to_check(self) -> Self:
        # `equals: null` is a real expectation, so presence is read from the fields set.
        given = self.model_fields_set & {"exists", "equals", "contains", "at_least", "at_most"}
        if not given:
            raise ValueError(f"check on {self.path!r} needs exists, equals, contains, atLeast or atMost")
        for bound in (self.at_least, self.at_most):
            if bound is not None and quantity.parse(bound) is None:
                raise ValueError(f"check on {self.path!r}: {bound!r} is neither a number nor a quantity")
        if self.exists is False and given != {"exists"}:
            raise ValueError(f"check on {self.path!r} cannot require a value of a field that must not exist")
        return self

    @property
    def steps(self) -> tuple[paths.Step, ...]:
        return paths.parse(self.path)


class SpecSpec(Spec):
    target: Target
    checks: list[SpecCheck] = Field(min_length=1)


def _failure(label: str, check: SpecCheck, obj: dict[str, Any]) -> str | None:
    found, value = paths.lookup(obj, check.steps)
    if check.exists is False:
        return f"{label} still sets {check.path} (to {compare.render(value)})." if found else None
    if not found:
        return f"{label} has no {check.path}."
    shown = compare.render(value)
    if "equals" in check.model_fields_set and not compare.equal(value, check.equals):
        if not check.reveal:
            return f"{label} has {check.path} = {shown}, which is not what the check expects."
        return f"{label} has {check.path} = {shown}; expected {compare.render(check.equals)}."
    if "contains" in check.model_fields_set and not compare.contains(value, check.contains):
        if not check.reveal:
            return f"{label} has {check.path} = {shown}, which lacks what the check expects."
        return f"{label} has {check.path} = {shown}, which does not contain {compare.render(check.contains)}."
    for bound, word, outside in ((check.at_least, "at least", "below"), (check.at_most, "at most", "above")):
        if bound is None:
            continue
        amount, limit = quantity.parse(value), quantity.parse(bound)
        assert limit is not None
        if amount is None:
            return f"{label} has {check.path} = {shown}, which is not a number or a quantity."
        if (amount < limit) if word == "at least" else (amount > limit):
            if not check.reveal:
                return f"{label} has {check.path} = {shown}, which is {outside} what the check expects."
            return f"{label} has {check.path} = {shown}; expected {word} {compare.render(bound)}."
    return None


def _summary(check: SpecCheck) -> str:
    if check.exists is False:
        return f"no {check.path}"
    if "equals" in check.model_fields_set:
        return f"{check.path} = {compare.render(check.equals)}"
    if "contains" in check.model_fields_set:
        return f"{check.path} containing {compare.render(check.contains)}"
    bounds = [
        f"{word} {compare.render(bound)}"
        for bound, word in ((check.at_least, "at least"), (check.at_most, "at most"))
        if bound is not None
    ]
    if bounds:
        return f"{check.path} {' and '.join(bounds)}"
    return f"{check.path} set"


@register("spec", SpecSpec)
def check_spec(spec: SpecSpec, view: View) -> Result:
    objects = resolve(spec.target, view)
    if not objects:
        return Result.fail(spec.target.nothing_matched(), matched=[])
    names = [name_of(obj) for obj in objects]
    for obj in objects:
        label = f"{spec.target.kind} {name_of(obj)}"
        for check in spec.checks:
            reason = _failure(label, check, obj)
            if reason:
                return Result.fail(reason, matched=names, failing=name_of(obj), path=check.path)
    summary = ", ".join(_summary(check) for check in spec.checks)
    if len(objects) == 1:
        return Result.ok(f"{spec.target.kind} {names[0]} has {summary}.", matched=names)
    return Result.ok(f"All {len(objects)} {spec.target.describe()} have {summary}.", matched=names)
