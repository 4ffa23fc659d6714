"""What a customer pays: the upstream's cost, converted at the shop's rate, plus the product line's
markup, rounded up to the cent. Rates and markups live in settings, so operators can change them
(effective for new quotes); until they do, the defaults below apply.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from bot.services.money import round_up_to_cent
from storage.settings import SettingsStore

QUOTE_LIFETIME = timedelta(minutes=5)

# Store currency (USDT) per one unit of an upstream's currency.
DEFAULT_RATES: dict[str, Decimal] = {
    "USD": Decimal("1"),
    "USDT": Decimal("1"),
    "TRX": Decimal("0.25"),
    "VND": Decimal("0.000039"),
}


class PricingError(Exception):
    """No rate for a currency, or a setting that is not a number: nothing can be quoted."""


@dataclass(frozen=True)
class Price:
    upstream_cost: int  # micro-units of upstream_currency
    upstream_currency: str
    rate: Decimal
    markup_percent: Decimal
    charge: int  # micro-units of the store currency, a whole number of cents


def rate_key(currency: str) -> str:
    return f"rate:{currency.upper()}"


def markup_key(line: str) -> str:
    return f"markup:{line}"


def quote_expiry(now: datetime | None = None) -> str:
    moment = (now or datetime.now(UTC)) + QUOTE_LIFETIME
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def is_expired(expires_at: str | None, now: datetime | None = None) -> bool:
    if expires_at is None:
        return False
    moment = datetime.fromisoformat(expires_at.replace("Z", "+00:00"))
    return (now or datetime.now(UTC)) >= moment


class Pricing:
    def __init__(self, settings: SettingsStore, markups: Mapping[str, Decimal]) -> None:
        """`markups`: each product line's markup until operators set one (the lines declare
        them, see `bot.services.lines.registry.default_markups`)."""
        self._settings = settings
        self._markups = dict(markups)

    @property
    def lines(self) -> list[str]:
        """The product lines that have a markup, in the lines' order."""
        return list(self._markups)

    async def _decimal(self, key: str, default: Decimal | None) -> Decimal:
        stored = await self._settings.get(key)
        if stored is None:
            if default is None:
                raise PricingError(f"no value for {key}")
            return default
        try:
            value = Decimal(stored)
        except InvalidOperation:
            raise PricingError(f"{key} is not a number: {stored!r}") from None
        if not value.is_finite() or value < 0:
            raise PricingError(f"{key} must be a non-negative number: {stored!r}")
        return value

    async def rate(self, currency: str) -> Decimal:
        rate = await self._decimal(rate_key(currency), DEFAULT_RATES.get(currency.upper()))
        if rate == 0:  # would give things away
            raise PricingError(f"{rate_key(currency)} is 0: set the real rate")
        return rate

    async def markup(self, line: str) -> Decimal:
        return await self._decimal(markup_key(line), self._markups.get(line, Decimal("0")))

    async def price(self, line: str, upstream_cost: int, upstream_currency: str) -> Price:
        """The charge for something costing `upstream_cost` micro-units of `upstream_currency`."""
        rate = await self.rate(upstream_currency)
        markup = await self.markup(line)
        exact = Decimal(upstream_cost) * rate * (1 + markup / 100)
        charge = round_up_to_cent(math.ceil(exact))
        if charge <= 0:
            raise PricingError(f"{line} would cost nothing for {upstream_cost} {upstream_currency}")
        return Price(upstream_cost, upstream_currency.upper(), rate, markup, charge)
