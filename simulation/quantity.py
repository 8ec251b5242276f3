"""Kubernetes resource quantities ("300Mi", "1.5Gi", "500m") as numbers."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_SUFFIXES: dict[str, int | Decimal] = {
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
}
_QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")


def parse(value: str | int | float) -> Decimal:
    """The quantity's value in base units (bytes, cores); ValueError when it is not a quantity."""
    if isinstance(value, int | float):
        return Decimal(str(value))
    match = _QUANTITY.match(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not a Kubernetes quantity (like 128Mi or 500m)")
    number, suffix = match.groups()
    try:
        return Decimal(number) * Decimal(_SUFFIXES[suffix or ""])
    except InvalidOperation as error:
        raise ValueError(f"{value!r} is not a Kubernetes quantity (like 128Mi or 500m)") from error
