"""Cloud recharges (Tencent Cloud, Alibaba Cloud) through the agent API.

Submitting is two upstream calls: create (deducts nothing) and pay (deducts the agent balance and
recharges). The created order's `sn` is stored before paying, so after any crash or lost answer the
order can be asked about. A lost pay answer is resolved with `GET /api/orders/{sn}` at once; an
order still unpaid upstream after `unpaid_grace` counts as not delivered (nothing was deducted for
it), so the customer is refunded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.orders import Failure, Remember, Submission
from bot.pricing import Price, Pricing, PricingError
from providers.cloud import CloudAccount, CloudChannel, CloudOrder, CloudRechargeClient
from providers.outcomes import Outcome, Reply
from storage.orders import Order

PRODUCT = "cloud"

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


@dataclass(frozen=True)
class CloudTarget:
    """The account a customer wants to recharge, as looked up (kept in the conversation's data)."""

    channel: CloudChannel
    uid: str
    served_by: str  # the upstream channel that serves it (qcloud, kelly_qcloud, …)
    rate: Decimal
    balance: int  # micro-USD, when looked up
    currency: str = "USD"

    @classmethod
    def of(cls, channel: CloudChannel, account: CloudAccount) -> CloudTarget:
        return cls(channel, account.uid, account.channel, account.rate, account.balance,
                   account.currency)  # fmt: skip

    def to_data(self) -> dict[str, str | int]:
        return {
            "channel": self.channel.value,
            "uid": self.uid,
            "served_by": self.served_by,
            "rate": str(self.rate),
            "balance": self.balance,
            "currency": self.currency,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> CloudTarget:
        return cls(
            channel=CloudChannel(data["channel"]),
            uid=str(data["uid"]),
            served_by=str(data["served_by"]),
            rate=Decimal(str(data["rate"])),
            balance=int(data["balance"]),
            currency=str(data["currency"]),
        )


@dataclass(frozen=True)
class CloudQuote:
    target: CloudTarget
    money: int  # micro-USD credited to the cloud account
    cost: int  # micro-USD deducted from the agent balance (money / rate)
    price: Price


class CloudLine:
    product = PRODUCT

    def __init__(
        self,
        client: CloudRechargeClient,
        pricing: Pricing,
        *,
        unpaid_grace: timedelta = timedelta(minutes=1),
    ) -> None:
        self._client = client
        self._pricing = pricing
        self._unpaid_grace = unpaid_grace

    async def lookup(self, channel: CloudChannel, uid: str) -> Reply[CloudAccount]:
        return await self._client.lookup_account(channel, uid)

    async def quote(self, target: CloudTarget, money: int) -> CloudQuote:
        """The charge for crediting `money` micro-USD to the account at its rate."""
        if target.rate <= 0:
            raise PricingError(f"upstream quoted an unusable rate {target.rate}")
        cost = math.ceil(Decimal(money) / target.rate)  # what paying deducts, rounded up
        price = await self._pricing.price(PRODUCT, cost, "USD")
        return CloudQuote(target, money, cost, price)

    @staticmethod
    def order_details(quote: CloudQuote) -> dict[str, object]:
        return {**quote.target.to_data(), "money": quote.money, "cost": quote.cost}

    async def submit(self, order: Order, remember: Remember) -> Submission:
        sn = order.upstream_ref
        if sn is None:
            created = await self._client.create_order(
                CloudChannel(order.details["channel"]), order.details["uid"], order.details["money"]
            )
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
            await remember(
                details={"sn": sn, "recharge_amount": created.value.recharge_amount},
                upstream_ref=sn,
            )
        await remember(details={"pay_sent_at": datetime.now(UTC).isoformat()})
        return await self._pay(sn, datetime.now(UTC))

    async def query(self, order: Order, remember: Remember) -> Submission:
        sn = order.upstream_ref
        if sn is None:
            return Submission(Outcome.REJECTED, reason="not_created",
                              message="no upstream order was ever created")  # fmt: skip
        sent = order.details.get("pay_sent_at")
        return self._settled(await self._client.order(sn), self._sent_at(sent))

    async def _pay(self, sn: str, sent_at: datetime) -> Submission:
        paid = await self._client.pay_order(sn)
        if paid.outcome == Outcome.UNKNOWN:
            # The answer was lost: ask upstream before anything else.
            return self._settled(await self._client.order(sn), sent_at, lost=paid)
        return self._from(paid)

    def _settled(
        self,
        status: Reply[CloudOrder],
        sent_at: datetime | None,
        lost: Reply[CloudOrder] | None = None,
    ) -> Submission:
        if status.value is not None and status.value.status == "pending":
            waited = datetime.now(UTC) - sent_at if sent_at else self._unpaid_grace
            if waited < self._unpaid_grace:
                return Submission(Outcome.UNKNOWN, reason="unpaid_for_now",
                                  message="upstream has not executed the payment yet")  # fmt: skip
            return Submission(Outcome.REJECTED, reason="never_paid",
                              message="upstream never executed the payment")  # fmt: skip
        if status.outcome == Outcome.UNKNOWN and lost is not None:
            return Submission(Outcome.UNKNOWN, reason=lost.reason, message=lost.message)
        return self._from(status)

    def _from(self, reply: Reply[CloudOrder]) -> Submission:
        details = {}
        if reply.value is not None:
            details = {"upstream_status": reply.value.status, "paid_at": reply.value.paid_at}
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
            return ("cloud recharge failed after the agent balance was deducted; the customer was "
                    "refunded and upstream owes the shop a refund")  # fmt: skip
        if reply.reason == "failed":  # read from the order's status: the message is not known
            return ("upstream reports the cloud recharge failed; the customer was refunded; check "
                    "with upstream whether the agent balance was deducted")  # fmt: skip
        return (
            f"cloud recharge refused ({reply.reason}): {reply.message}; the customer was refunded"
        )

    @staticmethod
    def _sent_at(value: object) -> datetime | None:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
