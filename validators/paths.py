"""Field paths into API objects: `spec.type`, `containers[0].image`, `conditions[type=Ready].status`.

Grammar: segments separated by dots; a segment is a field name followed by any number
of brackets. `[2]` indexes a list, `[name=app]` picks the first list element whose
field `name` is `app`, and `["app.kubernetes.io/name"]` names a field that itself
contains dots.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Key:
    name: str


@dataclass(frozen=True)
class Index:
    index: int


@dataclass(frozen=True)
class Where:
    field: str
    value: str


Step = Key | Index | Where


def parse(path: str) -> tuple[Step, ...]:
    """Parse a path; raises ValueError saying what is wrong and where."""
    if not path or not path.strip():
        raise ValueError("the path is empty")
    steps: list[Step] = []
    i, n = 0, len(path)
    expect_segment = True
    while i < n:
        char = path[i]
        if char == ".":
            if expect_segment:
                raise ValueError(f"empty field name at position {i} in {path!r}")
            expect_segment = True
            i += 1
            continue
        if char == "[":
            end = path.find("]", i)
            if end == -1:
                raise ValueError(f"unclosed '[' at position {i} in {path!r}")
            steps.append(_bracket(path[i + 1 : end], path))
            i = end + 1
            expect_segment = False
            continue
        if char == "]":
            raise ValueError(f"unexpected ']' at position {i} in {path!r}")
        if not expect_segment:
            raise ValueError(f"expected '.' or '[' at position {i} in {path!r}")
        end = i
        while end < n and path[end] not in ".[]":
            end += 1
        steps.append(Key(path[i:end]))
        i = end
        expect_segment = False
    if expect_segment:
        raise ValueError(f"{path!r} ends with '.'")
    return tuple(steps)


def _bracket(inner: str, path: str) -> Step:
    inner = inner.strip()
    if not inner:
        raise ValueError(f"empty [] in {path!r}")
    if _is_quoted(inner):
        return Key(inner[1:-1])
    if inner.lstrip("-").isdigit():
        return Index(int(inner))
    if "=" in inner:
        field, _, value = inner.partition("=")
        field, value = field.strip(), value.strip()
        if not field:
            raise ValueError(f"[{inner}] in {path!r} has no field name before '='")
        return Where(field, value[1:-1] if _is_quoted(value) else value)
    raise ValueError(f"[{inner}] in {path!r} is neither an index, a quoted field nor field=value")


def _is_quoted(text: str) -> bool:
    return len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'"


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def lookup(obj: Any, steps: tuple[Step, ...]) -> tuple[bool, Any]:
    """Follow the steps; returns (found, value). A missing field, index or match is not found."""
    current = obj
    for step in steps:
        if isinstance(step, Key):
            if not isinstance(current, dict) or step.name not in current:
                return False, None
            current = current[step.name]
        elif isinstance(step, Index):
            if not isinstance(current, list) or not -len(current) <= step.index < len(current):
                return False, None
            current = current[step.index]
        else:
            if not isinstance(current, list):
                return False, None
            for element in current:
                if (
                    isinstance(element, dict)
                    and step.field in element
                    and _as_text(element[step.field]) == step.value
                ):
                    current = element
                    break
            else:
                return False, None
    return True, current


def parent_exists(obj: Any, steps: tuple[Step, ...]) -> bool:
    """True when everything but the last step resolves to a mapping, i.e. only the last field is absent."""
    if not steps or not isinstance(steps[-1], Key):
        return False
    found, parent = lookup(obj, steps[:-1])
    return found and isinstance(parent, dict)
