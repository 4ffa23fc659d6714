"""AceData platform (docs/upstreams/acedata.md): credit packages that the
customer pays for directly through a pay link, never from the shop's balance.

Its document gives no error format. Errors are read as HTTP statuses: 4xx other than 429 are
refusals, 429 and 5xx are not answers. Creating an order carries no idempotency key, so it is not
retried; a duplicate would only be an unpaid order that expires.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from providers.amounts import Micro
from providers.http import HttpTransport, RetryPolicy, Timeouts, decode
from providers.outcomes import HTTP_ERROR, Outcome, Reply, by_status

PAY_WAYS = ("Stripe", "WechatPay", "AliPay", "X402")


class AcePackage(BaseModel):
    id: str
    title: str = ""
    amount: int  # credits
    price: Micro  # USD
    custom_amount: bool = False


class AceService(BaseModel):
    id: str
    title: str = ""
    packages: list[AcePackage] = []


class AceServices(BaseModel):
    """The fields of the public listing this shop uses; its document does not define it."""

    results: list[AceService]


class AceOrder(BaseModel):
    id: str
    application_id: str
    package_id: str
    amount: int  # credits
    price: Micro  # USD the customer pays AceData
    pay_way: str
    pay_url: str | None = None
    state: str
    created_at: str | None = None
    updated_at: str | None = None


ORDER_STATES: dict[str, Outcome] = {
    "Pending": Outcome.PENDING,  # waiting for the customer to pay
    "Paid": Outcome.PENDING,  # paid, credits not yet added
    "Finished": Outcome.SUCCEEDED,
    "Expired": Outcome.REJECTED,
    "Failed": Outcome.REJECTED,
    "Refunded": Outcome.REJECTED,
}

# HTTP status → outcome and our reason (its document gives no business codes).
ERRORS: dict[int, tuple[Outcome, str]] = {
    400: (Outcome.REJECTED, "invalid_request"),
    401: (Outcome.REJECTED, "unauthorized"),
    403: (Outcome.REJECTED, "forbidden"),
    404: (Outcome.REJECTED, "not_found"),
    429: (Outcome.UNKNOWN, "too_many_requests"),
}


class AceDataClient:
    name = "acedata"

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._http = HttpTransport(base_url, name=self.name, timeouts=timeouts, retry=retry)
        self._headers = {"authorization": f"Bearer {token}", "accept": "application/json"}

    async def close(self) -> None:
        await self._http.close()

    async def services(self) -> Reply[AceServices]:
        return await self._call("GET", "/api/v1/services/", AceServices, retry=True)

    async def create_order(
        self, *, application_id: str, package_id: str, pay_way: str, amount: int | None = None
    ) -> Reply[AceOrder]:
        """An order the customer pays through its `pay_url`; its outcome follows its state."""
        body: dict[str, Any] = {
            "application_id": application_id,
            "package_id": package_id,
            "pay_way": pay_way,
        }
        if amount is not None:
            body["amount"] = amount
        reply = await self._call("POST", "/api/v1/orders/", AceOrder, body=body, retry=False)
        return self._by_state(reply)

    async def order(self, order_id: str) -> Reply[AceOrder]:
        reply = await self._call("GET", f"/api/v1/orders/{order_id}/", AceOrder, retry=True)
        return self._by_state(reply)

    @staticmethod
    def _by_state(reply: Reply[AceOrder]) -> Reply[AceOrder]:
        return by_status(reply, ORDER_STATES, lambda order: order.state)

    async def _call(
        self,
        method: str,
        path: str,
        kind: Any,
        *,
        body: dict[str, Any] | None = None,
        retry: bool,
    ) -> Reply[Any]:
        result = await self._http.request(
            method, path, safe_to_retry=retry, json_body=body, headers=self._headers
        )
        if isinstance(result, Reply):
            return result
        if result.status >= 300:
            outcome, reason = ERRORS.get(result.status, (Outcome.UNKNOWN, HTTP_ERROR))
            error = result.payload.get("error") if isinstance(result.payload, dict) else None
            detail = error if isinstance(error, dict) else {}
            return Reply(
                outcome,
                reason=reason,
                upstream_code=str(detail.get("code") or result.status),
                message=str(detail.get("message") or result.text[:200]),
                http_status=result.status,
            )
        return decode(result, kind, result.payload, self.name)
