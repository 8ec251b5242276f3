"""A problem with challenge content: which file, which line, which field, and what to do."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class ContentProblem:
    file: Path
    message: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        what = f"{self.field}: " if self.field else ""
        return f"{where}: {what}{self.message}"


class ContentError(Exception):
    """One or more challenge folders are invalid; nothing was loaded."""

    def __init__(self, problems: list[ContentProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def field_name(loc: Iterable[str | int]) -> str:
    """`spec.template.spec.containers[0].image` for ("spec", "template", ..., 0, "image")."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def line_of(node: yaml.Node | None, path: Iterable[str | int]) -> int | None:
    """The 1-based line of the YAML node at `path` (or of its deepest existing parent)."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in path:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line


def at(file: Path, node: yaml.Node | None, loc: Loc, message: str) -> ContentProblem:
    """A problem at the field `loc` of the document whose YAML node is `node`."""
    return ContentProblem(file, message, line=line_of(node, loc), field=field_name(loc) or None)
