"""AceData credit packages, paid by the customer directly to AceData through a pay link.

Nothing is taken from the shop's balance: the quote's charge is zero, so confirming holds nothing,
and the order only follows the AceData order's state (Pending and Paid wait, Finished is done,
Expired, Failed and Refunded end it) until it settles.

Creating an AceData order has no idempotency key, and there is no way to look an order up except
by the id its answer carries. So a create whose answer was lost (timeout, 5xx, unreadable) ends
the shop's order at once as "did not go through": the customer never saw a pay link, so nothing
can have been paid, and an upstream order that may exist is unpaid and expires by itself. It is
never sent again automatically, so the customer is never shown two links for one purchase.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

from pydantic import AnyHttpUrl, SecretStr

from bot.services.catalogue import Catalogue
from bot.services.config import LineSettings
from bot.services.details import Details
from bot.services.lines.base import LineBase, LineSetup, UpstreamHealth, health_of
from bot.services.lines.registry import LineUnit, register
from bot.services.metrics import metered
from bot.services.orders import Failure, Quote, Remember, Submission
from bot.services.pricing import Price
from providers.acedata import PAY_WAYS, AceDataClient, AceOrder, AceServices
from providers.outcomes import Outcome, Reply
from storage.orders import Order

__all__ = ["PAY_WAYS", "AceDataDetails", "AceDataLine", "Offer", "valid_application_id"]

log = logging.getLogger(__name__)

PRODUCT = "acedata"
CATALOGUE_FRESH_FOR = timedelta(minutes=10)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# What a refused create means for the customer (reasons from the client's error table).
FAILURES: dict[str | None, Failure] = {
    "not_found": Failure.ACCOUNT_NOT_FOUND,  # no such application
    "invalid_request": Failure.NOT_DELIVERED,
    "unauthorized": Failure.SUPPLIER_UNAVAILABLE,
    "forbidden": Failure.SUPPLIER_UNAVAILABLE,
    "unreachable": Failure.SUPPLIER_UNAVAILABLE,
}
# Refusals that are the shop's side (its token), not the customer's: operators must act.
_SHOP_SIDE = ("unauthorized", "forbidden")


def valid_application_id(text: str) -> str | None:
    """The application id in canonical (lowercase UUID) form, or None if it is not one."""
    candidate = text.strip().lower()
    return candidate if len(candidate) == 36 and _UUID.fullmatch(candidate) else None


class Offer(Details):
    """A package on sale: one fixed number of credits of one service for a fixed USD price; the
    first part of an order's details (`AceDataDetails`), under the same keys."""

    package_id: str
    service: str
    title: str
    credits: int
    price: int  # micro-USD, paid to AceData


class AceDataDetails(Offer):
    """An AceData order's details: which package at what price (its `Offer`, as quoted), for
    which application, paid how, then what AceData said of the order."""

    application_id: str
    pay_way: str
    state: str | None = None  # AceData's state of the order: Pending, Paid, Expired, ...
    paid_price: int | None = None  # micro-USD AceData asks, once created
    pay_url: str | None = None  # where the customer pays AceData
    create: str | None = None  # why creating it failed: no answer, or AceData's reason

    @property
    def asked(self) -> int:
        """What AceData asks: its own price once the order is created, else the quoted one."""
        return self.price if self.paid_price is None else self.paid_price


def offers_of(listing: AceServices) -> list[Offer]:
    """The packages the shop offers: fixed ones with a price (custom amounts are not sold)."""
    offers = []
    for service in listing.results:
        for package in service.packages:
            if package.custom_amount or package.price <= 0 or package.amount <= 0:
                continue
            offers.append(
                Offer(
                    package_id=package.id,
                    service=service.title or service.id,
                    title=package.title,
                    credits=package.amount,
                    price=package.price,
                )
            )
    return offers


def from_config(setup: LineSetup) -> AceDataLine | None:
    config = setup.config.line(AceDataSettings)
    if config.acedata_token is None or not config.acedata_token.get_secret_value():
        return None
    client = AceDataClient(
        str(config.acedata_base_url),
        config.acedata_token.get_secret_value(),
        timeouts=setup.timeouts,
    )
    return AceDataLine(metered(PRODUCT, client))


