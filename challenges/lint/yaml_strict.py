"""YAML read the strict way: what a challenge file holds is what the cluster gets, nothing more.

PyYAML's safe loader still lets a later duplicate key replace an earlier one without a word,
expands aliases (a kilobyte of `&a [*b, *b, ...]` becomes megabytes), recurses once per level of
nesting (a file of ten thousand `[` ends in a RecursionError), and turns unquoted dates and
`!!binary` into values JSON cannot hold. Here every one of those is a problem naming the file
and the line, found in a first pass over the parser's events, before anything is built.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from challenges.lint.problems import ContentProblem, Loc, at, field_name

# A challenge file of Kubernetes objects is a few kilobytes; these leave room and stop abuse.
MAX_FILE_BYTES = 256 * 1024
MAX_DEPTH = 40
MERGE_TAG = "tag:yaml.org,2002:merge"
STR_TAG = "tag:yaml.org,2002:str"


@dataclass
class Parsed:
    """The documents of one file (None ones dropped), each with its YAML node, for line numbers."""

    documents: list[Any]
    nodes: list[yaml.Node]
    text: str


def too_large(path: Path, size: int) -> ContentProblem:
    return ContentProblem(
        path,
        f"is {size:,} bytes; a challenge file may hold at most {MAX_FILE_BYTES:,}: keep manifests to "
        "what the scenario needs (large data does not belong in a challenge)",
    )


def decode(path: Path, data: bytes) -> tuple[str | None, ContentProblem | None]:
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return None, ContentProblem(
            path,
            f"is not UTF-8 text (byte {error.start} is {data[error.start]:#04x}): save the file as UTF-8",
            line=line,
        )


def read(path: Path, *, many: bool) -> tuple[Parsed | None, list[ContentProblem]]:
    """The file's documents, or the problems that keep it from being read."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return None, [too_large(path, size)]
    text, problem = decode(path, path.read_bytes())
    if problem or text is None:
        return None, [problem] if problem else []
    problems = _scan_events(path, text)
    if problems:
        return None, problems
    try:
        nodes = [node for node in yaml.compose_all(text, Loader=yaml.SafeLoader) if node is not None]
    except yaml.YAMLError as error:
        return None, [_yaml_problem(path, error)]
    for node in nodes:
        problems += _check_keys(path, node, ())
    if problems:
        return None, problems
    documents = []
    for node in nodes:
        loader = yaml.SafeLoader("")
        try:
            document = loader.construct_document(node)
        except yaml.YAMLError as error:
            return None, [_yaml_problem(path, error)]
        finally:
            loader.dispose()
        problems += _check_values(path, node, document, ())
        documents.append(document)
    if problems:
        return None, problems
    if not many and len(documents) != 1:
        return None, [ContentProblem(path, "must hold exactly one YAML document")]
    return Parsed(documents=documents, nodes=nodes, text=text), []


def _yaml_problem(path: Path, error: yaml.YAMLError) -> ContentProblem:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    return ContentProblem(path, f"invalid YAML: {problem}", line=mark.line + 1 if mark else None)


def _scan_events(path: Path, text: str) -> list[ContentProblem]:
    """Anchors, aliases and nesting depth, from the event stream (which never recurses)."""
    problems: list[ContentProblem] = []
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            line = event.start_mark.line + 1 if event.start_mark else None
            if isinstance(event, yaml.AliasEvent):
                problems.append(
                    ContentProblem(
                        path,
                        f"YAML aliases (*{event.anchor}) are not allowed: write the value out in full",
                        line=line,
                    )
                )
            elif isinstance(event, yaml.NodeEvent) and event.anchor:
                problems.append(
                    ContentProblem(
                        path,
                        f"YAML anchors (&{event.anchor}) are not allowed: write each value out in full",
                        line=line,
                    )
                )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    problems.append(ContentProblem(path, f"nests deeper than {MAX_DEPTH} levels", line=line))
                    return problems
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            if len(problems) >= 10:
                break
    except yaml.YAMLError as error:
        return [*problems, _yaml_problem(path, error)]
    return problems


def _check_keys(path: Path, node: yaml.Node, loc: Loc) -> list[ContentProblem]:
    """Every mapping key a plain string, said once; no merge keys (`<<`)."""
    problems: list[ContentProblem] = []
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems += _check_keys(path, item, (*loc, index))
    elif isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            line = key.start_mark.line + 1
            if key.tag == MERGE_TAG:
                problems.append(
                    ContentProblem(path, "merge keys (<<) are not allowed: write the keys out", line=line)
                )
                continue
            if not isinstance(key, yaml.ScalarNode) or key.tag != STR_TAG:
                shown, read_as = getattr(key, "value", "?"), key.tag.rsplit(":", 1)[-1]
                problems.append(
                    ContentProblem(
                        path,
                        f"the key {shown!r} is not a string (YAML reads it as a {read_as}): quote it",
                        line=line,
                        field=field_name(loc) or None,
                    )
                )
                continue
            name = str(key.value)
            if name in seen:
                problems.append(
                    ContentProblem(
                        path,
                        f"the key {name!r} is given twice (first on line {seen[name]}): YAML would keep "
                        "only the last one; remove one of them",
                        line=line,
                        field=field_name((*loc, name)),
                    )
                )
                continue
            seen[name] = line
            problems += _check_keys(path, value, (*loc, name))
    return problems


def _check_values(path: Path, node: yaml.Node, value: Any, loc: Loc) -> list[ContentProblem]:
    """Only what JSON (and so the API) can hold: strings, numbers, booleans, null, lists, maps."""
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _check_values(path, node, item, (*loc, key))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _check_values(path, node, item, (*loc, index))]
    if isinstance(value, bool | int | str) or value is None:
        return []
    if isinstance(value, float):
        if math.isfinite(value):
            return []
        return [at(path, node, loc, "a value that is not a finite number (.nan or .inf): write a number")]
    if isinstance(value, datetime.date):
        return [at(path, node, loc, f"{value} is read as a date, not text: put it in quotes")]
    if isinstance(value, bytes):
        return [at(path, node, loc, "!!binary values are not allowed: use base64 text (a Secret's data)")]
    return [at(path, node, loc, f"a {type(value).__name__} value is not allowed: write plain YAML")]
