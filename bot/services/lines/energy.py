"""TRON energy rentals: energy delegated to a customer's address for a period (1H, 1D, 3D, 30D).

The upstream's prices (sun per unit of energy, per period) and its minimum order come from its
`balance` endpoint and are kept in a `Catalogue`. Our order id is the `outTradeNo`: the upstream
refuses a used one (600004), so placing an order again after a lost answer can never buy twice.
The platform's `orderNo` is stored as soon as it is known; only `order_info(orderNo)` settles an
order. When an attempt meets 600004 the order exists upstream but its number is unknown, and the
energy API has no way to look an order up by `outTradeNo`: the order is never placed again and
goes to the operators' review at once, its money held.

A failed order (ABORT, BREAK_OFF) gives the customer back what upstream gave back: everything when
nothing was delegated (upstream refunded the whole amount), the same share otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from pydantic import AnyHttpUrl, Field, SecretStr

from bot.services.catalogue import Catalogue
from bot.services.config import LineSettings
from bot.services.details import Details
from bot.services.lines.base import LineBase, LineSetup, UpstreamHealth, health_of
from bot.services.lines.registry import LineUnit, register
from bot.services.metrics import metered
from bot.services.orders import Failure, Quote, Remember, Submission, sent_again
from bot.services.pricing import Price, Pricing, PricingError
from providers.amounts import MICRO
from providers.energy import EnergyAccount, EnergyClient, EnergyOrder
from providers.outcomes import Outcome, Reply
from storage.orders import Order

PRODUCT = "energy"
CATALOGUE_FRESH_FOR = timedelta(minutes=5)


class EnergyFailure(StrEnum):
    """Why an energy order failed, in words of its own (stored as the order's `energy_failure`)."""

    PERIOD = "period"  # 600003: the period is no longer offered
    UPSTREAM_BALANCE = "upstream_balance"  # 600005: the shop's account upstream is short
    NO_RESOURCES = "no_resources"  # 600006: upstream has no free energy
    INACTIVE_ADDRESS = "inactive_address"  # the receiving address was never activated
    ABORTED = "aborted"  # ABORT: upstream could not delegate
    BROKEN_OFF = "broken_off"  # BREAK_OFF: delegation stopped before the end


# What a refusal to place an order means (reason from the client's error table).
REFUSALS: dict[str, tuple[Failure, EnergyFailure | None]] = {
    "unsupported_period": (Failure.NOT_DELIVERED, EnergyFailure.PERIOD),
    "upstream_balance_insufficient": (Failure.SUPPLIER_UNAVAILABLE, EnergyFailure.UPSTREAM_BALANCE),
    "no_resources": (Failure.SUPPLIER_UNAVAILABLE, EnergyFailure.NO_RESOURCES),
    "bad_api_key": (Failure.SUPPLIER_UNAVAILABLE, None),
    "bad_signature": (Failure.SUPPLIER_UNAVAILABLE, None),
    "ip_not_whitelisted": (Failure.SUPPLIER_UNAVAILABLE, None),
    "unreachable": (Failure.SUPPLIER_UNAVAILABLE, None),
}
# The shop's side of the upstream is broken: operators must act.
ALERTED = {
    "upstream_balance_insufficient",
    "bad_api_key",
    "bad_signature",
    "ip_not_whitelisted",
    "unreachable",
}
# The document does not say how an inactive address is refused; 10001 with a message saying so.
# A period goes into button data: a short word of letters and digits (1H, 1D, 3D, 30D).
_PERIOD = re.compile(r"[0-9A-Za-z]{1,8}")
_INACTIVE_WORDS = ("未激活", "inactive", "not activated", "not active")
# Refusals of the shop's own key, signature or address.
REFUSING = ("bad_api_key", "bad_signature", "ip_not_whitelisted")


@dataclass(frozen=True)
class EnergyOffer:
    """What can be bought right now: the minimum order and the unit price (sun) per period."""

    minimum: int
    available: int
    prices: dict[str, int]

    @classmethod
    def of(cls, account: EnergyAccount) -> EnergyOffer:
        prices = {
            price.period: price.price
            for price in account.prices
            if price.price > 0 and _PERIOD.fullmatch(price.period)
        }
        return cls(account.minimum_order_energy, account.available_energy, prices)


@dataclass(frozen=True)
class EnergyQuote:
    address: str
    energy: int
    period: str
    unit_price: int  # sun per unit of energy
    cost: int  # sun: energy × unit price
    price: Price

    def details(self) -> EnergyDetails:
        return EnergyDetails(
            address=self.address,
            energy=self.energy,
            period=self.period,
            unit_price=self.unit_price,
            cost=self.cost,
        )

    @property
    def for_order(self) -> Quote:
        """The price with the order's details as quoted."""
        return Quote(self.price, self.details())


class EnergyDetails(Details):
    """An energy order's details: what is delegated to which address for how long at what
    price (as quoted), then what upstream said of the order."""

    address: str
    energy: int
    period: str
    unit_price: int  # sun per unit of energy
    cost: int  # sun: energy × unit price
    order_no: str | None = None  # upstream's order number, once placed
    charged: int | None = None  # sun upstream said placing it took
    out_trade_no_used: bool = False  # placed by an attempt whose answer was lost
    upstream_status: str | None = None
    paid_sun: int | None = None
    refund_sun: int | None = None
    energy_failure: EnergyFailure | None = None  # why it failed, in the line's own terms


def from_config(setup: LineSetup) -> EnergyLine | None:
    config = setup.config.line(EnergySettings)
    if not (config.energy_api_key and config.energy_api_secret):
        return None
    client = EnergyClient(
        str(config.energy_base_url),
        config.energy_api_key.get_secret_value(),
        config.energy_api_secret.get_secret_value(),
        timeouts=setup.timeouts,
    )
    return EnergyLine(metered(PRODUCT, client), setup.pricing)


class EnergyLine(LineBase):
    product = PRODUCT
    details_model = EnergyDetails

    def __init__(self, client: EnergyClient, pricing: Pricing) -> None:
        self._client = client
        self._pricing = pricing
        self.catalogue: Catalogue[EnergyOffer] = Catalogue(
            "energy prices", self._load_offer, fresh_for=CATALOGUE_FRESH_FOR
        )

    async def close(self) -> None:
        await self._client.close()

    async def refresh_catalogue(self) -> None:
        await self.catalogue.refresh()

    async def health(self) -> UpstreamHealth:
        """The balance call: whether upstream answers, and the shop's balance there in TRX (the
        API counts sun, 1 TRX = 1,000,000 sun)."""
        reply = await self._client.balance()
        health = health_of(reply, REFUSING)
        if reply.value is None or not health.ok:
            return health
        return replace(health, balance=Decimal(reply.value.balance) / MICRO, currency="TRX")

    async def _load_offer(self) -> EnergyOffer | None:
        account = await self._client.balance()
        return None if account.value is None else EnergyOffer.of(account.value)

    async def offer(self) -> EnergyOffer | None:
        """The current prices and minimum (None: upstream never answered)."""
        return await self.catalogue.get()

    async def quote(self, address: str, energy: int, period: str) -> EnergyQuote | None:
        """The charge for `energy` delegated to `address` for `period` (None: not offered now).
        Raises PricingError when the shop cannot price it."""
        offer = await self.offer()
        if offer is None or period not in offer.prices:
            return None
        unit_price = offer.prices[period]
        cost = energy * unit_price
        price = await self._pricing.price(PRODUCT, cost, "TRX")  # sun are micro-TRX
        return EnergyQuote(address, energy, period, unit_price, cost, price)

    async def prices(self, energy: int) -> dict[str, Price]:
        """What `energy` costs the customer for each period offered now."""
        offer = await self.offer()
        found: dict[str, Price] = {}
        for period, unit_price in (offer.prices if offer else {}).items():
            try:
                found[period] = await self._pricing.price(PRODUCT, energy * unit_price, "TRX")
            except PricingError:
                continue
        return found

    # -- the order engine's side --

    async def requote(self, order: Order) -> Quote | None:
        """The same energy to the same address for the same period, at today's unit price."""
        details = EnergyDetails.of(order)
        try:
            quote = await self.quote(details.address, details.energy, details.period)
        except PricingError:
            return None
        return None if quote is None else quote.for_order

    async def submit(self, order: Order, remember: Remember) -> Submission:
        if order.upstream_ref is not None:  # placed already: only its status can tell
            return await self.query(order, remember)
        details = EnergyDetails.of(order)
        placed = await self._client.place_order(
            energy=details.energy,
            period=details.period,
            receive_address=details.address,
            out_trade_no=order.id,
        )
        if placed.value is not None:
            order_no = placed.value.order_no
            noted = EnergyDetails.facts(order_no=order_no, charged=placed.value.charged)
            await remember(details=noted, upstream_ref=order_no)
            return Submission(
                Outcome.PENDING, reason="placed", upstream_ref=order_no, message=placed.message
            )
        if placed.outcome == Outcome.REJECTED:
            return self._refused(placed)
        if placed.reason == "out_trade_no_used":
            # Placed by an earlier attempt whose answer was lost: its platform number is unknown
            # and cannot be looked up. Never placed again; the operators sort it out.
            await remember(details=EnergyDetails.facts(out_trade_no_used=True))
            return self._number_unknown()
        return Submission(Outcome.UNKNOWN, reason=placed.reason, message=placed.message)

    async def query(self, order: Order, remember: Remember) -> Submission:
        order_no = order.upstream_ref
        if order_no is None:
            if EnergyDetails.of(order).out_trade_no_used:
                return self._number_unknown()
            # Never answered: placing it again is safe, upstream refuses a used outTradeNo.
            return sent_again(await self.submit(order, remember))
        info = await self._client.order_info(order_no)
        if info.value is None:
            return Submission(Outcome.UNKNOWN, reason=info.reason, message=info.message)
        return self._settled(info, info.value)

    @staticmethod
    def _number_unknown() -> Submission:
        return Submission(
            Outcome.UNKNOWN,
            review=True,
            alert="placed by an earlier attempt whose answer was lost; its orderNo is unknown: "
            "find the order in the energy upstream's console and decide",
            reason="out_trade_no_used",
            message="upstream already has an order with this outTradeNo, but its orderNo is "
            "unknown and the energy API cannot look it up: check it in the upstream's console",
        )

    def _refused(self, reply: Reply[Any]) -> Submission:
        reason = reply.reason or "refused"
        failure, why = REFUSALS.get(reason, (Failure.NOT_DELIVERED, None))
        if reason == "invalid_parameters" and any(
            word in reply.message.lower() for word in _INACTIVE_WORDS
        ):
            reason, why = "inactive_address", EnergyFailure.INACTIVE_ADDRESS
        if why == EnergyFailure.PERIOD:
            self.catalogue.forget()  # its periods are out of date
        alert = None
        if reply.reason in ALERTED:
            alert = (
                f"energy order refused ({reply.reason}, code {reply.upstream_code}): "
                f"{reply.message}; the customer was refunded"
            )
            if reply.reason == "upstream_balance_insufficient":
                alert += "; top up the energy account"
        return Submission(
            Outcome.REJECTED,
            reason=reason,
            message=reply.message,
            details=EnergyDetails.facts(energy_failure=why) if why else {},
            alert=alert,
            failure=failure,
        )

    @staticmethod
    def _settled(reply: Reply[EnergyOrder], info: EnergyOrder) -> Submission:
        details = EnergyDetails.facts(
            upstream_status=info.status, paid_sun=info.amount, refund_sun=info.refund_amount
        )
        if reply.outcome != Outcome.REJECTED:
            return Submission(
                reply.outcome, reason=reply.reason, message=reply.message, details=details
            )
        why = EnergyFailure.ABORTED if info.status == "ABORT" else EnergyFailure.BROKEN_OFF
        details |= EnergyDetails.facts(energy_failure=why)
        share: Fraction | None = None  # everything came back: nothing was delegated
        alert = None
        if info.amount > 0 and info.refund_amount < info.amount:
            share = Fraction(max(info.refund_amount, 0), info.amount)
            if why == EnergyFailure.ABORTED:
                alert = (
                    f"energy order failed (ABORT) but upstream refunded only "
                    f"{info.refund_amount} of {info.amount} sun; the customer got the "
                    "same share back: check with upstream"
                )
        return Submission(
            Outcome.REJECTED,
            reason=reply.reason,
            message=reply.message,
            details=details,
            failure=Failure.NOT_DELIVERED,
            refund_share=share,
            alert=alert,
        )


# -- the line as the shop wires it --


class EnergySettings(LineSettings):
    energy_base_url: AnyHttpUrl = AnyHttpUrl("https://openapi.ea888fee.top")
    energy_api_key: SecretStr | None = None
    energy_api_secret: SecretStr | None = None
    energy_low_balance_trx: Decimal = Field(  # the operators are alerted under it
        default=Decimal(100), ge=0, max_digits=18, decimal_places=6
    )


UNIT = register(
    LineUnit(
        key=PRODUCT,
        upstream="TRON energy",
        rank=20,
        settings=EnergySettings,
        build=from_config,
        has_balance=True,
        currency="TRX",
        low_balance=lambda settings: settings.energy_low_balance_trx,
        markup=Decimal("10"),
    )
)