class AceDataLine(LineBase):
    product = PRODUCT
    details_model = AceDataDetails

    def __init__(self, client: AceDataClient) -> None:
        self._client = client
        self.catalogue: Catalogue[list[Offer]] = Catalogue(
            "acedata packages", self._load, fresh_for=CATALOGUE_FRESH_FOR
        )

    async def close(self) -> None:
        await self._client.close()

    async def refresh_catalogue(self) -> None:
        await self.catalogue.refresh()

    async def health(self) -> UpstreamHealth:
        """A read of the services listing (with the shop's token): whether AceData answers. There
        is no balance: customers pay AceData directly. The listing is public, so a refused token
        may show only when an order is created."""
        return health_of(await self._client.services(), _SHOP_SIDE)

    async def _load(self) -> list[Offer] | None:
        listing = await self._client.services()
        return None if listing.value is None else offers_of(listing.value)

    async def offers(self) -> list[Offer] | None:
        """The packages on sale (None: AceData has not answered yet)."""
        return await self.catalogue.get()

    async def offer(self, package_id: str) -> Offer | None:
        for offer in await self.offers() or []:
            if offer.package_id == package_id:
                return offer
        return None

    @staticmethod
    def price(offer: Offer) -> Price:
        """Paid to AceData directly: the shop charges nothing (confirming holds nothing)."""
        return Price(
            upstream_cost=offer.price,
            upstream_currency="USD",
            rate=Decimal(1),
            markup_percent=Decimal(0),
            charge=0,
        )

    @classmethod
    def quote(cls, application_id: str, offer: Offer, pay_way: str) -> Quote:
        """An order of `offer` for the application, paid to AceData `pay_way`."""
        details = AceDataDetails(**dict(offer), application_id=application_id, pay_way=pay_way)
        return Quote(cls.price(offer), details)

    async def requote(self, order: Order) -> Quote | None:
        """The same package for the same application, as AceData sells it now (None: no
        longer sold)."""
        details = AceDataDetails.of(order)
        offer = await self.offer(details.package_id)
        return None if offer is None else self.quote(details.application_id, offer, details.pay_way)

    async def submit(self, order: Order, remember: Remember) -> Submission:
        if order.upstream_ref is not None:  # created before: never create a second one
            return await self.query(order, remember)
        details = AceDataDetails.of(order)
        created = await self._client.create_order(
            application_id=details.application_id,
            package_id=details.package_id,
            pay_way=details.pay_way,
        )
        if created.value is None:
            return self._not_created(created)
        upstream = created.value
        await remember(details=self._noted(upstream), upstream_ref=upstream.id)
        if order.upstream_cost is not None and upstream.price > order.upstream_cost:
            # The customer agreed to the quoted price: no link to a dearer order is shown; the
            # unpaid AceData order expires by itself.
            return Submission(
                Outcome.REJECTED,
                reason="price_changed",
                message=f"AceData asks {upstream.price} micro-USD, quoted {order.upstream_cost}",
                failure=Failure.PRICE_CHANGED,
            )
        return self._from(created)

    async def query(self, order: Order, remember: Remember) -> Submission:
        if order.upstream_ref is None:
            # Sent, but its answer (and with it the only way to find the order) was lost before
            # it was stored: no link was shown, so nothing can have been paid.
            return Submission(
                Outcome.REJECTED,
                reason="no_answer",
                details=AceDataDetails.facts(create="no_answer"),
                message="the create answer was lost; no pay link was shown",
            )
        status = await self._client.order(order.upstream_ref)
        if status.value is None:  # an answer without the order settles nothing
            return Submission(Outcome.UNKNOWN, reason=status.reason, message=status.message)
        return self._from(status)

    def _not_created(self, created: Reply[AceOrder]) -> Submission:
        if created.outcome == Outcome.UNKNOWN:
            return Submission(
                Outcome.REJECTED,
                reason="no_answer",
                details=AceDataDetails.facts(create="no_answer"),
                message=f"AceData did not answer the create ({created.reason}): "
                f"{created.message}; no pay link was shown",
            )
        alert = None
        if created.reason in _SHOP_SIDE:
            alert = f"AceData refused the shop's token ({created.reason}): {created.message}"
        return Submission(
            Outcome.REJECTED,
            reason=created.reason or "refused",
            message=created.message,
            details=AceDataDetails.facts(create=created.reason or "refused"),
            alert=alert,
            failure=FAILURES.get(created.reason, Failure.NOT_DELIVERED),
        )

    @staticmethod
    def _noted(upstream: AceOrder) -> dict[str, Any]:
        if upstream.pay_url:
            return AceDataDetails.facts(
                state=upstream.state, paid_price=upstream.price, pay_url=upstream.pay_url
            )
        return AceDataDetails.facts(state=upstream.state, paid_price=upstream.price)

    def _from(self, reply: Reply[AceOrder]) -> Submission:
        assert reply.value is not None
        return Submission(
            reply.outcome,
            reason=reply.reason,
            message=reply.message,
            details=AceDataDetails.facts(state=reply.value.state),
        )


# -- the line as the shop wires it --


class AceDataSettings(LineSettings):
    acedata_base_url: AnyHttpUrl = AnyHttpUrl("https://platform.acedata.cloud")
    acedata_token: SecretStr | None = None


UNIT = register(
    LineUnit(
        key=PRODUCT,
        upstream="AceData",
        rank=50,
        settings=AceDataSettings,
        build=from_config,
    )
)
