"""Ready-made accounts from the account shop (docs/upstreams/account-shop.md), delivered as
`uid|password|cookie` lines.

The service list (price, stock) is kept in a `Catalogue`, one list per kind; a service's detail
(min/max, stock right now) is always fetched fresh, because stock matters when buying.

Buying sends our order id as `request_id`. The shop answers a replayed `request_id` with the first
order, so a retry never buys twice, and that is also how `query` learns what happened to an order
whose answer was lost: it buys again with the same id. A replay that is refused proves nothing (the
document does not say the shop looks at the id before the stock: the first attempt may have bought
the last accounts), so such an order goes to the operators' review, its money still held.

The delivered accounts are the customer's secrets: they are kept in the order's details (the
customer downloads them again from there) and never logged, alerted or shown in chat text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import AnyHttpUrl, Field, SecretStr

from bot.services.catalogue import Catalogue
from bot.services.config import LineSettings
from bot.services.details import Details
from bot.services.lines.base import LineBase, LineSetup, UpstreamHealth, health_of
from bot.services.lines.registry import LineUnit, register
from bot.services.metrics import metered
from bot.services.money import MICRO
from bot.services.orders import Failure, Quote, Remember, Submission, sent_again
from bot.services.pricing import Price, Pricing, PricingError
from providers.accounts_shop import AccountShopClient, ShopPurchase, ShopService, ShopServiceDetail
from providers.outcomes import Outcome, Reply
from storage.orders import Order

PRODUCT = "accounts"
MAX_QUANTITY = 1000  # per order, whatever the shop allows: one file, one hold
CATALOGUE_FRESH_FOR = timedelta(minutes=5)

# Our own words for some of them (a `accounts-failure-…` message each); stored in the details.
EXPLAINED = {"out_of_stock", "invalid_amount", "invalid_service"}
# Refusals of the shop's own API key.
REFUSING = ("api_key_required", "invalid_api_key", "session_expired", "bad_security_token")


class AccountKind(StrEnum):
    FACEBOOK = "facebook"
    EMAIL = "email"


class Lookup(StrEnum):
    """Why a service cannot be shown."""

    NOT_FOUND = "not_found"  # no such service, or not for sale
    UNAVAILABLE = "unavailable"  # the shop did not answer usefully: try again later


class Offer(Details):
    """One service as opened by the customer: what the conversation carries between its steps
    (`dump()`, read back with `read`), and the `offer` of an order's details, in one encoding."""

    service_id: int
    name: str
    kind: str
    geo: str
    description: str
    unit_price: int  # micro-units of the shop's currency, per account
    stock: int
    minimum: int
    maximum: int  # the most one order may take now: the shop's max, its stock and ours

    @property
    def buyable(self) -> bool:
        return self.stock >= self.minimum and self.maximum >= self.minimum

    @classmethod
    def opened(cls, detail: ShopServiceDetail) -> Offer:
        bounds = [detail.total_available, MAX_QUANTITY]
        if detail.maximum is not None:
            bounds.append(detail.maximum)
        return cls(
            service_id=detail.id,
            name=detail.name,
            kind=detail.typeofaccount,
            geo=detail.geo,
            description=detail.description,
            unit_price=detail.price,
            stock=detail.total_available,
            minimum=detail.minimum,
            maximum=min(bounds),
        )


@dataclass(frozen=True)
class AccountsQuote:
    offer: Offer
    quantity: int
    cost: int  # micro-units of the shop's currency
    price: Price

    @property
    def for_order(self) -> Quote:
        """The price with the order's details as quoted."""
        details = AccountsDetails(offer=self.offer, quantity=self.quantity, cost=self.cost)
        return Quote(self.price, details)


class AccountsDetails(Details):
    """An accounts order's details: the service as opened, how many and their cost (as quoted),
    then what the shop delivered (the accounts are the customer's secrets: never in a repr)."""

    offer: Offer
    quantity: int
    cost: int  # micro-units of the shop's currency
    accounts: list[str] | None = Field(default=None, repr=False)
    shop_order_id: str | None = None
    accounts_failure: str | None = None  # the shop's refusal, when we have words for it


