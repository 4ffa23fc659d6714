"""TRON energy rental API (docs/upstreams/tron-energy.md): balance and prices, orders, order status.

Amounts are in sun, which are exactly micro-units of TRX. `outTradeNo` is our order id and the
upstream refuses a second order with it (600004), so placing an order is safe to retry; meeting
600004 means an earlier attempt may have placed it, which only the order's platform number can
settle, so it is UNKNOWN, never a failure.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import AliasChoices, BaseModel, Field

from providers.http import HttpTransport, RetryPolicy, Timeouts, decode, refusal, unreadable
from providers.outcomes import UNDOCUMENTED, Outcome, Reply, by_status

M = TypeVar("M", bound=BaseModel)

PERIODS = ("1H", "1D", "3D", "30D")


class EnergyPrice(BaseModel):
    period: str
    price: int  # sun per unit of energy


class EnergyAccount(BaseModel):
    available_energy: int = Field(validation_alias="platformAvailEnergy")
    minimum_order_energy: int = Field(validation_alias="minimumOrderEnergy")
    prices: list[EnergyPrice]
    balance: int  # sun


class PlacedEnergyOrder(BaseModel):
    order_no: str = Field(validation_alias="orderNo")
    charged: int = Field(validation_alias=AliasChoices("amount", "price"))  # sun
    balance: int


class EnergyOrder(BaseModel):
    order_no: str = Field(validation_alias="orderNo")
    out_trade_no: str = Field(validation_alias="outTradeNo")
    receive_address: str = Field(validation_alias="receiveAddress")
    energy: int = Field(validation_alias="energyAmount")
    period: str
    amount: int  # sun paid
    create_time: str | None = Field(default=None, validation_alias="createTime")
    status: str
    refund_amount: int = Field(default=0, validation_alias="refundAmount")  # sun


# Every documented code → outcome and our reason.
ERRORS: dict[int, tuple[Outcome, str]] = {
    10001: (Outcome.REJECTED, "invalid_parameters"),
    600001: (Outcome.REJECTED, "bad_api_key"),
    600002: (Outcome.REJECTED, "bad_signature"),
    600003: (Outcome.REJECTED, "unsupported_period"),
    600004: (Outcome.UNKNOWN, "out_trade_no_used"),
    600005: (Outcome.REJECTED, "upstream_balance_insufficient"),
    600006: (Outcome.REJECTED, "no_resources"),
    600007: (Outcome.REJECTED, "order_not_found"),
    600008: (Outcome.REJECTED, "ip_not_whitelisted"),
}

ORDER_STATUSES: dict[str, Outcome] = {
    "WAIT_DELEGATE": Outcome.PENDING,  # paid, waiting to delegate
    "PENDING": Outcome.PENDING,  # delegating
    "FINISHED": Outcome.SUCCEEDED,
    "ABORT": Outcome.REJECTED,  # failed; refundAmount says what came back
    "BREAK_OFF": Outcome.REJECTED,  # stopped part-way; refundAmount says what came back
}


def signed_body(params: dict[str, Any]) -> str:
    """The non-empty parameters as compact JSON with sorted keys; `{}` when there are none."""
    present = {name: value for name, value in params.items() if value not in (None, "")}
    return json.dumps(present, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def sign(api_secret: str, timestamp: str, body: str) -> str:
    message = f"{timestamp}&{body}".encode()
    return hmac.new(api_secret.encode(), message, hashlib.sha256).hexdigest()


class EnergyClient:
    name = "energy"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        api_secret: str,
        *,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._http = HttpTransport(base_url, name=self.name, timeouts=timeouts, retry=retry)
        self._api_key = api_key
        self._api_secret = api_secret
        self._clock = clock

    async def close(self) -> None:
        await self._http.close()

    async def balance(self) -> Reply[EnergyAccount]:
        """Our balance with the upstream, its free energy, the minimum order and the prices."""
        return await self._call("/v1/balance", {}, EnergyAccount, retry=True)

    async def place_order(
        self,
        *,
        energy: int,
        period: str,
        receive_address: str,
        out_trade_no: str,
        notify_url: str | None = None,
    ) -> Reply[PlacedEnergyOrder]:
        params = {
            "energyAmount": energy,
            "period": period,
            "receiveAddress": receive_address,
            "outTradeNo": out_trade_no,
            "notifyUrl": notify_url,
        }
        return await self._call("/v1/order", params, PlacedEnergyOrder, retry=True)

    async def order_info(self, order_no: str) -> Reply[EnergyOrder]:
        """The order by the upstream's number; the outcome follows its status."""
        reply = await self._call("/v1/order/info", {"orderNo": order_no}, EnergyOrder, retry=True)
        return by_status(reply, ORDER_STATUSES, lambda order: order.status)

    async def _call(
        self, path: str, params: dict[str, Any], model: type[M], *, retry: bool
    ) -> Reply[M]:
        body = signed_body(params)
        timestamp = str(int(self._clock()))
        headers = {
            "API-KEY": self._api_key,
            "TIMESTAMP": timestamp,
            "SIGNATURE": sign(self._api_secret, timestamp, body),
            "Content-Type": "application/json",
        }
        result = await self._http.request(
            "POST", path, safe_to_retry=retry, body=body.encode(), headers=headers
        )
        if isinstance(result, Reply):
            return result
        payload = result.payload
        if not isinstance(payload, dict) or not isinstance(payload.get("code"), int):
            return unreadable(result, self.name)
        code, message = payload["code"], str(payload.get("msg") or "")
        if code != 200:
            outcome, reason = ERRORS.get(code, (Outcome.UNKNOWN, UNDOCUMENTED))
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
        return decode(
            result, model, payload.get("data"), self.name, upstream_code="200", message=message
        )
