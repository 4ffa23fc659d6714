"""AceData platform simulator (the facts in docs/upstreams/acedata.md).

`POST /api/v1/orders/` (Bearer token) creates an order for an application's package and answers its
`pay_url`; `GET /api/v1/orders/{id}/` reads it; `GET /api/v1/services/` is the public listing with
packages embedded. Orders go Pending → Paid → Finished once paid (open `pay_url`, or
`POST /_sandbox/orders/{id}/pay`), and Pending → Expired after `expire_seconds`;
`POST /_sandbox/orders/{id}/fail` makes one Failed. Its document gives no error format: errors are
`{"error": {"code", "message"}}` with 400, 401 or 404.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiohttp import web

from sandbox.faults import FaultPlan, fault_routes
from sandbox.server import simulator_app

DEMO_TOKEN = "demo-acedata-token"
DEMO_APPLICATION = "107f8d0f-e465-4a7e-a49e-d633d26f7aa2"
PAY_WAYS = ("Stripe", "WechatPay", "AliPay", "X402")


@dataclass(frozen=True)
class Package:
    id: str
    service_id: str
    title: str
    amount: int  # credits
    price: Decimal  # USD
    custom_amount: bool = False


@dataclass
class AceOrder:
    id: str
    application_id: str
    package: Package
    amount: int
    price: Decimal
    pay_way: str
    created: float
    created_at: str
    state: str = "Pending"
    paid_at: float | None = None


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


class AceDataSimulator:
    def __init__(self, token: str = DEMO_TOKEN) -> None:
        self.token = token
        self.applications = {DEMO_APPLICATION: "chatgpt"}
        self.services = {"chatgpt": "ChatGPT API", "midjourney": "Midjourney API"}
        self.packages = {
            p.id: p
            for p in (
                Package("pkg-chat-500", "chatgpt", "500 credits", 500, Decimal("49.99")),
                Package("pkg-chat-100", "chatgpt", "100 credits", 100, Decimal("10.99")),
                Package("pkg-mj-200", "midjourney", "200 credits", 200, Decimal("19.90")),
                Package("pkg-chat-custom", "chatgpt", "Custom", 0, Decimal("0.10"), True),
            )
        }
        self.expire_seconds = 1800.0
        self.finish_seconds = 0.2
        self.plan = FaultPlan()
        self.orders: dict[str, AceOrder] = {}
        self.base_url = ""  # set from the first request, for pay_url

    def state(self, order: AceOrder) -> str:
        """The order's state now (a pending order past its time has expired)."""
        now = time.time()
        if order.state == "Pending" and now - order.created > self.expire_seconds:
            order.state = "Expired"
        if order.state == "Paid" and order.paid_at and now - order.paid_at >= self.finish_seconds:
            order.state = "Finished"
        return order.state

    def _order_json(self, order: AceOrder) -> dict[str, Any]:
        return {
            "id": order.id,
            "user_id": "b87f67c1-b04f-4332-99a1-7a5e651331c6",
            "application_id": order.application_id,
            "package_id": order.package.id,
            "amount": order.amount,
            "price": float(order.price),
            "discount": 1.0,
            "pay_way": order.pay_way,
            "pay_id": None,
            "pay_url": f"{self.base_url}/_sandbox/pay/{order.id}",
            "state": self.state(order),
            "remaining_amount": 0,
            "tags": None,
            "metadata": None,
            "created_at": order.created_at,
            "updated_at": _iso(time.time()),
        }

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("authorization", "") == f"Bearer {self.token}"

    async def create(self, request: web.Request) -> web.Response:
        self.base_url = f"{request.scheme}://{request.host}"
        if not self._authorized(request):
            return _error(401, "unauthorized", "Invalid token")
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "bad_request", "Body must be JSON")
        if not isinstance(body, dict):
            return _error(400, "bad_request", "Body must be a JSON object")
        application = str(body.get("application_id") or "")
        package = self.packages.get(str(body.get("package_id") or ""))
        pay_way = body.get("pay_way")
        if not application or package is None or not pay_way:
            return _error(400, "bad_request", "application_id, package_id and pay_way are required")
        if application not in self.applications:
            return _error(404, "not_found", "Application not found")
        if self.applications[application] != package.service_id:
            return _error(400, "bad_request", "Package does not belong to the application")
        if pay_way not in PAY_WAYS:
            return _error(400, "bad_request", f"pay_way must be one of {', '.join(PAY_WAYS)}")
        amount = package.amount
        if "amount" in body and body["amount"] is not None:
            if not package.custom_amount:
                return _error(400, "bad_request", "This package does not support a custom amount")
            if not isinstance(body["amount"], int) or body["amount"] <= 0:
                return _error(400, "bad_request", "amount must be a positive integer")
            amount = body["amount"]
        price = package.price * amount if package.custom_amount else package.price
        now = time.time()
        order = AceOrder(
            id=str(uuid.uuid4()),
            application_id=application,
            package=package,
            amount=amount,
            price=price,
            pay_way=str(pay_way),
            created=now,
            created_at=_iso(now),
        )
        self.orders[order.id] = order
        return web.json_response(self._order_json(order), status=201)

    async def read(self, request: web.Request) -> web.Response:
        self.base_url = f"{request.scheme}://{request.host}"
        if not self._authorized(request):
            return _error(401, "unauthorized", "Invalid token")
        order = self.orders.get(request.match_info["id"])
        if order is None:
            return _error(404, "not_found", "Order not found")
        return web.json_response(self._order_json(order))

    async def services_listing(self, request: web.Request) -> web.Response:
        results = [
            {
                "id": service_id,
                "title": title,
                "packages": [
                    {
                        "id": p.id,
                        "title": p.title,
                        "amount": p.amount,
                        "price": float(p.price),
                        "custom_amount": p.custom_amount,
                    }
                    for p in self.packages.values()
                    if p.service_id == service_id
                ],
            }
            for service_id, title in self.services.items()
        ]
        return web.json_response({"count": len(results), "results": results})

    def pay(self, order_id: str) -> None:
        order = self.orders[order_id]
        if self.state(order) == "Pending":
            order.state, order.paid_at = "Paid", time.time()

    async def _pay(self, request: web.Request) -> web.Response:
        if request.match_info["id"] not in self.orders:
            raise web.HTTPNotFound(text="no such order")
        self.pay(request.match_info["id"])
        return web.Response(text="Payment received. You can close this page.")

    async def _fail(self, request: web.Request) -> web.Response:
        order = self.orders.get(request.match_info["id"])
        if order is None:
            raise web.HTTPNotFound(text="no such order")
        order.state = "Failed"
        return web.json_response({"id": order.id, "state": order.state})

    def app(self) -> web.Application:
        app = simulator_app(self.plan)
        app.add_routes(
            [
                web.post("/api/v1/orders/", self.create),
                web.get("/api/v1/orders/{id}/", self.read),
                web.get("/api/v1/services/", self.services_listing),
                web.route("*", "/_sandbox/pay/{id}", self._pay),
                web.post("/_sandbox/orders/{id}/pay", self._pay),
                web.post("/_sandbox/orders/{id}/fail", self._fail),
                *fault_routes(self.plan),
            ]
        )
        return app
