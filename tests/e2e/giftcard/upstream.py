"""The gift card upstream, simulated: it sells cards by value, is idempotent on the shop's order
id, tells the shop's balance, and can lose its answers (a gateway's 502 after the card was made).

    POST /orders {"order_id": ..., "value": 5}  → {"order_id", "value", "status": "done", "code"}
    GET /orders/{order_id}                      → the same, or 404 {"error": "no_such_order"}
    GET /balance                                → {"balance": "12.50", "currency": "USD"}

Every call needs `Authorization: Bearer <API_KEY>` (401 {"error": "bad_key"} otherwise).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from sandbox.server import free_port

API_KEY = "gift-test-key"
VALUES = (5, 10)


class GiftcardUpstream:
    def __init__(self) -> None:
        self.balance = Decimal("100")
        self.orders: dict[str, dict[str, Any]] = {}
        self.lose_answers = 0  # this many orders are made, then their answer is lost
        self.lookups = 0  # GET /orders/{order_id} asked
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/orders", self._place)
        app.router.add_get("/orders/{order_id}", self._order)
        app.router.add_get("/balance", self._balance)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @staticmethod
    def _authorized(request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {API_KEY}"

    async def _place(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response({"error": "bad_key"}, status=401)
        body = await request.json()
        order_id, value = str(body.get("order_id", "")), body.get("value")
        if not order_id or value not in VALUES:
            return web.json_response({"error": "bad_value"}, status=400)
        order = self.orders.get(order_id)
        if order is None:  # made once, whatever the shop sends again
            self.balance -= value
            code = f"GIFT-{len(self.orders) + 1:04d}"
            order = {"order_id": order_id, "value": value, "status": "done", "code": code}
            self.orders[order_id] = order
        if self.lose_answers:
            self.lose_answers -= 1
            return web.Response(status=502, text="<html>Bad gateway</html>")
        return web.json_response(order)

    async def _order(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response({"error": "bad_key"}, status=401)
        self.lookups += 1
        order = self.orders.get(request.match_info["order_id"])
        if order is None:
            return web.json_response({"error": "no_such_order"}, status=404)
        return web.json_response(order)

    async def _balance(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response({"error": "bad_key"}, status=401)
        return web.json_response({"balance": str(self.balance), "currency": "USD"})
