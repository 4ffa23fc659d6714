"""Mobile top-ups (airtime HF, data LL) through KUMQUAT.

An order is one upstream call: `place_order` with `request_no` = our order id and our callback
URL. KUMQUAT accepts it (pending) and later calls back with the final status; the callback is
verified (md5 signature), settled through the order service's `report` (a replay changes nothing)
and answered `SUCCESS`. When no callback comes, reconciliation asks by `request_no`. The rare
"success, then fail" callback reverses a delivered order: the customer is refunded and the
operators are told.

Countries, carriers and products change slowly: they are kept in `Catalogue`s (one per country
for carriers, one per carrier for products), reloaded by `refresh_catalogue`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

from aiohttp import web
from pydantic import AnyHttpUrl, Field, SecretStr

from bot.services.catalogue import Catalogue
from bot.services.config import LineSettings
from bot.services.details import Details
from bot.services.lines.base import LineBase, LineSetup, UpstreamHealth, health_of
from bot.services.lines.registry import LineUnit, register
from bot.services.metrics import metered
from bot.services.orders import Failure, Quote, Remember, Submission, sent_again
from bot.services.pricing import Price, Pricing, PricingError
from bot.services.web_limits import flat_json_object, multipart_fields
from providers.amounts import MICRO
from providers.kumquat import (
    KumquatCallback,
    KumquatCarrier,
    KumquatClient,
    KumquatCountry,
    KumquatOrder,
    KumquatProduct,
)
from providers.outcomes import Outcome, Reply
from storage.orders import Order, OrderStatus

log = logging.getLogger(__name__)

PRODUCT = "topup"
CALLBACK_PATH = "/callbacks/kumquat"
AIRTIME, DATA = "HF", "LL"
KINDS = (AIRTIME, DATA)
FRESH_FOR = timedelta(hours=1)
MAX_PAGES = 50  # of 100 products: far more than one carrier sells

# Refusals of an order that are about the phone number, and those that are the shop's side.
NUMBER_REFUSALS = frozenset({"carrier_unknown", "bad_number_length", "invalid_parameters"})
SUPPLIER_REFUSALS = frozenset(
    {
        "bad_signature",
        "bad_timestamp",
        "ip_not_allowed",
        "unknown_partner",
        "no_permission",
        "too_many_requests",
        "bad_format",
        "unreachable",
    }
)
PRODUCT_REFUSALS = frozenset({"product_not_found", "product_invalid"})
# Refusals of the shop's own partner number, signature or address.
REFUSING = frozenset({"bad_signature", "ip_not_allowed", "unknown_partner", "no_permission"})

T = TypeVar("T")


class NumberProblem(Exception):
    """The number lookup found nothing: `reason` says why (unknown carrier, bad length, …)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TopupTarget(Details):
    """The phone and the carrier a customer chose: what the conversation carries between its
    steps (`dump()`, read back with `read`), and the first part of an order's details
    (`TopupDetails`), under the same keys."""

    account: str  # digits with the country code, no +
    country_code: str
    country_name: str
    carrier_id: str
    carrier_name: str


@dataclass(frozen=True)
class Offer:
    """A product with what the customer pays for it."""

    product: KumquatProduct
    price: Price


class TopupDetails(TopupTarget):
    """A top-up's details: the number and its carrier (its `TopupTarget`), and the product (as
    quoted), then what upstream said of the order."""

    product_id: int
    product_name: str
    kind: str  # the product's type: airtime or data
    face_value: Decimal
    face_unit: str | None = None  # airtime's currency or data's size
    face_currency: str | None = None  # what orders quoted before units were read say instead
    upstream_status: str | None = None
    callback_result: str | None = None  # what upstream's callback said
    refusal: str | None = None  # upstream's reason, when it refused the order

    @classmethod
    def quoted(cls, target: TopupTarget, offer: Offer) -> TopupDetails:
        product = offer.product
        return cls(
            **dict(target),
            product_id=product.id,
            product_name=product.name,
            kind=product.type,
            face_value=product.face_value,
            face_unit=product.unit,
        )

    @property
    def target(self) -> TopupTarget:
        return TopupTarget.model_validate(dict(self))

    @property
    def unit(self) -> str:
        """Airtime's currency or data's size."""
        return self.face_unit or self.face_currency or ""


