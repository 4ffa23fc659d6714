"""Cloud recharges (Tencent Cloud, Alibaba Cloud) through the agent API.

Submitting is two upstream calls: create (deducts nothing) and pay (deducts the agent balance and
recharges). The created order's `sn` is stored before paying, so after any crash or lost answer the
order can be asked about. A lost pay answer is resolved with `GET /api/orders/{sn}` at once.

Only the order's own status settles anything: an answer without the order (refused, unreachable,
unreadable) is unknown, however definite it sounds. An order upstream still shows unpaid
`repay_after` a pay whose answer was lost is paid again rather than refunded: nothing says an
unpaid order stays unpaid, while a second pay is settled by upstream's own answers (a paid order is
"recharged successfully", a running one "processing", a failed or refunded one says so, and a short
agent balance deducts nothing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import AnyHttpUrl, Field, SecretStr

from bot.services.config import InvalidSetting, LineSettings, Settings
from bot.services.details import Details
from bot.services.lines.base import LineBase, LineSetup, UpstreamHealth, health_of
from bot.services.lines.registry import LineUnit, register
from bot.services.metrics import metered
from bot.services.money import CENT
from bot.services.orders import Failure, Quote, Remember, Submission
from bot.services.pricing import Price, Pricing, PricingError
from providers.cloud import CloudAccount, CloudChannel, CloudOrder, CloudRechargeClient

__all__ = ["CloudChannel", "CloudDetails", "CloudLine", "CloudQuote", "CloudTarget", "Lookup"]
from providers.outcomes import Outcome, Reply
from storage.orders import Order

PRODUCT = "cloud"
# The health check reads this order: upstream numbers look like `ba` + digits, never like this.
NO_SUCH_ORDER = "storefront-health-check"
# Refusals of the shop's own credentials or address.
REFUSING = ("auth_failed", "ip_not_whitelisted")

# What a refusal means for the customer; anything else is "not delivered".
FAILURES: dict[str | None, Failure] = {
    "account_not_found": Failure.ACCOUNT_NOT_FOUND,
    "invalid_amount": Failure.AMOUNT_REFUSED,
    "amount_below_minimum": Failure.AMOUNT_REFUSED,
    "agent_balance_insufficient": Failure.SUPPLIER_UNAVAILABLE,
    "auth_failed": Failure.SUPPLIER_UNAVAILABLE,
    "ip_not_whitelisted": Failure.SUPPLIER_UNAVAILABLE,
    "unreachable": Failure.SUPPLIER_UNAVAILABLE,
}


class Lookup(StrEnum):
    """Why an account lookup found nothing."""

    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"  # upstream did not answer usefully: try again later


class CloudTarget(Details):
    """The account a customer wants to recharge, as looked up: what the conversation carries
    between its steps (`dump()`, read back with `read`), and the first part of an order's
    details (`CloudDetails`), under the same keys."""

    channel: CloudChannel
    uid: str
    served_by: str  # the upstream channel that serves it (qcloud, kelly_qcloud, …)
    rate: Decimal
    balance: int  # micro-USD, when looked up
    currency: str = "USD"

    @classmethod
    def looked_up(cls, channel: CloudChannel, account: CloudAccount) -> CloudTarget:
        return cls(
            channel=channel,
            uid=account.uid,
            served_by=account.channel,
            rate=account.rate,
            balance=account.balance,
            currency=account.currency,
        )


@dataclass(frozen=True)
class CloudQuote:
    target: CloudTarget
    money: int  # micro-USD credited to the cloud account
    cost: int  # micro-USD deducted from the agent balance (money / rate)
    price: Price

    @property
    def for_order(self) -> Quote:
        """The price with the order's details as quoted."""
        return Quote(self.price, CloudDetails.quoted(self))


class CloudDetails(CloudTarget):
    """A cloud order's details: the account as looked up (its `CloudTarget`), what it receives
    and what paying deducts (all as quoted), then what upstream said of the order."""

    money: int  # micro-USD credited to the cloud account
    cost: int  # micro-USD the quote expects paying to deduct
    sn: str | None = None  # upstream's order number, once created
    recharge_amount: int | None = None  # what upstream said paying deducts, once created
    pay_sent_at: str | None = None  # when it was last paid (ISO, UTC)
    upstream_status: str | None = None
    paid_at: str | None = None

    @classmethod
    def quoted(cls, quote: CloudQuote) -> CloudDetails:
        return cls(**dict(quote.target), money=quote.money, cost=quote.cost)

    @property
    def target(self) -> CloudTarget:
        return CloudTarget.model_validate(dict(self))