def from_config(setup: LineSetup) -> AccountsLine | None:
    config = setup.config.line(AccountsSettings)
    if config.shop_api_key is None:
        return None
    client = AccountShopClient(
        str(config.shop_base_url),
        config.shop_api_key.get_secret_value(),
        timeouts=setup.timeouts,
    )
    return AccountsLine(metered(PRODUCT, client), setup.pricing, currency=config.shop_currency)


class AccountsLine(LineBase):
    product = PRODUCT
    details_model = AccountsDetails

    def __init__(self, client: AccountShopClient, pricing: Pricing, *, currency: str) -> None:
        self._client = client
        self._pricing = pricing
        self.currency = currency  # SHOP_CURRENCY: what the shop's prices are in
        self._catalogue: Catalogue[dict[str, list[ShopService]]] = Catalogue(
            "account shop services", self._load_services, fresh_for=CATALOGUE_FRESH_FOR
        )

    async def close(self) -> None:
        await self._client.close()

    # -- browsing --

    async def _load_services(self) -> dict[str, list[ShopService]] | None:
        services: dict[str, list[ShopService]] = {}
        for kind in AccountKind:
            listed = await self._client.list_services(kind=kind.value)
            if listed.value is None:
                return None
            services[kind.value] = [s for s in listed.value if s.status == 1]
        return services

    async def refresh_catalogue(self) -> None:
        await self._catalogue.refresh()

    async def health(self) -> UpstreamHealth:
        """A read of the service list: whether the shop answers. Its API has no balance, and the
        list needs no key: a refused API key shows only when an order is placed."""
        return health_of(await self._client.list_services(), REFUSING)

    async def services(self, kind: AccountKind) -> list[ShopService] | None:
        """The services of a kind, sold-out ones included (None: the shop is not answering)."""
        catalogue = await self._catalogue.get()
        return None if catalogue is None else catalogue.get(kind.value, [])

    async def offer(self, service_id: int) -> Offer | Lookup:
        """A service as it is right now (a fresh detail: stock matters)."""
        found = await self._client.service(service_id)
        if found.value is not None:
            if found.value.status != 1 or found.value.typeofaccount not in set(AccountKind):
                return Lookup.NOT_FOUND
            return Offer.opened(found.value)
        if found.outcome == Outcome.REJECTED and found.reason in (
            "product_not_found",
            "product_id_required",
        ):
            return Lookup.NOT_FOUND
        return Lookup.UNAVAILABLE

    async def unit_estimate(self, offer: Offer) -> Decimal:
        """About what one account costs in whole units of the store currency (display only:
        charges are computed on the whole order and rounded up to the cent)."""
        rate = await self._pricing.rate(self.currency)
        markup = await self._pricing.markup(PRODUCT)
        return Decimal(offer.unit_price) / MICRO * rate * (1 + markup / 100)

    async def quote(self, offer: Offer, quantity: int) -> AccountsQuote:
        cost = offer.unit_price * quantity
        price = await self._pricing.price(PRODUCT, cost, self.currency)
        return AccountsQuote(offer, quantity, cost, price)

    # -- buying --

    async def requote(self, order: Order) -> Quote | None:
        """Priced again from a fresh detail. Stock is left to the shop: if it ran out, the
        purchase is refused and the hold released, and the customer is told why."""
        details = AccountsDetails.of(order)
        offer = await self.offer(details.offer.service_id)
        if not isinstance(offer, Offer):
            return None
        try:
            quote = await self.quote(offer, details.quantity)
        except PricingError:
            return None
        return quote.for_order

    async def submit(self, order: Order, remember: Remember) -> Submission:
        return self._from(await self._buy(order), order=order)

    async def query(self, order: Order, remember: Remember) -> Submission:
        """Buy again under the same request id: the shop answers with the first order if there
        is one (and if there is none, the customer's money is still held for exactly this)."""
        return sent_again(self._from(await self._buy(order), order=order))

    async def _buy(self, order: Order) -> Reply[ShopPurchase]:
        details = AccountsDetails.of(order)
        return await self._client.buy(details.offer.service_id, details.quantity, order.id)

    def _from(self, reply: Reply[ShopPurchase], *, order: Order) -> Submission:
        bought = reply.value
        if reply.outcome == Outcome.SUCCEEDED and bought is not None:
            return self._delivered(bought, order)
        reason = reply.reason or reply.outcome.value
        if reply.outcome != Outcome.REJECTED:
            # An answer without the order: what became of it is asked again later.
            return Submission(Outcome.UNKNOWN, reason=reason, message=reply.message)
        details: dict[str, Any] = {}
        failure = Failure.SUPPLIER_UNAVAILABLE
        alert: str | None = (
            f"the account shop refused the purchase ({reason}): {reply.message}; "
            "the customer was refunded"
        )
        if reason in EXPLAINED:
            details = AccountsDetails.facts(accounts_failure=reason)
            failure, alert = Failure.NOT_DELIVERED, None
        return Submission(
            Outcome.REJECTED,
            reason=reason,
            message=reply.message,
            details=details,
            alert=alert,
            failure=failure,
        )

    @staticmethod
    def _delivered(bought: ShopPurchase, order: Order) -> Submission:
        quantity = AccountsDetails.of(order).quantity
        alert = None
        if len(bought.accounts) != quantity:
            # Never the accounts themselves: only how many there are.
            alert = (
                f"the account shop delivered {len(bought.accounts)} accounts for an order of "
                f"{quantity} (its order {bought.order_id}); check and settle the difference"
            )
        return Submission(
            Outcome.SUCCEEDED,
            reason="delivered",
            upstream_ref=bought.order_id,
            details=AccountsDetails.facts(
                accounts=list(bought.accounts), shop_order_id=bought.order_id
            ),
            alert=alert,
        )