def from_config(setup: LineSetup) -> TopupLine | None:
    config = setup.config.line(TopupSettings)
    if not (config.kumquat_base_url and config.kumquat_partner_no and config.kumquat_sign_key):
        return None
    client = KumquatClient(
        str(config.kumquat_base_url),
        config.kumquat_partner_no,
        config.kumquat_sign_key.get_secret_value(),
        timeouts=setup.timeouts,
    )
    return TopupLine(
        metered(PRODUCT, client), setup.pricing, callback_url=setup.public_url(CALLBACK_PATH)
    )


def _value_or_none(reply: Reply[T]) -> T | None:
    return reply.value if reply.outcome == Outcome.SUCCEEDED else None


class TopupLine(LineBase):
    product = PRODUCT
    details_model = TopupDetails

    def __init__(
        self, client: KumquatClient, pricing: Pricing, *, callback_url: str | None
    ) -> None:
        self._client = client
        self._pricing = pricing
        self.callback_url = callback_url
        self.countries: Catalogue[list[KumquatCountry]] = Catalogue(
            "topup countries", self._load_countries, fresh_for=FRESH_FOR
        )
        self._carriers: dict[str, Catalogue[list[KumquatCarrier]]] = {}
        self._products: dict[str, Catalogue[list[KumquatProduct]]] = {}

    async def close(self) -> None:
        await self._client.close()

    async def health(self) -> UpstreamHealth:
        """The balance call: whether KUMQUAT answers, and what the shop can spend there
        (`available`: balance + credit, as the document says), in the balance's currency."""
        reply = await self._client.balance()
        health = health_of(reply, REFUSING)
        if reply.value is None or not health.ok:
            return health
        available = Decimal(reply.value.available) / MICRO
        return replace(health, balance=available, currency=reply.value.currency)

    # -- the catalogue --

    async def _load_countries(self) -> list[KumquatCountry] | None:
        found = _value_or_none(await self._client.countries())
        return None if found is None else sorted(found, key=lambda c: c.name or c.country_code)

    def _carrier_shelf(self, country_code: str) -> Catalogue[list[KumquatCarrier]]:
        code = country_code.upper()
        if code not in self._carriers:

            async def load() -> list[KumquatCarrier] | None:
                return _value_or_none(await self._client.country_carriers(code))

            self._carriers[code] = Catalogue(f"topup carriers {code}", load, fresh_for=FRESH_FOR)
        return self._carriers[code]

    def _product_shelf(self, carrier_id: str) -> Catalogue[list[KumquatProduct]]:
        if carrier_id not in self._products:

            async def load() -> list[KumquatProduct] | None:
                return await self._load_products(carrier_id)

            self._products[carrier_id] = Catalogue(
                f"topup products {carrier_id}", load, fresh_for=FRESH_FOR
            )
        return self._products[carrier_id]

    async def _load_products(self, carrier_id: str) -> list[KumquatProduct] | None:
        products: list[KumquatProduct] = []
        page: int | None = 1
        while page is not None and page <= MAX_PAGES:
            reply = await self._client.products(carrier_id=carrier_id, page=page)
            if reply.value is None or reply.outcome != Outcome.SUCCEEDED:
                return None  # a partial list would hide products: keep the last whole copy
            products += reply.value.items
            page = reply.value.next_page
        return sorted(products, key=lambda p: (p.type, p.face_value, p.id))

    async def refresh_catalogue(self) -> None:
        await self.countries.refresh()
        for carriers in list(self._carriers.values()):
            await carriers.refresh()
        for products in list(self._products.values()):
            await products.refresh()

    async def country_list(self) -> list[KumquatCountry] | None:
        return await self.countries.get()

    async def country_name(self, code: str) -> str:
        for country in await self.countries.get() or []:
            if country.country_code.upper() == code.upper():
                return country.name or code
        return code

    async def carriers_of(self, country_code: str) -> list[KumquatCarrier] | None:
        return await self._carrier_shelf(country_code).get()

    async def offers(self, target: TopupTarget, kind: str) -> list[Offer] | None:
        """The carrier's products of that kind with our price; None when upstream cannot say."""
        products = await self._product_shelf(target.carrier_id).get()
        if products is None:
            return None
        return [
            Offer(product, await self.price_of(product))
            for product in products
            if product.type == kind
        ]

    async def offer(self, target: TopupTarget, product_id: int) -> Offer | None:
        """One of the carrier's products, priced now (None: the carrier does not sell it)."""
        for product in await self._product_shelf(target.carrier_id).get() or []:
            if product.id == product_id:
                return Offer(product, await self.price_of(product))
        return None

    async def price_of(self, product: KumquatProduct) -> Price:
        """What the customer pays: the product's price is the upstream cost."""
        return await self._pricing.price(PRODUCT, product.price, product.price_currency)

    async def lookup(self, number: str) -> TopupTarget | NumberProblem | None:
        """The country and carrier of a number; None when upstream did not answer usefully."""
        reply = await self._client.lookup_number(number)
        if reply.value is None or reply.outcome != Outcome.SUCCEEDED:
            if reply.outcome == Outcome.REJECTED and reply.reason in NUMBER_REFUSALS:
                return NumberProblem(reply.reason or "")
            return None
        found = reply.value
        return TopupTarget(
            account=number,
            country_code=found.country_code.upper(),
            country_name=await self.country_name(found.country_code),
            carrier_id=found.carrier_id,
            carrier_name=found.carrier_name or found.carrier_id,
        )

    @staticmethod
    def quote(target: TopupTarget, offer: Offer) -> Quote:
        """An order of `offer` for the number, at its price."""
        return Quote(offer.price, TopupDetails.quoted(target, offer))

    # -- orders --

    async def requote(self, order: Order) -> Quote | None:
        """The same product for the same number, at today's price (None: no longer sold)."""
        details = TopupDetails.of(order)
        try:
            offer = await self.offer(details.target, details.product_id)
        except PricingError:
            return None
        return None if offer is None else self.quote(details.target, offer)

    async def submit(self, order: Order, remember: Remember) -> Submission:
        return await self._place(order, remember)

    async def _place(self, order: Order, remember: Remember) -> Submission:
        details = TopupDetails.of(order)
        reply = await self._client.place_order(
            request_no=order.id,
            product_id=details.product_id,
            account=details.account,
            callback_url=self.callback_url,
        )
        if reply.value is not None:
            await remember(upstream_ref=reply.value.serial_no)
            return self._from_order(reply)
        if reply.outcome == Outcome.REJECTED:
            return self._refused(reply)
        return Submission(Outcome.UNKNOWN, reason=reply.reason, message=reply.message)

    async def query(self, order: Order, remember: Remember) -> Submission:
        reply = await self._client.query(request_no=order.id)
        if reply.value is not None:
            if order.upstream_ref is None:
                await remember(upstream_ref=reply.value.serial_no)
            return self._from_order(reply)
        if reply.outcome == Outcome.REJECTED and reply.reason == "invalid_parameters":
            # Upstream does not know this request_no: the order never reached it (the bot
            # stopped before sending, or the request was lost). Placing it now is safe: the
            # request_no is unique upstream, so an order that does exist is read back instead.
            return sent_again(await self._place(order, remember))
        return Submission(Outcome.UNKNOWN, reason=reply.reason, message=reply.message)

    @staticmethod
    def _from_order(reply: Reply[KumquatOrder]) -> Submission:
        assert reply.value is not None
        status = reply.value.status
        return Submission(
            reply.outcome,  # pending, succeeded or rejected by its status; unknown if undocumented
            reason=reply.reason or f"upstream status {status}",
            message=reply.message,
            upstream_ref=reply.value.serial_no,
            details=TopupDetails.facts(upstream_status=status),
        )

    @staticmethod
    def _refused(reply: Reply[Any]) -> Submission:
        reason = reply.reason or "refused"
        failure = Failure.NOT_DELIVERED
        alert = None
        if reason in NUMBER_REFUSALS:
            failure = Failure.ACCOUNT_NOT_FOUND
        elif reason in PRODUCT_REFUSALS:
            failure = Failure.AMOUNT_REFUSED
        elif reason in SUPPLIER_REFUSALS:
            failure = Failure.SUPPLIER_UNAVAILABLE
            alert = (
                f"KUMQUAT refused a top-up ({reason}, {reply.upstream_code}): {reply.message}; "
                "the customer was refunded; check the KUMQUAT account and its settings"
            )
        return Submission(
            Outcome.REJECTED,
            reason=reason,
            message=reply.message,
            details=TopupDetails.facts(refusal=reason),
            failure=failure,
            alert=alert,
        )

    # -- callbacks --

    def web_routes(self) -> list[web.RouteDef]:
        if self.callback_url is None:  # upstream could not reach us: reconciliation polls
            return []
        return [web.post(CALLBACK_PATH, self.on_callback)]

    async def on_callback(self, request: web.Request) -> web.Response:
        payload = await _payload(request)
        if payload is None:
            log.warning("KUMQUAT callback from %s: unreadable body", request.remote)
            return web.Response(status=400, text="FAIL: unreadable")
        callback = self._client.verify_callback(payload)
        if callback is None:
            log.warning(
                "KUMQUAT callback from %s refused: bad signature (request_no %r)",
                request.remote,
                str(payload.get("request_no", ""))[:40],
            )
            return web.Response(status=401, text="FAIL: bad signature")
        return await self.settle_callback(callback)

    async def settle_callback(self, callback: KumquatCallback) -> web.Response:
        """Settle what a verified callback says; answered `SUCCESS` once it is recorded."""
        report, find = self.report, self.find_order
        if report is None or find is None:
            return web.Response(status=503, text="FAIL: not ready")
        order = await find(callback.request_no)
        if order is None or order.product != PRODUCT:
            log.warning(
                "KUMQUAT callback for an order that is not ours: request_no %r",
                callback.request_no[:40],
            )
            return web.Response(status=404, text="FAIL: unknown order")
        if order.upstream_ref not in (None, callback.serial_no):
            log.warning(
                "KUMQUAT callback for order %s names serial %r, not %s",
                order.id,
                callback.serial_no[:40],
                order.upstream_ref,
            )
            return web.Response(status=409, text="FAIL: serial does not match")
        status = callback.status.lower()
        said = TopupDetails.facts(upstream_status=callback.status, callback_result=callback.result)
        if status == "success":
            # (after a refund, the order service records it and alerts the operators)
            await report(
                order.id,
                Submission(
                    Outcome.SUCCEEDED,
                    reason="callback: success",
                    message=callback.result,
                    upstream_ref=callback.serial_no,
                    details=said,
                ),
            )
        elif status in ("error", "fail", "failed"):
            failed = Submission(
                Outcome.REJECTED,
                reason="callback: error",
                message=callback.result,
                upstream_ref=callback.serial_no,
                details=said,
            )
            after = await report(order.id, failed)
            if after.status == OrderStatus.SUCCEEDED:  # success, then fail: take it back
                alert = (
                    f"KUMQUAT reversed a delivered top-up to {TopupDetails.of(order).account} "
                    f"(serial {callback.serial_no}): {callback.result}; the customer was "
                    "refunded"
                )
                await report(
                    order.id,
                    Submission(
                        Outcome.REJECTED,
                        reason="callback: error after success",
                        message=callback.result,
                        reversal=True,
                        alert=alert,
                    ),
                )
        else:
            log.warning(
                "KUMQUAT callback for order %s with an unknown status %r",
                order.id,
                callback.status[:20],
            )
            return web.Response(status=400, text="FAIL: unknown status")
        return web.Response(text="SUCCESS")