def from_config(setup: LineSetup) -> CloudLine | None:
    config = setup.config.line(CloudSettings)
    if not (config.cloudruby_app_id and config.cloudruby_app_secret):
        return None
    client = CloudRechargeClient(
        str(config.cloudruby_base_url),
        config.cloudruby_app_id,
        config.cloudruby_app_secret.get_secret_value(),
        timeouts=setup.timeouts,
    )
    repay_after = timedelta(seconds=config.cloudruby_repay_after_seconds)
    return CloudLine(metered(PRODUCT, client), setup.pricing, repay_after=repay_after)


class CloudLine(LineBase):
    product = PRODUCT
    details_model = CloudDetails

    def __init__(
        self,
        client: CloudRechargeClient,
        pricing: Pricing,
        *,
        repay_after: timedelta = timedelta(minutes=1),
    ) -> None:
        self._client = client
        self._pricing = pricing
        self._repay_after = repay_after

    async def close(self) -> None:
        await self._client.close()

    async def health(self) -> UpstreamHealth:
        """Order details of an order number upstream never issues: a harmless authenticated read.

        The agent API has no balance call for the shop: `/api/uid` shows a customer's cloud
        account, and creating or paying an order is not harmless. Every agent call checks
        `X-App-Id`/`X-Sign` (and the IP whitelist) first, so 404 "Order does not exist" proves
        the upstream answers and takes the shop's credentials; 401 or 403 that it refuses them.
        """
        reply = await self._client.order(NO_SUCH_ORDER)
        if reply.reason == "order_not_found":
            return UpstreamHealth(answers=True)
        return health_of(reply, REFUSING)

    async def find(self, channel: CloudChannel, uid: str) -> CloudTarget | Lookup:
        found = await self._client.lookup_account(channel, uid)
        if found.value is not None:
            return CloudTarget.looked_up(channel, found.value)
        if found.outcome == Outcome.REJECTED and found.reason == "account_not_found":
            return Lookup.NOT_FOUND
        return Lookup.UNAVAILABLE

    async def quote(self, target: CloudTarget, money: int) -> CloudQuote:
        """The charge for crediting `money` micro-USD to the account at its rate."""
        if target.rate <= 0:
            raise PricingError(f"upstream quoted an unusable rate {target.rate}")
        cost = math.ceil(Decimal(money) / target.rate)  # what paying deducts, rounded up
        price = await self._pricing.price(PRODUCT, cost, "USD")
        return CloudQuote(target, money, cost, price)

    async def requote(self, order: Order) -> Quote | None:
        """The same money to the same account, at the rate upstream gives it now."""
        details = CloudDetails.of(order)
        target = await self.find(details.channel, details.uid)
        if isinstance(target, Lookup):
            return None
        try:
            quote = await self.quote(target, details.money)
        except PricingError:
            return None
        return quote.for_order

    async def submit(self, order: Order, remember: Remember) -> Submission:
        sn = order.upstream_ref
        if sn is None:
            details = CloudDetails.of(order)
            created = await self._client.create_order(details.channel, details.uid, details.money)
            if created.value is None:
                # Creating deducts nothing, and an order whose number we never learned can never
                # be paid: whatever happened upstream, nothing was spent for this customer.
                return Submission(
                    Outcome.REJECTED,
                    reason=created.reason or "not_created",
                    message=created.message,
                    alert=self._alert_for(created),
                    failure=FAILURES.get(created.reason, Failure.NOT_DELIVERED),
                )
            sn = created.value.sn
            deducts = created.value.recharge_amount
            await remember(
                details=CloudDetails.facts(sn=sn, recharge_amount=deducts), upstream_ref=sn
            )
            # Upstream rounds to the cent; more than that means its rate moved since the quote.
            if order.upstream_cost is not None and deducts > order.upstream_cost + CENT:
                return Submission(
                    Outcome.REJECTED,
                    reason="price_changed",
                    message=f"upstream would deduct {deducts} micro-USD, quoted "
                    f"{order.upstream_cost}; not paid",
                    failure=Failure.PRICE_CHANGED,
                )
        return await self._pay(sn, remember)

    async def query(self, order: Order, remember: Remember) -> Submission:
        sn = order.upstream_ref
        if sn is None:  # the bot stopped before it learned the upstream order: none was paid
            return Submission(
                Outcome.REJECTED, reason="not_created", message="no upstream order was ever created"
            )
        status = await self._client.order(sn)
        if status.value is None:
            return self._unknown(status)
        if status.value.status != "pending":
            return self._from(status)
        sent = CloudDetails.of(order).pay_sent_at
        if sent is None or datetime.now(UTC) - datetime.fromisoformat(sent) >= self._repay_after:
            return await self._pay(sn, remember)  # never paid, or the pay got lost on the way
        return Submission(
            Outcome.PENDING,
            reason="unpaid_for_now",
            message="upstream has not executed the payment yet",
        )

    async def _pay(self, sn: str, remember: Remember) -> Submission:
        await remember(details=CloudDetails.facts(pay_sent_at=datetime.now(UTC).isoformat()))
        paid = await self._client.pay_order(sn)
        if paid.outcome != Outcome.UNKNOWN:
            return self._from(paid)
        # The answer was lost: ask upstream before anything else. Only "paid" settles it now;
        # anything else is asked again later.
        status = await self._client.order(sn)
        if status.value is not None and status.outcome == Outcome.SUCCEEDED:
            return self._from(status)
        return self._unknown(paid)

    @staticmethod
    def _unknown(reply: Reply[Any]) -> Submission:
        return Submission(Outcome.UNKNOWN, reason=reply.reason, message=reply.message)

    def _from(self, reply: Reply[CloudOrder]) -> Submission:
        details = {}
        if reply.value is not None:
            details = CloudDetails.facts(
                upstream_status=reply.value.status, paid_at=reply.value.paid_at
            )
        return Submission(
            reply.outcome,
            reason=reply.reason,
            message=reply.message,
            details=details,
            upstream_owes_refund=reply.reason == "failed_balance_deducted",
            alert=self._alert_for(reply),
            failure=FAILURES.get(reply.reason, Failure.NOT_DELIVERED),
        )

    @staticmethod
    def _alert_for(reply: Reply[Any]) -> str | None:
        if reply.outcome != Outcome.REJECTED:
            return None
        if reply.reason == "failed_balance_deducted":
            return (
                "cloud recharge failed after the agent balance was deducted; the customer was "
                "refunded and upstream owes the shop a refund"
            )
        if reply.reason in ("failed", "recharge_failed"):
            return (
                f"cloud recharge failed ({reply.reason}): {reply.message}; the customer was "
                "refunded; ask upstream support whether the agent balance was deducted"
            )
        return (
            f"cloud recharge refused ({reply.reason}): {reply.message}; the customer was refunded"
        )


# -- the line as the shop wires it --


class CloudSettings(LineSettings):
    cloudruby_base_url: AnyHttpUrl = AnyHttpUrl("https://bot.cloudruby.com")
    cloudruby_app_id: str | None = None
    cloudruby_app_secret: SecretStr | None = None
    cloudruby_repay_after_seconds: float = Field(default=60, ge=0, le=24 * 3600)

    def check_with(self, shop: Settings) -> None:
        # A cloud order still unpaid upstream this long after a pay whose answer was lost is paid
        # again: sooner, and the first pay could still be on its way.
        timeout = shop.upstream_timeout_seconds
        if self.cloudruby_repay_after_seconds < timeout:
            raise InvalidSetting(
                "cloudruby_repay_after_seconds",
                f"must be at least UPSTREAM_TIMEOUT_SECONDS ({timeout:g})",
            )


UNIT = register(
    LineUnit(
        key=PRODUCT,
        upstream="Cloud recharge",
        rank=10,
        settings=CloudSettings,
        build=from_config,
        markup=Decimal("5"),
    )
)
