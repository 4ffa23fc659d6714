"""Prices: converted, marked up, rounded up to the cent; operators' settings take effect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.services.lines.registry import default_markups
from bot.services.pricing import (
    Pricing,
    PricingError,
    is_expired,
    markup_key,
    quote_expiry,
    rate_key,
)
from storage.settings import SettingsStore
from storage.sqlite import SqliteDatabase


async def test_defaults_convert_mark_up_and_round_up(tmp_path: Path) -> None:
    async with SqliteDatabase(tmp_path / "p.sqlite3") as db:
        pricing = Pricing(SettingsStore(db), default_markups())
        price = await pricing.price("cloud", 10_000_000, "usd")
        assert (price.upstream_currency, price.rate, price.markup_percent) == (
            "USD",
            Decimal("1"),
            Decimal("5"),
        )
        assert price.charge == 10_500_000
        tiny = await pricing.price("cloud", 1, "USD")
        assert tiny.charge == 10_000  # a fraction of a cent is charged as a cent
        trx = await pricing.price("energy", 2_340_000, "TRX")  # 2.34 TRX at 0.25, +10 %
        assert trx.charge == 650_000  # 0.6435 → 0.65


async def test_operators_settings_take_effect(tmp_path: Path) -> None:
    async with SqliteDatabase(tmp_path / "p.sqlite3") as db:
        settings = SettingsStore(db)
        pricing = Pricing(settings, default_markups())
        await settings.set(markup_key("cloud"), "12.5", actor="admin:1")
        await settings.set(rate_key("CNY"), "0.14", actor="admin:1")
        price = await pricing.price("cloud", 100_000_000, "CNY")
        assert price.charge == 15_750_000  # 100 CNY × 0.14 × 1.125

        with pytest.raises(PricingError, match="no value for rate:JPY"):
            await pricing.price("cloud", 1, "JPY")
        await settings.set(markup_key("shop"), "lots", actor="admin:1")
        with pytest.raises(PricingError, match="not a number"):
            await pricing.price("shop", 1, "USD")
        await settings.set(markup_key("shop"), "-3", actor="admin:1")
        with pytest.raises(PricingError, match="non-negative"):
            await pricing.price("shop", 1, "USD")
        await settings.set(rate_key("CNY"), "0", actor="admin:1")
        with pytest.raises(PricingError, match="rate:CNY is 0"):
            await pricing.price("cloud", 100_000_000, "CNY")
        with pytest.raises(PricingError, match="would cost nothing"):
            await pricing.price("cloud", 0, "USD")


@pytest.mark.parametrize("markup", ["0", "0.01", "33.33", "100"])
async def test_the_charge_is_the_smallest_whole_cent_covering_cost_and_markup(
    tmp_path: Path, markup: str
) -> None:
    async with SqliteDatabase(tmp_path / "p.sqlite3") as db:
        settings = SettingsStore(db)
        await settings.set(markup_key("topup"), markup)
        pricing = Pricing(settings, default_markups())
        for cost in (1, 9_999, 10_000, 10_001, 123_456_789):
            exact = Decimal(cost) * (1 + Decimal(markup) / 100)
            charge = (await pricing.price("topup", cost, "USD")).charge
            assert charge % 10_000 == 0
            assert exact <= charge < exact + 10_000


def test_quotes_expire_after_five_minutes() -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    expiry = quote_expiry(now)
    assert not is_expired(expiry, now + timedelta(minutes=4, seconds=59))
    assert is_expired(expiry, now + timedelta(minutes=5))
    assert not is_expired(None, now)
