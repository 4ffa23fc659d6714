"""The accounts line's pure parts: bounds of a quantity, quick choices, and how prices read."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from bot.services.lines.accounts import MAX_QUANTITY, Offer, estimate, quantity_presets, shop_amount
from providers.accounts_shop import ShopServiceDetail
from storage.conversations import encode_data


def offer(*, stock: int, min_value: int = 0, max_value: int = 0) -> Offer:
    detail = ShopServiceDetail(
        id=1,
        name="Clone US",
        price=300,
        status=1,
        total_available=stock,
        typeofaccount="facebook",
        set_min=int(min_value > 0),
        min_value=min_value,
        set_max=int(max_value > 0),
        max_value=max_value,
    )
    return Offer.opened(detail)


@pytest.mark.parametrize(
    ("stock", "min_value", "max_value", "bounds", "presets"),
    [
        (850, 0, 0, (1, 850), [1, 5, 10, 20]),
        (40, 2, 20, (2, 20), [2, 5, 10, 20]),
        (7, 2, 20, (2, 7), [2, 5]),
        (1, 2, 20, (2, 1), []),  # fewer than the minimum: not buyable
        (0, 0, 0, (1, 0), []),
        (50_000, 0, 0, (1, MAX_QUANTITY), [1, 5, 10, 20]),
    ],
)
def test_the_quantity_is_bounded_by_the_limits_the_stock_and_the_shop(
    stock: int, min_value: int, max_value: int, bounds: tuple[int, int], presets: list[int]
) -> None:
    found = offer(stock=stock, min_value=min_value, max_value=max_value)
    assert (found.minimum, found.maximum) == bounds
    assert found.buyable == bool(presets)
    assert quantity_presets(found) == presets


def test_an_offer_survives_the_conversation_storage() -> None:
    found = offer(stock=40, min_value=2, max_value=20)
    assert Offer.read(json.loads(encode_data({"offer": found.dump()}))["offer"]) == found
    assert found.unit_price == 300_000_000  # micro-units of the shop's currency


@pytest.mark.parametrize(
    ("micro", "shown"),
    [(300_000_000, "300"), (12_000_000_000, "12,000"), (500_000, "0.5"), (1_250_000, "1.25")],
)
def test_shop_prices_read_as_the_shop_writes_them(micro: int, shown: str) -> None:
    assert shop_amount(micro) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [("0.01287", "0.0129"), ("0.5148", "0.5148"), ("1.2301", "1.24"), ("12.5", "12.50")],
)
def test_an_estimate_is_rounded_up(value: str, shown: str) -> None:
    assert estimate(Decimal(value)) == shown
