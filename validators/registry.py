"""Objective types by name: each has a spec model (its schema) and a check function."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from validators.errors import SpecInvalid
from validators.result import Result
from validators.view import View

type CheckFn[SpecT: BaseModel] = Callable[[SpecT, View], Result]


@dataclass(frozen=True)
class _Entry:
    spec_model: type[BaseModel]
    check: Callable[[Any, View], Result]


_REGISTRY: dict[str, _Entry] = {}


def register[SpecT: BaseModel](
    name: str, spec_model: type[SpecT]
) -> Callable[[CheckFn[SpecT]], CheckFn[SpecT]]:
    """Register `check(spec, view) -> Result` as objective type `name` with `spec_model` as its schema."""

    def decorator(check: CheckFn[SpecT]) -> CheckFn[SpecT]:
        if name in _REGISTRY and _REGISTRY[name].check is not check:
            raise RuntimeError(f"objective type {name!r} is registered twice")
        _REGISTRY[name] = _Entry(spec_model=spec_model, check=check)
        return check

    return decorator


def _entries() -> dict[str, _Entry]:
    # The objective modules register themselves when the package loads (validators/__init__.py).
    return _REGISTRY


def types() -> list[str]:
    return sorted(_entries())


def _entry(type: str) -> _Entry:
    entries = _entries()
    if type not in entries:
        raise SpecInvalid(f"unknown objective type {type!r}; known types: {', '.join(sorted(entries))}")
    return entries[type]


def validate_spec(type: str, spec: Mapping[str, Any]) -> BaseModel:
    """Parse a spec from challenge.yaml; SpecInvalid names every offending field."""
    entry = _entry(type)
    if not isinstance(spec, Mapping):
        raise SpecInvalid(
            f"the spec of a {type!r} objective must be a mapping, not {spec.__class__.__name__}"
        )
    try:
        return entry.spec_model.model_validate(dict(spec))
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors(include_url=False))
        raise SpecInvalid(f"invalid {type!r} spec: {problems}") from None


def _describe(error: Any) -> str:
    location = ""
    for part in error.get("loc", ()):
        if isinstance(part, int):
            location += f"[{part}]"
        else:
            location += f".{part}" if location else str(part)
    message = str(error.get("msg", "is invalid"))
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return f"{location}: {message}" if location else message


def evaluate(type: str, spec: Mapping[str, Any] | BaseModel, view: View) -> Result:
    """Run one objective. Raises SpecInvalid, ObjectInvalid or ClusterUnavailable."""
    entry = _entry(type)
    model = spec if isinstance(spec, entry.spec_model) else validate_spec(type, spec)  # type: ignore[arg-type]
    return entry.check(model, view)
