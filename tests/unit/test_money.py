"""Parsing what customers type as money, rounding charges, and showing amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.services.money import (
    AmountError,
    AmountProblem,
    format_amount,
    format_money,
    format_rate,
    format_signed_money,
    parse_amount,
    round_up_to_cent,
    to_micro,
)


@pytest.mark.parametrize(
    ("text", "micro"),
    [
        ("12", 12_000_000),
        ("12.5", 12_500_000),
        ("0.99", 990_000),
        ("1,5", 1_500_000),
        ("00.10", 100_000),
        (" 7 ", 7_000_000),
        ("100.00", 100_000_000),
    ],
)
def test_plain_amounts_are_read_exactly(text: str, micro: int) -> None:
    assert parse_amount(text) == micro


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("0", AmountProblem.NOT_POSITIVE),
        ("0.00", AmountProblem.NOT_POSITIVE),
        ("-5", AmountProblem.NOT_POSITIVE),
        ("0.001", AmountProblem.TOO_MANY_DECIMALS),
        ("1e3", AmountProblem.NOT_A_NUMBER),
        ("NaN", AmountProblem.NOT_A_NUMBER),
        ("Infinity", AmountProblem.NOT_A_NUMBER),
        ("１００", AmountProblem.NOT_A_NUMBER),
        ("١٠٠", AmountProblem.NOT_A_NUMBER),
        ("9" * 10_000, AmountProblem.TOO_LONG),
        ("", AmountProblem.EMPTY),
        ("   ", AmountProblem.EMPTY),
        ("<b>1</b>", AmountProblem.NOT_A_NUMBER),
        ("1.2.3", AmountProblem.NOT_A_NUMBER),
        ("+5", AmountProblem.NOT_A_NUMBER),
        ("1 000", AmountProblem.NOT_A_NUMBER),
        ("1,000.50", AmountProblem.NOT_A_NUMBER),
        ("0x10", AmountProblem.NOT_A_NUMBER),
    ],
)
def test_anything_else_is_refused_with_the_reason(text: str, problem: AmountProblem) -> None:
    with pytest.raises(AmountError) as refused:
        parse_amount(text)
    assert refused.value.problem == problem


def test_minimum_maximum_and_places() -> None:
    assert parse_amount("1", minimum=1_000_000) == 1_000_000
    with pytest.raises(AmountError) as low:
        parse_amount("0.99", minimum=1_000_000)
    assert low.value.problem == AmountProblem.BELOW_MINIMUM
    with pytest.raises(AmountError) as high:
        parse_amount("10000.01", maximum=10_000_000_000)
    assert high.value.problem == AmountProblem.ABOVE_MAXIMUM
    assert parse_amount("0.123456", places=6) == 123_456


def test_to_micro_is_exact_or_refuses() -> None:
    assert to_micro("100.00") == 100_000_000
    assert to_micro(Decimal("0.000001")) == 1
    assert to_micro(3) == 3_000_000
    with pytest.raises(ValueError, match="more than six decimals"):
        to_micro("0.0000001")
    with pytest.raises(ValueError, match="not a finite amount"):
        to_micro("NaN")


@given(st.integers(min_value=0, max_value=10**15))
def test_a_charge_is_never_rounded_down(micro: int) -> None:
    rounded = round_up_to_cent(micro)
    assert rounded >= micro
    assert rounded - micro < 10_000
    assert rounded % 10_000 == 0


def test_display() -> None:
    assert format_amount(12_345_678) == "12.35"
    assert format_amount(1_234_567_890_000) == "1,234,567.89"
    assert format_money(0, "USDT") == "0.00 USDT"
    assert format_signed_money(5_000_000, "USDT") == "+5.00 USDT"
    assert format_signed_money(-5_000_000, "USDT") == "−5.00 USDT"


@pytest.mark.parametrize(
    ("rate", "shown"), [("0.9", "0.90"), ("1", "1.00"), ("1.00", "1.00"), ("0.9765", "0.9765")]
)
def test_rates_show_at_least_two_decimals_and_every_digit(rate: str, shown: str) -> None:
    assert format_rate(Decimal(rate)) == shown
