"""The KUMQUAT simulator's callback faults, as a shop's callback endpoint receives them: duplicated,
delayed, reordered, forged and success-then-fail; with none armed, one callback an order."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from aiohttp import web

from providers.kumquat import KumquatClient
from sandbox.kumquat import DEMO_PARTNER, DEMO_SIGN_KEY, MOCK_SUCCEEDS, KumquatSimulator, sign
from sandbox.server import SimulatorServer
from tests.contract.conftest import FAST, NO_WAIT, serving

KENYA_AIRTIME = 19_417  # Safaricom Airtime 100 KES
OTHER_NUMBER = "254700000001"  # accepted, fails by callback


class ShopEndpoint:
    """A shop's callback endpoint: SUCCESS for a callback signed with the key about an order it
    placed; 401 for a bad signature, 404 for an order it does not know."""

    def __init__(self) -> None:
        self.placed: set[str] = set()
        self.received: list[dict[str, Any]] = []  # the genuine ones, in the order they came
        self.arrived = asyncio.Event()
        app = web.Application()
        app.router.add_post("/callback", self.handle)
        self.server = SimulatorServer(app)

    @property
    def url(self) -> str:
        return f"{self.server.base_url}/callback"

    async def handle(self, request: web.Request) -> web.Response:
        payload = await request.json()
        if str(payload.get("sign", "")).lower() != sign(payload, DEMO_SIGN_KEY):
            return web.Response(status=401, text="FAIL: bad signature")
        if payload["request_no"] not in self.placed:
            return web.Response(status=404, text="FAIL: unknown order")
        self.received.append(payload)
        self.arrived.set()
        return web.Response(text="SUCCESS")

    async def until(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        async with asyncio.timeout(timeout):
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.received

    def statuses(self) -> list[tuple[str, str]]:
        return [(payload["request_no"], payload["status"]) for payload in self.received]


@pytest_asyncio.fixture
async def simulator() -> AsyncIterator[tuple[KumquatSimulator, KumquatClient]]:
    upstream = KumquatSimulator()
    upstream.process_seconds, upstream.callback_delay = 0.02, 0.01
    async with serving(upstream) as base:
        client = KumquatClient(base, DEMO_PARTNER, DEMO_SIGN_KEY, timeouts=FAST, retry=NO_WAIT)
        yield upstream, client
        await client.close()


@pytest_asyncio.fixture
async def shop() -> AsyncIterator[ShopEndpoint]:
    endpoint = ShopEndpoint()
    await endpoint.server.start()
    yield endpoint
    await endpoint.server.stop()


async def place(
    simulator: tuple[KumquatSimulator, KumquatClient],
    shop: ShopEndpoint,
    request_no: str,
    account: str = MOCK_SUCCEEDS,
) -> None:
    _, client = simulator
    shop.placed.add(request_no)
    reply = await client.place_order(
        request_no=request_no, product_id=KENYA_AIRTIME, account=account, callback_url=shop.url
    )
    assert reply.value is not None, reply


async def test_without_faults_each_order_is_called_back_once(simulator, shop) -> None:
    upstream, _ = simulator
    await place(simulator, shop, "1001")
    await shop.until(1)
    await asyncio.sleep(0.1)
    assert shop.statuses() == [("1001", "success")]
    assert upstream.forgeries == [] and not upstream.orders["1001"].reversed


async def test_a_duplicated_callback_comes_twice_signed_the_same(simulator, shop) -> None:
    upstream, _ = simulator
    upstream.callback_plan.add("duplicate")
    await place(simulator, shop, "1002")
    first, second = await shop.until(2)
    assert first == second and first["status"] == "success"


async def test_a_delayed_callback_comes_late(simulator, shop) -> None:
    upstream, _ = simulator
    upstream.callback_plan.add("delay", seconds=0.5)
    started = time.monotonic()
    await place(simulator, shop, "1003")
    await shop.until(1)
    assert time.monotonic() - started >= 0.5


async def test_a_reordered_callback_comes_after_the_next_orders(simulator, shop) -> None:
    upstream, _ = simulator
    upstream.callback_plan.add("reorder", seconds=5.0)
    await place(simulator, shop, "1004")
    await asyncio.sleep(0.2)  # 1004 is done upstream; its callback waits
    assert shop.received == []
    await place(simulator, shop, "1005", OTHER_NUMBER)
    await shop.until(2)
    assert shop.statuses() == [("1005", "error"), ("1004", "success")]


async def test_success_then_fail_calls_back_twice_and_refunds_upstream(simulator, shop) -> None:
    upstream, _ = simulator
    upstream.callback_plan.add("reverse", seconds=0.05)
    await place(simulator, shop, "1006", OTHER_NUMBER)  # fails: the reversal waits for a success
    await shop.until(1)
    balance = upstream.balance
    await place(simulator, shop, "1007")
    await shop.until(3)
    assert shop.statuses() == [("1006", "error"), ("1007", "success"), ("1007", "error")]
    assert upstream.orders["1007"].reversed and upstream.orders["1007"].status == "FAIL"
    assert not upstream.orders["1006"].reversed
    assert upstream.balance == balance  # the reversed top-up's price came back


async def test_a_stale_success_comes_after_its_reversal(simulator, shop) -> None:
    upstream, _ = simulator
    upstream.callback_plan.add("stale success", seconds=0.05)
    await place(simulator, shop, "1010")
    await shop.until(3)
    assert shop.statuses() == [("1010", "success"), ("1010", "error"), ("1010", "success")]
    assert shop.received[0] == shop.received[2]  # the same signed success, overtaken
    assert upstream.orders["1010"].reversed and upstream.orders["1010"].status == "FAIL"


async def test_forged_callbacks_come_first_and_are_refused(simulator, shop) -> None:
    upstream, _ = simulator
    await place(simulator, shop, "1008")
    await shop.until(1)
    upstream.callback_plan.add("forge")
    await place(simulator, shop, "1009")
    await shop.until(2)
    lies = [(f.lie, f.request_no, f.status, f.answer) for f in upstream.forgeries]
    assert lies == [
        ("wrong signature", "1009", 401, "FAIL: bad signature"),
        ("unknown serial", "1009", 404, "FAIL: unknown order"),
        ("another order's serial", "1009", 401, "FAIL: bad signature"),
    ]
    assert shop.statuses() == [("1008", "success"), ("1009", "success")]
