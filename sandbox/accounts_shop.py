"""Account shop API simulator (docs/upstreams/account-shop.md), written from the document alone.

`service.php` lists services (`act=list`, filters `stock`/`stock_filter` = all|available and
`typeofaccount` = facebook|email) and shows one (`act=detail&id=`), with no key. `order.php`
(`act=paid`, `api_key`, `service_id`, `amount`, `request_id`) takes the price from the key's balance
in one transaction and returns the accounts; replaying a `request_id` returns the same order.
Answers are `{"success", "message", "data", "timespan"}`, errors carry `code`. Prices are in the
shop's currency. Over HTTP: `POST /_sandbox/stock {"service_id", "available"}`,
`POST /_sandbox/balance {"balance"}`.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sandbox.faults import FaultPlan, fault_routes
from sandbox.server import simulator_app

DEMO_API_KEY = "demo-shop-key"
MESSAGES = {
    1000: "Bad request.",
    1001: "Invalid request method.",
    1002: "Missing action.",
    1003: "Unknown action.",
    1100: "Login or API key is required.",
    1101: "Invalid API key.",
    1200: "Invalid service.",
    1201: "Invalid amount.",
    1202: "Insufficient balance.",
    1203: "Service is out of stock.",
    1204: "Product ID is required.",
    1205: "Product was not found.",
}


@dataclass
class Service:
    id: int
    name: str
    price: int  # in the shop's currency
    typeofaccount: str
    geo: str
    available: int
    sold: int = 0
    dead: int = 0
    status: int = 1  # 1 open, 0 locked
    min_value: int = 0
    max_value: int = 0
    description: str = ""

    def summary(self) -> dict[str, Any]:
        total = self.available + self.sold + self.dead
        return {
            "id": self.id,
            "name": self.name,
            "price": self.price,
            "status": self.status,
            "total": total,
            "total_available": self.available,
            "total_sold": self.sold,
            "total_unsold": self.available + self.dead,
            "total_die_unsold": self.dead,
        }

    def detail(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "status_label": "Active" if self.status == 1 else "Locked",
            "description": self.description,
            "geo": self.geo,
            "typeofaccount": self.typeofaccount,
            "set_min": int(self.min_value > 0),
            "min_value": self.min_value,
            "set_max": int(self.max_value > 0),
            "max_value": self.max_value,
        }


@dataclass
class Purchase:
    order_id: str
    service_id: int
    amount: int
    accounts: list[str] = field(default_factory=list)


def _ok(data: Any) -> web.Response:
    return web.json_response(
        {"success": True, "message": "OK", "data": data, "timespan": int(time.time())}
    )


def _error(code: int) -> web.Response:
    return web.json_response(
        {"success": False, "code": code, "message": MESSAGES[code], "timespan": int(time.time())}
    )


class AccountShopSimulator:
    def __init__(self, api_key: str = DEMO_API_KEY) -> None:
        self.api_key = api_key
        self.balance = 5_000_000  # in the shop's currency
        self.plan = FaultPlan()
        self.services = {
            1: Service(1, "Clone US", 300, "facebook", "US", 850, sold=100, dead=50),
            2: Service(
                2,
                "Via VN 2FA",
                12_000,
                "facebook",
                "VN",
                40,
                min_value=2,
                max_value=20,
                description="Verified, 2FA enabled",
            ),
            3: Service(3, "Gmail aged", 4_500, "email", "US", 0, sold=310),
            4: Service(4, "Outlook fresh", 800, "email", "GLOBAL", 500),
            5: Service(5, "Locked item", 100, "email", "US", 10, status=0),
        }
        self.purchases: dict[str, Purchase] = {}  # by request_id (or order id when none)
        self._serial = itertools.count(1)

    async def _params(self, request: web.Request) -> dict[str, str]:
        params = dict(request.query)
        if request.method == "POST":
            params.update({k: str(v) for k, v in (await request.post()).items()})
        return params

    async def service(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        act = params.get("act")
        if not act:
            return _error(1002)
        if act == "list":
            stock = params.get("stock") or params.get("stock_filter") or "all"
            kind = params.get("typeofaccount")
            open_services = [
                s
                for s in self.services.values()
                if s.status == 1
                and (stock != "available" or s.available > 0)
                and (not kind or s.typeofaccount == kind)
            ]
            return _ok([s.summary() for s in open_services])
        if act == "detail":
            raw = params.get("id", "").strip()
            if not raw:
                return _error(1204)
            found = self.services.get(int(raw)) if raw.isdigit() else None
            if found is None or found.status != 1:
                return _error(1205)
            return _ok(found.detail())
        return _error(1003)

    async def order(self, request: web.Request) -> web.Response:
        if request.method != "POST":
            return _error(1001)
        params = await self._params(request)
        if not params.get("act"):
            return _error(1002)
        if params["act"] != "paid":
            return _error(1003)
        if not params.get("api_key"):
            return _error(1100)
        if params["api_key"] != self.api_key:
            return _error(1101)
        request_id = params.get("request_id") or ""
        if request_id and request_id in self.purchases:
            return _ok(self._purchase_data(self.purchases[request_id]))
        raw_service, raw_amount = params.get("service_id", ""), params.get("amount", "")
        found = self.services.get(int(raw_service)) if raw_service.isdigit() else None
        if found is None or found.status != 1:
            return _error(1200)
        if not raw_amount.isdigit() or int(raw_amount) <= 0:
            return _error(1201)
        amount = int(raw_amount)
        if (found.min_value and amount < found.min_value) or (
            found.max_value and amount > found.max_value
        ):
            return _error(1201)
        if found.available < amount:
            return _error(1203)
        if self.balance < found.price * amount:
            return _error(1202)
        self.balance -= found.price * amount
        found.available -= amount
        found.sold += amount
        number = next(self._serial)
        purchase = Purchase(
            order_id=f"ORDER_{int(time.time())}{number:04d}",
            service_id=found.id,
            amount=amount,
            accounts=[
                f"1000{number:04d}{i:03d}|pass{number}x{i}|c_user=1000{number:04d}{i:03d};xs=abc"
                for i in range(amount)
            ],
        )
        self.purchases[request_id or purchase.order_id] = purchase
        return _ok(self._purchase_data(purchase))

    @staticmethod
    def _purchase_data(purchase: Purchase) -> dict[str, Any]:
        return {
            "order_id": purchase.order_id,
            "amount": purchase.amount,
            "accounts": purchase.accounts,
        }

    async def _set_stock(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.services[int(body["service_id"])].available = int(body["available"])
        return web.json_response(body)

    async def _set_balance(self, request: web.Request) -> web.Response:
        self.balance = int((await request.json())["balance"])
        return web.json_response({"balance": self.balance})

    def app(self) -> web.Application:
        app = simulator_app(self.plan)
        app.add_routes(
            [
                web.route("*", "/user/api/service.php", self.service),
                web.route("*", "/user/api/order.php", self.order),
                web.post("/_sandbox/stock", self._set_stock),
                web.post("/_sandbox/balance", self._set_balance),
                *fault_routes(self.plan),
            ]
        )
        return app
