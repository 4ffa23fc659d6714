"""The gift card line as the shop's services see it: its own settings, the line (quote, submit,
query, health) and its unit. A card is bought by the shop's order id, which the upstream keeps:
asking again after a lost answer never buys a second card."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import aiohttp
from pydantic import AnyHttpUrl, Field, SecretStr

from bot.services.config import LineSettings
from bot.services.details import Details
from bot.services.lines.base import LineBase, LineSetup, UpstreamHealth
from bot.services.lines.registry import LineUnit
from bot.services.money import MICRO
from bot.services.orders import Quote, Remember, Submission
from bot.services.pricing import Pricing, PricingError
from providers.http import Timeouts
from providers.outcomes import Outcome
from storage.orders import Order

KEY = "giftcard"
VALUES = (5, 10)  # USD


class GiftcardSettings(LineSettings):
    giftcard_base_url: AnyHttpUrl | None = None
    giftcard_api_key: SecretStr | None = None
    giftcard_low_balance: Decimal = Field(  # USD
        default=Decimal(20), ge=0, max_digits=18, decimal_places=6
    )


class GiftcardDetails(Details):
    value: int  # USD, one of VALUES
    code: str | None = None  # the card's code, once delivered


Answer = tuple[int, dict[str, Any]] | None  # (HTTP status, JSON body); None: no answer


class GiftcardLine(LineBase):
    product = KEY
    details_model = GiftcardDetails

    def __init__(self, base_url: str, api_key: str, pricing: Pricing, timeouts: Timeouts) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._pricing = pricing
        self._timeout = aiohttp.ClientTimeout(total=timeouts.total, connect=timeouts.connect)
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Answer:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout, headers=self._headers)
        try:
            async with self._session.request(method, self._base_url + path, json=body) as reply:
                if reply.status >= 500 or reply.content_type != "application/json":
                    return None
                return reply.status, await reply.json()
        except (aiohttp.ClientError, TimeoutError):
            return None

    async def quote(self, value: int) -> Quote:
        """A card of `value` USD, priced for the customer; PricingError when it cannot be."""
        price = await self._pricing.price(KEY, value * MICRO, "USD")
        return Quote(price, GiftcardDetails(value=value))

    async def requote(self, order: Order) -> Quote | None:
        try:
            return await self.quote(GiftcardDetails.of(order).value)
        except PricingError:
            return None

    async def submit(self, order: Order, remember: Remember) -> Submission:
        body = {"order_id": order.id, "value": GiftcardDetails.of(order).value}
        return self._settled(await self._call("POST", "/orders", body))

    async def query(self, order: Order, remember: Remember) -> Submission:
        answer = await self._call("GET", f"/orders/{order.id}")
        if answer is not None and answer[0] == 404:  # never arrived: sending it again is safe
            return await self.submit(order, remember)
        return self._settled(answer)

    @staticmethod
    def _settled(answer: Answer) -> Submission:
        if answer is None:
            return Submission(Outcome.UNKNOWN, reason="no answer")
        status, body = answer
        if status == 200 and body.get("status") == "done":
            code = str(body["code"])
            return Submission(
                Outcome.SUCCEEDED, upstream_ref=code, details=GiftcardDetails.facts(code=code)
            )
        reason = str(body.get("error", f"HTTP {status}"))
        return Submission(Outcome.REJECTED, reason=reason, message=reason)

    async def health(self) -> UpstreamHealth:
        answer = await self._call("GET", "/balance")
        if answer is None:
            return UpstreamHealth(answers=False, problem="no answer")
        status, body = answer
        if status == 401:
            return UpstreamHealth(
                answers=True, problem="refuses our credentials", refuses_credentials=True
            )
        return UpstreamHealth(answers=True, balance=Decimal(body["balance"]), currency="USD")


def from_config(setup: LineSetup) -> GiftcardLine | None:
    config = setup.config.line(GiftcardSettings)
    if config.giftcard_base_url is None or config.giftcard_api_key is None:
        return None
    key = config.giftcard_api_key.get_secret_value()
    return GiftcardLine(str(config.giftcard_base_url), key, setup.pricing, setup.timeouts)


UNIT = LineUnit(
    key=KEY,
    upstream="Gift cards",
    rank=60,
    settings=GiftcardSettings,
    build=from_config,
    has_balance=True,
    currency="USD",
    low_balance=lambda settings: settings.giftcard_low_balance,
    markup=Decimal("8"),
)
