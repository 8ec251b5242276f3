"""Every field of a challenge's object checked against the API's schema, as server-side apply would.

The table (kubernetes-<version>.json beside this file, written by openapi_build from the pinned
API server) says, for each kind kinds.py allows, which fields exist and what each holds. The
check refuses what server-side apply refuses before it stores anything (with an HTTP 500 that
names the field): a field the schema does not declare, a string where a number belongs, a
fraction in an integer, a map where a list belongs; and a value outside a field's enum, which
validation would refuse next. A null is "no opinion", as in an apply patch.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from pathlib import Path
from typing import Any

from challenges.lint.problems import Loc

HERE = Path(__file__).resolve().parent
Node = Any  # a compact schema node: a word ("string", "any"...) or {"$ref"|"fields"|"map"|"list"|"enum": ...}
MAX_REPORTED = 20


class TableMissing(Exception):
    pass


@cache
def table() -> dict[str, Any]:
    found = sorted(HERE.glob("kubernetes-v*.json"))
    if len(found) != 1:
        raise TableMissing(f"expected one kubernetes-<version>.json in {HERE}, found {len(found)}")
    data: dict[str, Any] = json.loads(found[0].read_text())
    return data


def pinned() -> str:
    return str(table()["kubernetes"])


def namespaced(api_version: str, kind: str) -> bool | None:
    """Whether the API server serves `kind` namespaced; None when the table does not know it."""
    entry = table()["kinds"].get(f"{api_version} {kind}")
    return None if entry is None else bool(entry["namespaced"])


def check(document: dict[str, Any]) -> list[tuple[Loc, str]]:
    """(field path, problem) for each field of `document` the API server would refuse."""
    entry = table()["kinds"].get(f"{document.get('apiVersion')} {document.get('kind')}")
    if entry is None:
        return []  # kinds.py refuses the kind itself
    problems: list[tuple[Loc, str]] = []
    _walk(document, {"$ref": entry["schema"]}, (), problems)
    return problems[:MAX_REPORTED]


_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "int-or-string": "a whole number or text",
    "quantity": "a quantity (a number, or text such as 100m or 1Gi)",
    "object": "a mapping",
}


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


def _scalar_fits(word: str, value: Any) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    fits = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": number,
        "boolean": isinstance(value, bool),
        "int-or-string": isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)),
        "quantity": isinstance(value, str) or number,
        "object": isinstance(value, dict),
    }
    return fits.get(word, True)


def _walk(value: Any, node: Node, loc: Loc, problems: list[tuple[Loc, str]]) -> None:
    if value is None or len(problems) >= MAX_REPORTED:
        return
    if isinstance(node, str):
        if not _scalar_fits(node, value):
            hint = (
                " (quote it to make it text)"
                if node == "string" and not isinstance(value, list | dict)
                else ""
            )
            problems.append((loc, f"must be {_WORDS[node]}, not {_shown(value)}{hint}"))
        return
    if "$ref" in node:
        _walk(value, table()["types"][node["$ref"]], loc, problems)
    elif "enum" in node:
        if not isinstance(value, str):
            problems.append((loc, f"must be one of {', '.join(node['enum'])}, not {_shown(value)}"))
        elif value not in node["enum"]:
            problems.append((loc, f"must be one of {', '.join(node['enum'])}, not {value!r}"))
    elif "list" in node:
        if not isinstance(value, list):
            problems.append((loc, f"must be a list, not {_shown(value)}"))
            return
        for index, item in enumerate(value):
            _walk(item, node["list"], (*loc, index), problems)
    elif "map" in node:
        if not isinstance(value, dict):
            problems.append((loc, f"must be a mapping, not {_shown(value)}"))
            return
        for key, item in value.items():
            _walk(item, node["map"], (*loc, key), problems)
    elif "fields" in node:
        if not isinstance(value, dict):
            problems.append((loc, f"must be a mapping, not {_shown(value)}"))
            return
        fields: dict[str, Node] = node["fields"]
        for key, item in value.items():
            if key not in fields:
                problems.append(((*loc, key), _unknown(key, fields)))
                continue
            _walk(item, fields[key], (*loc, key), problems)


def _unknown(key: str, fields: dict[str, Node]) -> str:
    close = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.7)
    if close:
        hint = f": did you mean {close[0]}?"
    elif len(fields) <= 12:
        hint = f"; the fields here are {', '.join(sorted(fields))}"
    else:
        hint = "; `kubectl explain` lists the fields there are"
    return f"is not a field the API knows here{hint}"
