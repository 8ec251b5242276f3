"""Comparing values read from API objects with values written in challenge.yaml."""

from __future__ import annotations

import json
from typing import Any

from validators import quantity


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def equal(actual: Any, expected: Any) -> bool:
    """Deep equality; 2 equals 2.0 but True never equals 1."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    if is_number(actual) and is_number(expected):
        return bool(actual == expected)
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(equal(actual[k], expected[k]) for k in actual)
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(
            equal(a, e) for a, e in zip(actual, expected, strict=True)
        )
    return type(actual) is type(expected) and bool(actual == expected)


def subset(actual: Any, expected: Any) -> bool:
    """`expected` is found in `actual`: mappings by the keys listed (recursively), the rest by equality."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and subset(actual[k], v) for k, v in expected.items()
        )
    return equal(actual, expected)


def contains(actual: Any, expected: Any) -> bool:
    """A string contains a substring, a list an element (mappings match on the keys given), a mapping
    a sub-mapping."""
    if isinstance(actual, str):
        return isinstance(expected, str) and expected in actual
    if isinstance(actual, list):
        return any(subset(element, expected) for element in actual)
    if isinstance(actual, dict):
        return subset(actual, expected)
    return False


def render(value: Any) -> str:
    """A value as a learner reads it in a message: short, JSON-like, strings unquoted."""
    if isinstance(value, str):
        return value or '""'
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


ORDERING = ("<", "<=", ">", ">=")
OPERATORS = ("==", "!=", *ORDERING, "in", "contains")


def apply(operator: str, actual: Any, expected: Any) -> bool:
    """`actual <operator> expected`; ordering needs two numbers, or an expected quantity string and an
    actual quantity, and is False otherwise."""
    if operator == "==":
        return equal(actual, expected)
    if operator == "!=":
        return not equal(actual, expected)
    if operator == "in":
        return isinstance(expected, list) and any(equal(actual, option) for option in expected)
    if operator == "contains":
        return contains(actual, expected)
    if operator in ORDERING:
        if not (is_number(actual) and is_number(expected)):
            # An expected value written as a quantity ("2Gi", "5") orders quantities: used
            # "1536Mi" <= "2Gi". A plain number never matches a string: "3" > 2 stays False.
            if not isinstance(expected, str):
                return False
            actual, expected = quantity.parse(actual), quantity.parse(expected)
            if actual is None or expected is None:
                return False
        if operator == "<":
            return bool(actual < expected)
        if operator == "<=":
            return bool(actual <= expected)
        if operator == ">":
            return bool(actual > expected)
        return bool(actual >= expected)
    raise ValueError(f"unknown operator {operator!r}")