async def _payload(request: web.Request) -> dict[str, Any] | None:
    """The callback's fields: a flat JSON object as the document shows, or a form (urlencoded or
    multipart, as an HTTP library may send a dict) of plain fields; None for anything else (the
    body was read whole before, see `bot.services.web_limits`)."""
    if request.content_type == "multipart/form-data":
        return multipart_fields(await request.read(), request.headers.get("Content-Type", ""))
    if request.content_type == "application/x-www-form-urlencoded":
        try:
            form = await request.post()
        except ValueError:  # not UTF-8
            return None
        return {name: str(value) for name, value in form.items()}
    return flat_json_object(await request.read())


# -- the line as the shop wires it --


class TopupSettings(LineSettings):
    # The KUMQUAT document names no host: the operator must give one with the credentials.
    kumquat_base_url: AnyHttpUrl | None = None
    kumquat_partner_no: str | None = None
    kumquat_sign_key: SecretStr | None = None
    kumquat_low_balance: Decimal = Field(  # in the KUMQUAT balance's own currency
        default=Decimal(50), ge=0, max_digits=18, decimal_places=6
    )


UNIT = register(
    LineUnit(
        key=PRODUCT,
        upstream="KUMQUAT top-up",
        rank=30,
        settings=TopupSettings,
        build=from_config,
        has_balance=True,
        low_balance=lambda settings: settings.kumquat_low_balance,
        markup=Decimal("5"),
    )
)
