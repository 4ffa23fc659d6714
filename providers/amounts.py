"""Upstream amounts (numbers or strings, in the upstream's currency) as integer micro-units.

The conversion lives at the edge, so nothing past a provider client sees a float or a string amount.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator

MICRO = 1_000_000


def to_micro(value: Decimal | int | str) -> int:
    """An exact decimal amount as micro-units. Raises ValueError rather than lose a fraction."""
    try:
        decimal = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not decimal.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    micro = decimal * MICRO
    if micro != micro.to_integral_value():
        raise ValueError(f"{value!r} has more than six decimals")
    return int(micro)


def from_micro(micro: int) -> str:
    """Micro-units as the shortest exact decimal text: 1_500_000 → "1.5", 1_000 → "0.001"."""
    text = format(Decimal(micro) / MICRO, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _micro_field(value: Any) -> int:
    if isinstance(value, bool) or value is None:
        raise ValueError("an amount is required")
    if isinstance(value, float):  # never produced by our JSON parsing; refuse to guess
        raise ValueError("amounts must not arrive as binary floats")
    return to_micro(value)


Micro = Annotated[int, BeforeValidator(_micro_field)]
"""A pydantic field: a number or a string from the upstream, stored as micro-units."""
