"""Account shop API (docs/upstreams/account-shop.md): services with price and stock, detail, and
buying accounts.

Prices are in the shop's own currency (SHOP_CURRENCY), parsed exactly into micro-units of it.
`request_id` is the shop's idempotency key: buying again with the same one returns the first
order, so a purchase is safe to retry with it.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from providers.amounts import Micro
from providers.http import (
    Exchange,
    HttpTransport,
    RetryPolicy,
    Timeouts,
    decode,
    refusal,
    unreadable,
)
from providers.outcomes import HTTP_ERROR, UNDOCUMENTED, UNREADABLE, Outcome, Reply

log = logging.getLogger(__name__)

SERVICE_PATH = "/user/api/service.php"
ORDER_PATH = "/user/api/order.php"


class ShopService(BaseModel):
    id: int
    name: str
    price: Micro  # micro-units of the shop's currency, per account
    status: int
    total: int = 0
    total_available: int = 0
    total_sold: int = 0


class ShopServiceDetail(ShopService):
    status_label: str = ""
    description: str = ""
    geo: str = ""
    typeofaccount: str = ""
    set_min: int = 0
    min_value: int = 0
    set_max: int = 0
    max_value: int = 0

    @property
    def minimum(self) -> int:
        return max(1, self.min_value) if self.set_min else 1

    @property
    def maximum(self) -> int | None:
        return self.max_value if self.set_max and self.max_value > 0 else None


class ShopPurchase(BaseModel):
    order_id: str
    amount: int
    accounts: list[str] = Field(repr=False)  # the customer's secrets: never in a log line


_PURCHASE = TypeAdapter(ShopPurchase)


# Every documented code → outcome and our reason. 1xxx are the client's (nothing happened);
# 9000/9001 are the shop's own failures, which may have happened mid-purchase: unknown.
ERRORS: dict[int, tuple[Outcome, str]] = {
    1000: (Outcome.REJECTED, "bad_request"),
    1001: (Outcome.REJECTED, "bad_method"),
    1002: (Outcome.REJECTED, "missing_action"),
    1003: (Outcome.REJECTED, "unknown_action"),
    1100: (Outcome.REJECTED, "api_key_required"),
    1101: (Outcome.REJECTED, "invalid_api_key"),
    1102: (Outcome.REJECTED, "session_expired"),
    1200: (Outcome.REJECTED, "invalid_service"),
    1201: (Outcome.REJECTED, "invalid_amount"),
    1202: (Outcome.REJECTED, "upstream_balance_insufficient"),
    1203: (Outcome.REJECTED, "out_of_stock"),
    1204: (Outcome.REJECTED, "product_id_required"),
    1205: (Outcome.REJECTED, "product_not_found"),
    1300: (Outcome.REJECTED, "too_many_requests"),
    1400: (Outcome.REJECTED, "bad_security_token"),
    9000: (Outcome.UNKNOWN, "database_error"),
    9001: (Outcome.UNKNOWN, "unexpected_error"),
    9002: (Outcome.REJECTED, "maintenance"),
}


class AccountShopClient:
    name = "account shop"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._http = HttpTransport(base_url, name=self.name, timeouts=timeouts, retry=retry)
        self._api_key = api_key

    async def close(self) -> None:
        await self._http.close()

    async def list_services(
        self, *, kind: str | None = None, available_only: bool = False
    ) -> Reply[list[ShopService]]:
        """Open services; `kind` is facebook or email."""
        params = {"act": "list", "stock": "available" if available_only else "all"}
        if kind:
            params["typeofaccount"] = kind
        return await self._call("GET", SERVICE_PATH, list[ShopService], params=params)

    async def service(self, service_id: int) -> Reply[ShopServiceDetail]:
        params = {"act": "detail", "id": str(service_id)}
        return await self._call("GET", SERVICE_PATH, ShopServiceDetail, params=params)

    async def buy(self, service_id: int, amount: int, request_id: str) -> Reply[ShopPurchase]:
        """Buy `amount` accounts; the same `request_id` (our order id) returns the same order."""
        form = {
            "act": "paid",
            "api_key": self._api_key,
            "service_id": str(service_id),
            "amount": str(amount),
            "return_data": "1",
            "request_id": request_id,
        }
        return await self._call("POST", ORDER_PATH, ShopPurchase, form=form, secret=True)

    async def _call(
        self,
        method: str,
        path: str,
        kind: Any,
        *,
        params: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
        secret: bool = False,
    ) -> Reply[Any]:
        """`secret`: the answer may hold accounts, so no part of its body is logged or kept in
        the reply's message, even when it cannot be read."""
        result = await self._http.request(
            method, path, safe_to_retry=True, params=params, form=form
        )
        if isinstance(result, Reply):
            return result
        payload = result.payload
        if not isinstance(payload, dict) or not isinstance(payload.get("success"), bool):
            return self._withheld(result) if secret else unreadable(result, self.name)
        message = str(payload.get("message") or "")
        if not payload["success"]:
            code = payload.get("code")
            known = ERRORS.get(code) if isinstance(code, int) else None
            outcome, reason = known or (Outcome.UNKNOWN, UNDOCUMENTED)
            return refusal(
                result,
                Reply(
                    outcome,
                    reason=reason,
                    upstream_code=str(code),
                    message=message,
                    http_status=result.status,
                ),
            )
        if secret:
            return self._purchase(result, payload.get("data"), message)
        return decode(result, kind, payload.get("data"), self.name, message=message)

    def _purchase(self, exchange: Exchange, data: Any, message: str) -> Reply[ShopPurchase]:
        try:
            value = _PURCHASE.validate_python(data)
        except ValidationError:
            return self._withheld(exchange)
        return Reply(Outcome.SUCCEEDED, value, message=message, http_status=exchange.status)

    def _withheld(self, exchange: Exchange) -> Reply[Any]:
        """An order answer that cannot be read: unknown, its body withheld."""
        log.warning(
            "%s: an order answer (HTTP %s) could not be read; its body is not logged",
            self.name,
            exchange.status,
        )
        return Reply(
            Outcome.UNKNOWN,
            reason=UNREADABLE if exchange.status < 500 else HTTP_ERROR,
            message=f"{self.name} answered HTTP {exchange.status} with an order it could not "
            "read (body withheld: it may hold accounts)",
            http_status=exchange.status,
        )
