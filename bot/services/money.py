"""Money as integer micro-units: parsing what customers type, rounding charges, and display.

1 unit of any currency = 1,000,000 micro-units. Floats never touch money.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

# The unit and the exact conversion of a decimal amount, shared with the provider clients.
from providers.amounts import MICRO as MICRO
from providers.amounts import to_micro as to_micro

STORE_CURRENCY = "USDT"  # what the customers' balances are kept in
CENT = MICRO // 100
MAX_INPUT_LENGTH = 24

# ASCII digits only: Decimal() would accept "١٠٠" or "１００", never meant as a price.
_PLAIN_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")


class AmountProblem(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    NOT_A_NUMBER = "not_a_number"
    NOT_POSITIVE = "not_positive"
    TOO_MANY_DECIMALS = "too_many_decimals"
    BELOW_MINIMUM = "below_minimum"
    ABOVE_MAXIMUM = "above_maximum"


@dataclass(frozen=True)
class AmountError(ValueError):
    problem: AmountProblem

    def __str__(self) -> str:
        return self.problem.value

    @property
    def words(self) -> str:
        """What was wrong, for the operators: "not a number", "too many decimals"."""
        return self.problem.value.replace("_", " ")


def parse_amount(
    text: str,
    *,
    places: int = 2,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    """A customer's typed amount as micro-units. Raises AmountError saying what was wrong.

    Accepts a plain positive decimal with at most `places` decimals ("12", "12.5", "0.99");
    a comma as the decimal mark is accepted too. Refuses signs, exponents, NaN, separators,
    non-ASCII digits and anything longer than MAX_INPUT_LENGTH characters.
    """
    cleaned = text.strip()
    if not cleaned:
        raise AmountError(AmountProblem.EMPTY)
    if len(cleaned) > MAX_INPUT_LENGTH:
        raise AmountError(AmountProblem.TOO_LONG)
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    if cleaned.startswith("-") and _PLAIN_DECIMAL.fullmatch(cleaned[1:]):
        raise AmountError(AmountProblem.NOT_POSITIVE)
    if not _PLAIN_DECIMAL.fullmatch(cleaned):
        raise AmountError(AmountProblem.NOT_A_NUMBER)
    try:
        value = Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern already excludes this
        raise AmountError(AmountProblem.NOT_A_NUMBER) from None
    if value <= 0:
        raise AmountError(AmountProblem.NOT_POSITIVE)
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > places:
        raise AmountError(AmountProblem.TOO_MANY_DECIMALS)
    micro = int(value * MICRO)
    if minimum is not None and micro < minimum:
        raise AmountError(AmountProblem.BELOW_MINIMUM)
    if maximum is not None and micro > maximum:
        raise AmountError(AmountProblem.ABOVE_MAXIMUM)
    return micro


_PERCENT = re.compile(r"[0-9]{1,4}(\.[0-9]{1,2})?")


def parse_percent(text: str, *, maximum: Decimal) -> Decimal | None:
    """An operator's percent (ASCII digits, at most 2 decimals) from 0 to `maximum`; None if the
    text is anything else."""
    if not _PERCENT.fullmatch(text) or Decimal(text) > maximum:
        return None
    return Decimal(text)


def round_up_to_cent(micro: int) -> int:
    """Charges are rounded up to whole cents: the shop never undercharges by a fraction."""
    return -(-micro // CENT) * CENT


def format_amount(micro: int, *, places: int = 2) -> str:
    """`12345678` → `"12.35"` (half-up at the shown places; display only, never for charging)."""
    quantum = Decimal(1).scaleb(-places)
    value = (Decimal(micro) / MICRO).quantize(quantum, rounding="ROUND_HALF_UP")
    return f"{value:,.{places}f}"


def format_money(micro: int, currency: str, *, places: int = 2) -> str:
    return f"{format_amount(micro, places=places)} {currency}"


def exact_money(micro: int, currency: str) -> str:
    """Every digit of a credited amount, and at least two decimals: 3.25, 1.333333."""
    whole, _, fraction = format_amount(micro, places=6).partition(".")
    return f"{whole}.{fraction.rstrip('0').ljust(2, '0')} {currency}"


def format_signed_money(micro: int, currency: str, *, places: int = 2) -> str:
    sign = "+" if micro > 0 else "−" if micro < 0 else ""
    return f"{sign}{format_amount(abs(micro), places=places)} {currency}"


def format_rate(rate: Decimal) -> str:
    """An exchange rate with at least two decimals and every digit it has: 0.9 → 0.90."""
    exponent = rate.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        rate = rate.quantize(Decimal("0.01"))
    return f"{rate:f}"
