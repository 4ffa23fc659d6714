"""What an operator's `/promo new` makes, and what a code takes off a price."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.services.promos import PromoTermsError, discount_on, normal_code, parse_terms
from storage.promos import PromoCode, PromoKind

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
LINES = ["cloud", "energy", "topup"]


def terms(text: str) -> PromoCode:
    return parse_terms(text, lines=LINES, by="admin:1", now=NOW)


def test_a_percent_code_with_every_term() -> None:
    promo = terms("spring25 12.5% uses=100 per=2 until=2026-12-31 min=5 lines=cloud,energy first")
    assert promo.code == "SPRING25" and promo.kind == PromoKind.PERCENT
    assert promo.percent == Decimal("12.5") and promo.amount is None
    assert (promo.max_uses, promo.per_customer, promo.min_order) == (100, 2, 5_000_000)
    assert promo.lines == ("cloud", "energy") and promo.first_purchase
    assert promo.expires_at == "2027-01-01T00:00:00.000000Z"  # through the last day, UTC


def test_a_fixed_sum_and_a_gift() -> None:
    fixed = terms("OFF2 2.50 days=7")
    assert (fixed.kind, fixed.amount, fixed.max_uses, fixed.per_customer) == (
        PromoKind.FIXED,
        2_500_000,
        None,
        1,
    )
    assert fixed.expires_at == "2026-12-10T12:00:00.000000Z"
    gift = terms("WELCOME gift 5 uses=50")
    assert (gift.kind, gift.amount, gift.max_uses) == (PromoKind.GIFT, 5_000_000, 50)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "say the code and what it gives"),
        ("AB 5%", "a code is 3 to 32 letters"),
        ("CÓDIGO 5%", "a code is 3 to 32 letters"),
        ("CODE 0%", "more than 0 and less than 100"),
        ("CODE 100%", "more than 0 and less than 100"),
        ("CODE 5.555%", "not a percent"),
        ("CODE ٥%", "not a percent"),
        ("CODE -2", "the sum off must be"),
        ("CODE 2.505", "the sum off must be"),
        ("CODE 20000", "the sum off must be"),
        ("CODE gift", "say how much the gift is"),
        ("CODE 5% uses=0", "uses must be a whole number"),
        ("CODE 5% per=x", "per must be a whole number"),
        ("CODE 5% until=2026-12-02", "until is in the past"),
        ("CODE 5% until=tomorrow", "until must be a date"),
        ("CODE 5% lines=moon", "lines must be some of cloud, energy, topup; not moon"),
        ("CODE gift 5 first", "unknown term 'first'"),
        ("CODE gift 5 min=3", "unknown term 'min=3'"),
        ("CODE 5% first=yes", "unknown term"),
    ],
)
def test_terms_that_cannot_be_a_code_say_what_to_fix(text: str, problem: str) -> None:
    with pytest.raises(PromoTermsError) as refused:
        terms(text)
    assert problem in str(refused.value)


def test_a_discount_is_whole_cents_rounded_down_and_leaves_a_cent_to_pay() -> None:
    assert discount_on(terms("TEN 10%"), 10_500_000) == 1_050_000
    assert discount_on(terms("THIRD 33.33%"), 1_000_000) == 330_000  # 0.3333 → 0.33
    assert discount_on(terms("TINY 1%"), 990_000) == 0  # under a cent: nothing
    assert discount_on(terms("BIG 50"), 10_500_000) == 10_490_000  # a cent still to pay
    assert discount_on(terms("TWO 2"), 10_500_000) == 2_000_000


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        (" welcome5 ", "WELCOME5"),
        ("Spring-25_x", "SPRING-25_X"),
        ("ab", None),
        ("A" * 33, None),
        ("１２３４", None),
        ("<b>x</b>", None),
        ("DROP TABLE", None),
    ],
)
def test_a_typed_code_is_read_in_any_case_and_nothing_else_is_one(
    typed: str, code: str | None
) -> None:
    assert normal_code(typed) == code
