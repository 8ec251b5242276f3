from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from validators import quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("128Mi", Decimal(128 * 2**20)),
        ("0.25Gi", Decimal(2**28)),
        ("500m", Decimal("0.5")),
        ("2", Decimal(2)),
        ("1.5G", Decimal("1.5e9")),
        ("2e3", Decimal(2000)),
        ("100k", Decimal(100000)),
        (3, Decimal(3)),
        (0.5, Decimal("0.5")),
    ],
)
def test_it_reads_quantities(text: Any, value: Decimal) -> None:
    assert quantity.parse(text) == value


@pytest.mark.parametrize("text", ["lots", "12 Mi", "Mi", "1MB", True, None, [1]])
def test_it_refuses_what_is_not_a_quantity(text: Any) -> None:
    assert quantity.parse(text) is None
