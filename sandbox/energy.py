"""TRON energy rental API simulator (docs/upstreams/tron-energy.md), written from the document
alone.

Requests carry `API-KEY`, `TIMESTAMP` and `SIGNATURE` = hex(HMAC-SHA256(API_SECRET,
f"{TIMESTAMP}&{body}")), where body is the non-empty parameters as compact JSON with sorted keys
(`{}` when there are none). Amounts are in sun (1 TRX = 1,000,000 sun). An order starts as
WAIT_DELEGATE, becomes PENDING after `delegate_seconds` and FINISHED after `finish_seconds`, unless
its address says otherwise (`ADDRESSES`): an inactive address is refused; ABORT refunds everything,
BREAK_OFF refunds half. Over HTTP: `POST /_sandbox/balance {"sun"}`,
`POST /_sandbox/energy {"available"}`.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from sandbox.faults import FaultPlan, fault_routes
from sandbox.server import simulator_app

DEMO_API_KEY = "Z302rm68PvaqTm6Z"
DEMO_API_SECRET = "1864fb62564c8e516ecad98b001918b1feddf3d6e5ab93b1de20f7cdb3f8e159"
_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def tron_address(body: bytes) -> str:
    """A base58check TRON address for a 20-byte account body (version byte 0x41)."""
    payload = b"\x41" + body
    checksum = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    number = int.from_bytes(payload + checksum, "big")
    text = ""
    while number:
        number, digit = divmod(number, 58)
        text = _ALPHABET[digit] + text
    return text


DOCUMENT_ADDRESS = "TPP5NBKiMX8AjS4fyao2Nj6AhFFCqDXgWS"
INACTIVE_ADDRESS = tron_address(bytes([1] * 20))
ABORT_ADDRESS = tron_address(bytes([2] * 20))
BREAK_OFF_ADDRESS = tron_address(bytes([3] * 20))
ADDRESSES = {INACTIVE_ADDRESS: "inactive", ABORT_ADDRESS: "abort", BREAK_OFF_ADDRESS: "break_off"}


@dataclass
class EnergyOrder:
    order_no: str
    out_trade_no: str
    address: str
    energy: int
    period: str
    amount: int
    created: float
    create_time: str
    ending: str  # finish | abort | break_off


def canonical_body(params: dict[str, Any]) -> str:
    present = {k: v for k, v in params.items() if v not in (None, "")}
    return json.dumps(present, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def signature(secret: str, timestamp: str, body: str) -> str:
    return hmac.new(secret.encode(), f"{timestamp}&{body}".encode(), hashlib.sha256).hexdigest()


def _answer(code: int, msg: str, data: Any = None) -> web.Response:
    body: dict[str, Any] = {"code": code, "msg": msg}
    if data is not None:
        body["data"] = data
    return web.json_response(body)


class EnergySimulator:
    def __init__(self, api_key: str = DEMO_API_KEY, api_secret: str = DEMO_API_SECRET) -> None:
        self.api_key = api_key
        self.api_secret = api_secret
        self.balance = 86_520_000  # sun
        self.available_energy = 200_000_000
        self.minimum_energy = 65_000
        self.prices = {"1H": 36, "1D": 100, "3D": 260, "30D": 2_400}  # sun per unit of energy
        self.delegate_seconds = 0.2
        self.finish_seconds = 0.5
        self.allowed_ips: set[str] | None = None
        self.plan = FaultPlan()
        self.orders: dict[str, EnergyOrder] = {}
        self._numbers = itertools.count(790_208_155_853_393_920)

    async def _verified(self, request: web.Request) -> dict[str, Any] | web.Response:
        raw = await request.text()
        try:
            params = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return _answer(10001, "参数格式错误")
        if not isinstance(params, dict):
            return _answer(10001, "参数格式错误")
        key = request.headers.get("API-KEY", "")
        timestamp = request.headers.get("TIMESTAMP", "")
        signed = request.headers.get("SIGNATURE", "")
        if not key:
            return _answer(10001, "请求头API_KEY不能为空")
        if not timestamp.isdigit() or not signed:
            return _answer(10001, "请求头TIMESTAMP或SIGNATURE不能为空")
        if key != self.api_key:
            return _answer(600001, "apiKey错误或已失效")
        expected = signature(self.api_secret, timestamp, canonical_body(params))
        if not hmac.compare_digest(expected, signed.lower()):
            return _answer(600002, "签名错误")
        if self.allowed_ips is not None and request.remote not in self.allowed_ips:
            return _answer(600008, "IP不在白名单中")
        return params

    async def balance_info(self, request: web.Request) -> web.Response:
        params = await self._verified(request)
        if isinstance(params, web.Response):
            return params
        return _answer(
            200,
            "成功",
            {
                "platformAvailEnergy": self.available_energy,
                "minimumOrderEnergy": self.minimum_energy,
                "prices": [{"period": p, "price": price} for p, price in self.prices.items()],
                "balance": self.balance,
            },
        )

    async def place_order(self, request: web.Request) -> web.Response:
        params = await self._verified(request)
        if isinstance(params, web.Response):
            return params
        energy, period = params.get("energyAmount"), params.get("period")
        address, out_trade_no = params.get("receiveAddress"), params.get("outTradeNo")
        if not isinstance(energy, int) or isinstance(energy, bool) or energy <= 0:
            return _answer(10001, "energyAmount参数错误")
        if not address or not out_trade_no or not period:
            return _answer(10001, "参数不能为空")
        if len(str(out_trade_no)) >= 64:
            return _answer(10001, "outTradeNo长度必须小于64位")
        if period not in self.prices:
            return _answer(600003, "不支持的租赁周期")
        if energy < self.minimum_energy:
            return _answer(10001, f"能量不能小于最小下单能量{self.minimum_energy}")
        if any(order.out_trade_no == out_trade_no for order in self.orders.values()):
            return _answer(600004, "单号已使用,请更换订单号")
        if ADDRESSES.get(str(address)) == "inactive":
            return _answer(10001, "接收地址未激活")
        if energy > self.available_energy:
            return _answer(600006, "资源不足")
        cost = energy * self.prices[str(period)]
        if cost > self.balance:
            return _answer(600005, "余额不足")
        self.balance -= cost
        self.available_energy -= energy
        order = EnergyOrder(
            order_no=str(next(self._numbers)),
            out_trade_no=str(out_trade_no),
            address=str(address),
            energy=energy,
            period=str(period),
            amount=cost,
            created=time.monotonic(),
            create_time=datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            ending=ADDRESSES.get(str(address), "finish"),
        )
        self.orders[order.order_no] = order
        return _answer(
            200, "成功", {"orderNo": order.order_no, "price": cost, "balance": self.balance}
        )

    def _status(self, order: EnergyOrder) -> tuple[str, int]:
        age = time.monotonic() - order.created
        if age < self.delegate_seconds:
            return "WAIT_DELEGATE", 0
        if age < self.finish_seconds:
            return "PENDING", 0
        if order.ending == "abort":
            return "ABORT", order.amount
        if order.ending == "break_off":
            return "BREAK_OFF", order.amount // 2
        return "FINISHED", 0

    async def order_info(self, request: web.Request) -> web.Response:
        params = await self._verified(request)
        if isinstance(params, web.Response):
            return params
        order = self.orders.get(str(params.get("orderNo") or ""))
        if order is None:
            return _answer(600007, "订单不存在")
        status, refund = self._status(order)
        return _answer(
            200,
            "成功",
            {
                "orderNo": order.order_no,
                "outTradeNo": order.out_trade_no,
                "receiveAddress": order.address,
                "energyAmount": order.energy,
                "period": order.period,
                "amount": order.amount,
                "createTime": order.create_time,
                "status": status,
                "refundAmount": refund,
            },
        )

    async def _set_balance(self, request: web.Request) -> web.Response:
        self.balance = int((await request.json())["sun"])
        return web.json_response({"balance": self.balance})

    async def _set_energy(self, request: web.Request) -> web.Response:
        self.available_energy = int((await request.json())["available"])
        return web.json_response({"available": self.available_energy})

    def app(self) -> web.Application:
        app = simulator_app(self.plan)
        app.add_routes(
            [
                web.post("/v1/balance", self.balance_info),
                web.post("/v1/order", self.place_order),
                web.post("/v1/order/info", self.order_info),
                web.post("/_sandbox/balance", self._set_balance),
                web.post("/_sandbox/energy", self._set_energy),
                *fault_routes(self.plan),
            ]
        )
        return app
