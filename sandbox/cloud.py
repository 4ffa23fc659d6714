"""Cloud recharge agent API simulator (docs/upstreams/cloud-recharge.md), written from the document
alone.

Authentication: `X-App-Id` and `X-Sign` = sha256(app_id + app_secret), hex. Creating an order
deducts nothing; paying deducts the agent balance and recharges. Accounts with special behaviour:

| channel | uid | behaviour |
|---|---|---|
| qcloud | 200000000000 | normal; amounts as strings; rate 1.00 |
| qcloud | 200000000001 | served by the `kelly_qcloud` channel; amounts as numbers; rate 0.95 |
| aliyun | 5123456789012345 or buyer@example.com | normal; rate 0.98 |
| qcloud | 200000000500 | pay deducts the agent balance, then fails: 500 (upstream owes a refund) |
| qcloud | 200000000409 | the recharge fails without deduction: 409 "Order recharge failed" |

Orders report only the statuses the document names, `pending` and `paid`: an order that is
processing, failed or refunded reads `pending`, and a second pay tells which (409).

Knobs: `agent_balance`, `allowed_ips` (None: any), `pay_seconds` (how long a recharge takes; a
second pay meanwhile gets 409 "processing"), `refund(sn)`, and the faults of `sandbox.faults`.
Over HTTP:
`POST /_sandbox/agent-balance {"balance"}`, `POST /_sandbox/orders/{sn}/refund`,
`POST /_sandbox/pay-seconds {"seconds"}`.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from sandbox.faults import FaultPlan, fault_routes
from sandbox.server import simulator_app

DEMO_APP_ID = "demo-agent"
DEMO_APP_SECRET = "demo-agent-secret"
DEDUCTED_FAILURE = (
    "Cloud recharge failed, agent balance has been deducted, please contact backend support"
)
_AMOUNT = re.compile(r"^[0-9]+(\.[0-9]{1,2})?$")


@dataclass
class Account:
    channel: str  # the channel that actually serves it
    uid: str
    balance: Decimal
    rate: Decimal
    as_strings: bool = True
    recharge: str = "ok"  # ok | fail_deducted | fail


@dataclass
class Order:
    sn: str
    account: Account
    money: Decimal
    recharge_amount: Decimal
    status: str = "pending"  # pending, processing, paid, failed, refunded
    created_at: str = ""
    paid_at: str | None = None


def _now() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S")


def _answer(code: int, message: str, data: Any = None) -> web.Response:
    return web.json_response(
        {"code": code, "message": message, "data": data}, status=200 if code == 0 else code
    )


class CloudSimulator:
    def __init__(self, app_id: str = DEMO_APP_ID, app_secret: str = DEMO_APP_SECRET) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.agent_balance = Decimal("10000.00")
        self.allowed_ips: set[str] | None = None
        self.pay_seconds = 0.0
        self.plan = FaultPlan()
        self.orders: dict[str, Order] = {}
        self.owed_refunds: list[str] = []
        self.accounts: dict[tuple[str, str], Account] = {}
        self._serial = itertools.count(1_234_567_890)
        tencent = Account("qcloud", "200000000000", Decimal("100.00"), Decimal("1.00"))
        kelly = Account("kelly_qcloud", "200000000001", Decimal("5.5"), Decimal("0.95"), False)
        alibaba = Account("aliyun", "5123456789012345", Decimal("42.10"), Decimal("0.98"))
        deducted = Account("qcloud", "200000000500", Decimal("0"), Decimal("1.00"))
        deducted.recharge = "fail_deducted"
        failing = Account("qcloud", "200000000409", Decimal("0"), Decimal("1.00"))
        failing.recharge = "fail"
        for requested, key, account in (
            ("qcloud", tencent.uid, tencent),
            ("qcloud", kelly.uid, kelly),
            ("aliyun", alibaba.uid, alibaba),
            ("aliyun", "buyer@example.com", alibaba),
            ("qcloud", deducted.uid, deducted),
            ("qcloud", failing.uid, failing),
        ):
            self.accounts[(requested, key)] = account

    # -- knobs --

    def refund(self, sn: str) -> None:
        self.orders[sn].status = "refunded"

    # -- the API --

    def _authenticated(self, request: web.Request) -> web.Response | None:
        expected = hashlib.sha256(f"{self.app_id}{self.app_secret}".encode()).hexdigest()
        if (
            request.headers.get("X-App-Id") != self.app_id
            or request.headers.get("X-Sign", "").lower() != expected
        ):
            return _answer(401, "Agent authentication failed")
        if self.allowed_ips is not None and request.remote not in self.allowed_ips:
            return _answer(403, "IP is not in the whitelist")
        return None

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    def _amount(self, value: Decimal, as_strings: bool) -> str | float:
        return f"{value:.2f}" if as_strings else float(value)

    def _order_data(self, order: Order) -> dict[str, Any]:
        strings = order.account.as_strings
        return {
            "sn": order.sn,
            "channel": order.account.channel,
            "uid": order.account.uid,
            "money": str(order.money) if strings else float(order.money),
            "recharge_amount": self._amount(order.recharge_amount, strings),
            # The document names only these two; its other states show through pay's answers.
            "status": "paid" if order.status == "paid" else "pending",
            "created_at": order.created_at,
            "paid_at": order.paid_at,
        }

    def _find(self, channel: Any, uid: Any) -> Account | web.Response:
        if not channel or not uid:
            return _answer(422, "channel, uid, and money cannot be empty")
        if channel not in ("qcloud", "aliyun"):
            return _answer(422, "channel can only be qcloud or aliyun")
        account = self.accounts.get((str(channel), str(uid).strip()))
        if account is None:
            return _answer(404, "Account does not exist")
        return account

    async def lookup(self, request: web.Request) -> web.Response:
        if refused := self._authenticated(request):
            return refused
        body = await self._body(request)
        found = self._find(body.get("channel"), body.get("uid"))
        if isinstance(found, web.Response):
            return found
        return _answer(
            0,
            "ok",
            {
                "channel": found.channel,
                "uid": found.uid,
                "balance": self._amount(found.balance, found.as_strings),
                "currency": "USD",
                "rate": self._amount(found.rate, found.as_strings),
                "payment_method": "USDT_TRC20",
            },
        )

    async def create_order(self, request: web.Request) -> web.Response:
        if refused := self._authenticated(request):
            return refused
        body = await self._body(request)
        money_raw = body.get("money")
        if not body.get("channel") or not body.get("uid") or money_raw in (None, ""):
            return _answer(422, "channel, uid, and money cannot be empty")
        found = self._find(body.get("channel"), body.get("uid"))
        if isinstance(found, web.Response):
            return found
        text = str(money_raw)
        try:
            money = Decimal(text)
        except InvalidOperation:
            return _answer(422, "Invalid amount format")
        if not _AMOUNT.match(text) or not money.is_finite():
            return _answer(422, "Invalid amount format")
        if money < 1:
            return _answer(422, "Amount cannot be less than 1")
        sn = f"ba{datetime.now():%Y%m%d}{next(self._serial)}"
        recharge_amount = (money / found.rate).quantize(Decimal("0.01"), ROUND_HALF_UP)
        order = Order(sn, found, money, recharge_amount, created_at=_now())
        self.orders[sn] = order
        return _answer(0, "ok", self._order_data(order))

    async def pay_order(self, request: web.Request) -> web.Response:
        if refused := self._authenticated(request):
            return refused
        order = self.orders.get(request.match_info["sn"])
        if order is None:
            return _answer(404, "Order does not exist")
        refusals = {
            "paid": "Order has been recharged successfully, please do not confirm repeatedly",
            "refunded": "Order has been refunded and cannot be paid",
            "processing": "Order is processing, please do not pay repeatedly",
            "failed": "Order recharge failed, please contact backend support",
        }
        if order.status in refusals:
            return _answer(409, refusals[order.status])
        if self.agent_balance < order.recharge_amount:
            return _answer(402, "Insufficient agent balance")
        if order.account.recharge == "fail":
            order.status = "failed"
            return _answer(409, refusals["failed"])
        self.agent_balance -= order.recharge_amount
        order.status = "processing"
        if self.pay_seconds:
            await asyncio.sleep(self.pay_seconds)
        if order.account.recharge == "fail_deducted":
            order.status = "failed"
            self.owed_refunds.append(order.sn)
            return _answer(500, DEDUCTED_FAILURE)
        order.status = "paid"
        order.paid_at = _now()
        order.account.balance += order.money
        return _answer(0, "ok", self._order_data(order))

    async def order_details(self, request: web.Request) -> web.Response:
        if refused := self._authenticated(request):
            return refused
        order = self.orders.get(request.match_info["sn"])
        if order is None:
            return _answer(404, "Order does not exist")
        return _answer(0, "ok", self._order_data(order))

    # -- knobs over HTTP --

    async def _set_agent_balance(self, request: web.Request) -> web.Response:
        self.agent_balance = Decimal(str((await request.json())["balance"]))
        return web.json_response({"balance": str(self.agent_balance)})

    async def _refund(self, request: web.Request) -> web.Response:
        sn = request.match_info["sn"]
        if sn not in self.orders:
            raise web.HTTPNotFound(text="no such order")
        self.refund(sn)
        return web.json_response({"sn": sn, "status": "refunded"})

    async def _set_pay_seconds(self, request: web.Request) -> web.Response:
        self.pay_seconds = float((await request.json())["seconds"])
        return web.json_response({"seconds": self.pay_seconds})

    def app(self) -> web.Application:
        app = simulator_app(self.plan)
        app.add_routes(
            [
                web.post("/api/uid", self.lookup),
                web.post("/api/orders", self.create_order),
                web.post("/api/orders/{sn}/pay", self.pay_order),
                web.get("/api/orders/{sn}", self.order_details),
                web.post("/_sandbox/agent-balance", self._set_agent_balance),
                web.post("/_sandbox/orders/{sn}/refund", self._refund),
                web.post("/_sandbox/pay-seconds", self._set_pay_seconds),
                *fault_routes(self.plan),
            ]
        )
        return app
