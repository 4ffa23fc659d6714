"""Cloud recharge agent API (docs/upstreams/cloud-recharge.md): Tencent Cloud and Alibaba Cloud
account top-ups.

Flow: look up the account and rate, create an order (deducts nothing), pay it (deducts the agent
balance and recharges), and read the order. A pay whose answer is lost is resolved with `order(sn)`,
never by assuming failure, so `pay_order` is never retried here.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel

from providers.amounts import Micro, from_micro
from providers.http import HttpTransport, RetryPolicy, Timeouts, decode, unreadable
from providers.outcomes import UNDOCUMENTED, Outcome, Reply, by_status

M = TypeVar("M", bound=BaseModel)


class CloudChannel(StrEnum):
    TENCENT = "qcloud"
    ALIBABA = "aliyun"


class CloudAccount(BaseModel):
    channel: str  # the channel that serves it: qcloud, aliyun, kelly_qcloud, kelly_aliyun
    uid: str
    balance: Micro
    currency: str
    rate: Decimal
    payment_method: str | None = None


class CloudOrder(BaseModel):
    sn: str
    channel: str
    uid: str
    money: Micro  # what the cloud account receives
    recharge_amount: Micro  # what paying deducts from the agent balance (money / rate)
    status: str
    created_at: str | None = None
    paid_at: str | None = None


# Every documented error: (business code, words in the message) → outcome and our reason.
ERRORS: tuple[tuple[int, str, Outcome, str], ...] = (
    (401, "authentication failed", Outcome.REJECTED, "auth_failed"),
    (403, "not in the whitelist", Outcome.REJECTED, "ip_not_whitelisted"),
    (422, "cannot be empty", Outcome.REJECTED, "missing_fields"),
    (422, "channel can only be", Outcome.REJECTED, "invalid_channel"),
    (422, "invalid amount format", Outcome.REJECTED, "invalid_amount"),
    (422, "cannot be less than 1", Outcome.REJECTED, "amount_below_minimum"),
    (402, "insufficient agent balance", Outcome.REJECTED, "agent_balance_insufficient"),
    (404, "account does not exist", Outcome.REJECTED, "account_not_found"),
    (404, "order does not exist", Outcome.REJECTED, "order_not_found"),
    (409, "recharged successfully", Outcome.SUCCEEDED, "already_recharged"),
    (409, "has been refunded", Outcome.REJECTED, "refunded"),
    (409, "is processing", Outcome.PENDING, "processing"),
    (409, "recharge failed", Outcome.REJECTED, "recharge_failed"),
    (500, "agent balance has been deducted", Outcome.REJECTED, "failed_balance_deducted"),
)

# What an order's status says about the recharge. The document names pending and paid; the other
# statuses are implied by its 409 messages and handled the same way.
ORDER_STATUSES: dict[str, Outcome] = {
    "paid": Outcome.SUCCEEDED,
    "pending": Outcome.PENDING,  # created, not paid
    "processing": Outcome.PENDING,
    "failed": Outcome.REJECTED,
    "refunded": Outcome.REJECTED,
}


def classify_error(code: int, message: str) -> tuple[Outcome, str]:
    lowered = message.lower()
    for known_code, words, outcome, reason in ERRORS:
        if code == known_code and words in lowered:
            return outcome, reason
    return Outcome.UNKNOWN, UNDOCUMENTED


def agent_signature(app_id: str, app_secret: str) -> str:
    return hashlib.sha256(f"{app_id}{app_secret}".encode()).hexdigest()


class CloudRechargeClient:
    name = "cloud recharge"

    def __init__(
        self,
        base_url: str,
        app_id: str,
        app_secret: str,
        *,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._http = HttpTransport(base_url, name=self.name, timeouts=timeouts, retry=retry)
        self._headers = {"X-App-Id": app_id, "X-Sign": agent_signature(app_id, app_secret)}

    async def close(self) -> None:
        await self._http.close()

    async def lookup_account(self, channel: CloudChannel, uid: str) -> Reply[CloudAccount]:
        """Tencent Cloud takes a UID; Alibaba Cloud a UID or an email."""
        return await self._call(
            "POST", "/api/uid", CloudAccount, {"channel": str(channel), "uid": uid}, retry=True
        )

    async def create_order(self, channel: CloudChannel, uid: str, money: int) -> Reply[CloudOrder]:
        """A pending order for `money` micro-units of USD; nothing is deducted yet."""
        body = {"channel": str(channel), "uid": uid, "money": from_micro(money)}
        return await self._call("POST", "/api/orders", CloudOrder, body, retry=False)

    async def pay_order(self, sn: str) -> Reply[CloudOrder]:
        """Deduct the agent balance and recharge. Success is an answer whose order is `paid`;
        paying an already paid order counts as success and returns the order as it stands."""
        reply = await self._call("POST", f"/api/orders/{sn}/pay", CloudOrder, None, retry=False)
        if reply.value is not None:  # code 0: the recharge happened only if the order says paid
            return by_status(reply, ORDER_STATUSES, lambda order: order.status)
        if reply.reason == "already_recharged":
            current = await self.order(sn)
            if current.value is not None:
                return Reply(
                    Outcome.SUCCEEDED,
                    current.value,
                    reason="already_recharged",
                    upstream_code=reply.upstream_code,
                    message=reply.message,
                    http_status=reply.http_status,
                )
        return reply

    async def order(self, sn: str) -> Reply[CloudOrder]:
        """The order as upstream sees it; the outcome follows its status."""
        reply = await self._call("GET", f"/api/orders/{sn}", CloudOrder, None, retry=True)
        return by_status(reply, ORDER_STATUSES, lambda order: order.status)

    async def _call(
        self,
        method: str,
        path: str,
        model: type[M],
        body: dict[str, Any] | None,
        *,
        retry: bool,
    ) -> Reply[M]:
        result = await self._http.request(
            method, path, safe_to_retry=retry, json_body=body, headers=self._headers
        )
        if isinstance(result, Reply):
            return result
        payload = result.payload
        if not isinstance(payload, dict) or not isinstance(payload.get("code"), int):
            return unreadable(result, self.name)
        code, message = payload["code"], str(payload.get("message") or "")
        if code != 0:
            outcome, reason = classify_error(code, message)
            return Reply(
                outcome,
                reason=reason,
                upstream_code=str(code),
                message=message,
                http_status=result.status,
            )
        return decode(
            result, model, payload.get("data"), self.name, upstream_code="0", message=message
        )
