"""What a customer pays: the upstream's cost, converted at the shop's rate, plus the product line's
markup, rounded up to the cent. Rates and markups live in settings, so operators can change them
(effective for new quotes); until they do, the defaults below apply.

A customer in a price group (`bot.services.price_groups`) pays the group's markup for a line where
the operators set one. Whose prices are being made is the update's customer (`priced_for`, set
for each customer's update before its handlers run), so every line prices the same way for them,
on its option buttons as on its confirmation, without being told.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
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


def markup_key(line: str, group: str | None = None) -> str:
    """A line's markup for everyone, or for one price group's customers."""
    return f"markup:{line}" if group is None else f"markup:{line}:{group}"


GroupOf = Callable[[int], Awaitable[str | None]]
"""`await group_of(user_id)`: the customer's price group, None for the retail prices."""


@dataclass
class _PricedFor:
    user_id: int
    group: str | None = None
    known: bool = False  # the group is looked up once per update, when a price is first made


_priced_for: ContextVar[_PricedFor | None] = ContextVar("priced_for", default=None)


@contextmanager
def priced_for(user_id: int | None) -> Iterator[None]:
    """Prices made inside are the customer's (their group's markups); None: retail."""
    token = _priced_for.set(None if user_id is None else _PricedFor(user_id))
    try:
        yield
    finally:
        _priced_for.reset(token)


def quote_expiry(now: datetime | None = None) -> str:
    moment = (now or datetime.now(UTC)) + QUOTE_LIFETIME
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def is_expired(expires_at: str | None, now: datetime | None = None) -> bool:
    if expires_at is None:
        return False
    moment = datetime.fromisoformat(expires_at.replace("Z", "+00:00"))
    return (now or datetime.now(UTC)) >= moment


class Pricing:
    def __init__(
        self,
        settings: SettingsStore,
        markups: Mapping[str, Decimal],
        group_of: GroupOf | None = None,
    ) -> None:
        """`markups`: each product line's markup until operators set one (the lines declare
        them, see `bot.services.lines.registry.default_markups`); `group_of`: a customer's
        price group (none: everyone pays retail)."""
        self._settings = settings
        self._markups = dict(markups)
        self._group_of = group_of

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
        """The line's markup for the customer prices are made for (see `priced_for`)."""
        group = await self.customer_group()
        if group is not None and await self._settings.get(markup_key(line, group)) is not None:
            return await self._decimal(markup_key(line, group), None)
        return await self.retail_markup(line)

    async def retail_markup(self, line: str) -> Decimal:
        return await self._decimal(markup_key(line), self._markups.get(line, Decimal("0")))

    async def customer_group(self) -> str | None:
        """The price group of the customer prices are made for (None: retail)."""
        priced = _priced_for.get()
        if priced is None or self._group_of is None:
            return None
        if not priced.known:
            priced.group, priced.known = await self._group_of(priced.user_id), True
        return priced.group

    async def price(self, line: str, upstream_cost: int, upstream_currency: str) -> Price:
        """The charge for something costing `upstream_cost` micro-units of `upstream_currency`."""
        rate = await self.rate(upstream_currency)
        markup = await self.markup(line)
        exact = Decimal(upstream_cost) * rate * (1 + markup / 100)
        charge = round_up_to_cent(math.ceil(exact))
        if charge <= 0:
            raise PricingError(f"{line} would cost nothing for {upstream_cost} {upstream_currency}")
        return Price(upstream_cost, upstream_currency.upper(), rate, markup, charge)