def accounts_file(order: Order) -> tuple[str, bytes] | None:
    """The delivered accounts as a text file, one per line (None: the order has none)."""
    accounts = AccountsDetails.of(order).accounts
    if not accounts:
        return None
    content = "".join(f"{line}\n" for line in accounts)
    return f"accounts-{order.id}.txt", content.encode("utf-8")


def quantity_presets(offer: Offer) -> list[int]:
    """Up to four quick choices within the offer's bounds, its minimum first."""
    choices = [n for n in (1, 5, 10, 20, 50, 100) if offer.minimum < n <= offer.maximum]
    return [offer.minimum, *choices][:4] if offer.buyable else []


def shop_amount(micro: int) -> str:
    """An amount in the shop's currency as the shop wrote it: 12_000 VND → "12,000", 0.5 → "0.5"."""
    value = (Decimal(micro) / MICRO).normalize()
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,f}"


def estimate(value: Decimal) -> str:
    """A per-account estimate in the store currency, rounded up so it never looks cheaper:
    to the cent from 1 on, to four decimals below (accounts often cost a fraction of a cent)."""
    places = 2 if value >= 1 else 4
    quantum = Decimal(1).scaleb(-places)
    rounded = Decimal(math.ceil(value / quantum)) * quantum
    return f"{rounded:,.{places}f}"


# -- the line as the shop wires it --


class AccountsSettings(LineSettings):
    shop_base_url: AnyHttpUrl = AnyHttpUrl("https://www.tempcloud.shop")
    shop_api_key: SecretStr | None = None
    shop_currency: str = Field(default="VND", pattern=r"^[A-Z]{3,5}$")


UNIT = register(
    LineUnit(
        key=PRODUCT,
        upstream="Account shop",
        rank=40,
        settings=AccountsSettings,
        build=from_config,
        markup=Decimal("10"),
    )
)
