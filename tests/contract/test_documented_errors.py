"""Every error code each document lists reaches the shop as the right outcome.

The simulators are told to answer exactly what the document shows for each code; the expected
outcome is written here from the documents, not copied from the clients' tables.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from providers.accounts_shop import AccountShopClient
from providers.acedata import AceDataClient
from providers.cloud import CloudChannel, CloudRechargeClient
from providers.energy import EnergyClient
from providers.kumquat import KumquatClient
from providers.outcomes import Outcome, Reply
from sandbox.accounts_shop import AccountShopSimulator
from sandbox.acedata import AceDataSimulator
from sandbox.cloud import CloudSimulator
from sandbox.energy import EnergySimulator
from sandbox.faults import FaultPlan
from sandbox.kumquat import KumquatSimulator
from sandbox.server import SimulatorServer
from tests.contract.conftest import FAST, NO_WAIT

R, U, P, S = Outcome.REJECTED, Outcome.UNKNOWN, Outcome.PENDING, Outcome.SUCCEEDED


class Upstream:
    """A running simulator and a client of it; `answer` makes the next call get a given reply."""

    def __init__(self, plan: FaultPlan, server: SimulatorServer) -> None:
        self.plan = plan
        self.server = server

    def answer(self, status: int, body: Any) -> None:
        self.plan.add("answer", times=10, status=status, body=body)


async def _run(simulator: Any) -> tuple[Upstream, str]:
    server = SimulatorServer(simulator.app())
    base = await server.start()
    return Upstream(simulator.plan, server), base


Call = Callable[[], Awaitable[Reply[Any]]]


@pytest_asyncio.fixture
async def cloud() -> AsyncIterator[tuple[Upstream, Call]]:
    upstream, base = await _run(CloudSimulator())
    client = CloudRechargeClient(base, "a", "b", timeouts=FAST, retry=NO_WAIT)
    yield upstream, lambda: client.pay_order("ba1")
    await client.close()
    await upstream.server.stop()


CLOUD = [
    (401, "Agent authentication failed", R),
    (403, "IP is not in the whitelist", R),
    (422, "channel, uid, and money cannot be empty", R),
    (422, "channel can only be qcloud or aliyun", R),
    (422, "Invalid amount format", R),
    (422, "Amount cannot be less than 1", R),
    (402, "Insufficient agent balance", R),
    (404, "Account does not exist", R),
    (404, "Order does not exist", R),
    (409, "Order has been refunded and cannot be paid", R),
    (409, "Order is processing, please do not pay repeatedly", P),
    (409, "Order recharge failed, please contact backend support", R),
    (
        500,
        "Cloud recharge failed, agent balance has been deducted, please contact backend support",
        R,
    ),
    (418, "Something nobody documented", U),
]


@pytest.mark.parametrize(("code", "message", "outcome"), CLOUD)
async def test_cloud_codes(
    cloud: tuple[Upstream, Call], code: int, message: str, outcome: Outcome
) -> None:
    upstream, call = cloud
    upstream.answer(code, {"code": code, "message": message, "data": None})
    reply = await call()
    assert reply.outcome == outcome
    assert (reply.upstream_code, reply.message) == (str(code), message)


@pytest_asyncio.fixture
async def energy() -> AsyncIterator[tuple[Upstream, Call]]:
    upstream, base = await _run(EnergySimulator())
    client = EnergyClient(base, "k", "s", timeouts=FAST, retry=NO_WAIT)
    call = lambda: client.place_order(  # noqa: E731
        energy=65_000, period="1H", receive_address="T", out_trade_no="S1"
    )
    yield upstream, call
    await client.close()
    await upstream.server.stop()


ENERGY = [
    (10001, "参数错误", R),
    (600001, "apiKey错误或已失效", R),
    (600002, "签名错误", R),
    (600003, "不支持的租赁周期", R),
    (600004, "单号已使用,请更换订单号", U),
    (600005, "余额不足", R),
    (600006, "资源不足", R),
    (600007, "订单不存在", R),
    (600008, "IP不在白名单中", R),
    (123456, "未知", U),
]


@pytest.mark.parametrize(("code", "message", "outcome"), ENERGY)
async def test_energy_codes(
    energy: tuple[Upstream, Call], code: int, message: str, outcome: Outcome
) -> None:
    upstream, call = energy
    upstream.answer(200, {"code": code, "msg": message})
    reply = await call()
    assert (reply.outcome, reply.upstream_code, reply.message) == (outcome, str(code), message)


@pytest_asyncio.fixture
async def shop() -> AsyncIterator[tuple[Upstream, Call]]:
    upstream, base = await _run(AccountShopSimulator())
    client = AccountShopClient(base, "k", timeouts=FAST, retry=NO_WAIT)
    yield upstream, lambda: client.buy(1, 1, "S1")
    await client.close()
    await upstream.server.stop()


# 1xxx are the client's mistakes (nothing happened); 9000/9001 are the shop's own failures in the
# middle of a transaction (unknown); 9002 is maintenance (nothing happened).
SHOP = [
    (1000, R),
    (1001, R),
    (1002, R),
    (1003, R),
    (1100, R),
    (1101, R),
    (1102, R),
    (1200, R),
    (1201, R),
    (1202, R),
    (1203, R),
    (1204, R),
    (1205, R),
    (1300, R),
    (1400, R),
    (9000, U),
    (9001, U),
    (9002, R),
    (1999, U),
]


@pytest.mark.parametrize(("code", "outcome"), SHOP)
async def test_shop_codes(shop: tuple[Upstream, Call], code: int, outcome: Outcome) -> None:
    upstream, call = shop
    upstream.answer(200, {"success": False, "code": code, "message": f"code {code}"})
    reply = await call()
    assert (reply.outcome, reply.upstream_code) == (outcome, str(code))


@pytest_asyncio.fixture
async def kumquat() -> AsyncIterator[tuple[Upstream, Call]]:
    upstream, base = await _run(KumquatSimulator())
    client = KumquatClient(base, "p", "k", timeouts=FAST, retry=NO_WAIT)
    yield upstream, client.balance
    await client.close()
    await upstream.server.stop()


KUMQUAT = [
    (405, "JU9998", R),
    (400, "JU9997", R),
    (511, "JU9996", R),
    (511, "JU9995", R),
    (511, "JU9994", R),
    (400, "JU9992", R),
    (401, "JU9991", R),
    (503, "JU9989", R),
    (400, "JU9980", R),
    (400, "JU9983", R),
    (400, "JU9978", R),
    (400, "JU9972", R),
    (400, "JU0000", U),
]


@pytest.mark.parametrize(("status", "code", "outcome"), KUMQUAT)
async def test_kumquat_codes(
    kumquat: tuple[Upstream, Call], status: int, code: str, outcome: Outcome
) -> None:
    upstream, call = kumquat
    upstream.answer(status, {"returnCode": "FAIL", "errorCode": code, "returnMsg": code})
    reply = await call()
    assert (reply.outcome, reply.upstream_code, reply.http_status) == (outcome, code, status)


@pytest_asyncio.fixture
async def acedata() -> AsyncIterator[tuple[Upstream, Call]]:
    upstream, base = await _run(AceDataSimulator())
    client = AceDataClient(base, "t", timeouts=FAST, retry=NO_WAIT)
    yield upstream, lambda: client.order("o1")
    await client.close()
    await upstream.server.stop()


ORDER = {
    "id": "o1",
    "application_id": "a",
    "package_id": "p",
    "amount": 1,
    "price": 1.5,
    "pay_way": "Stripe",
    "pay_url": "https://pay.example/x",
}


@pytest.mark.parametrize(
    ("state", "outcome"),
    [
        ("Pending", P),
        ("Paid", P),
        ("Finished", S),
        ("Expired", R),
        ("Failed", R),
        ("Refunded", R),
        ("Mystery", U),
    ],
)
async def test_acedata_states(acedata: tuple[Upstream, Call], state: str, outcome: Outcome) -> None:
    upstream, call = acedata
    upstream.answer(200, {**ORDER, "state": state})
    assert (await call()).outcome == outcome


@pytest.mark.parametrize(
    ("status", "outcome"), [(400, R), (401, R), (403, R), (404, R), (429, U), (500, U)]
)
async def test_acedata_statuses(
    acedata: tuple[Upstream, Call], status: int, outcome: Outcome
) -> None:
    upstream, call = acedata
    upstream.answer(status, {"error": {"code": "x", "message": "refused"}})
    assert (await call()).outcome == outcome


async def test_faults_are_set_over_http() -> None:
    simulator = CloudSimulator()
    server = SimulatorServer(simulator.app())
    base = await server.start()
    client = CloudRechargeClient(
        base, "demo-agent", "demo-agent-secret", timeouts=FAST, retry=NO_WAIT
    )
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"{base}/_sandbox/faults", json={"kind": "5xx", "path": "/api/uid", "times": 5}
            ) as r:
                assert (await r.json()) == {"faults": 1}
            assert (await client.lookup_account(CloudChannel.TENCENT, "200000000000")).outcome == U
            async with http.delete(f"{base}/_sandbox/faults") as r:
                assert (await r.json()) == {"faults": 0}
            async with http.post(f"{base}/_sandbox/latency", json={"seconds": 0.05}) as r:
                assert (await r.json()) == {"latency": 0.05}
            assert (await client.lookup_account(CloudChannel.TENCENT, "200000000000")).outcome == S
            async with http.post(f"{base}/_sandbox/faults", json={"kind": "meteor"}) as r:
                assert r.status == 400
    finally:
        await client.close()
        await server.stop()


async def test_a_simulator_counts_the_calls_it_gets_but_not_its_driver_routes() -> None:
    simulator = CloudSimulator()
    server = SimulatorServer(simulator.app())
    base = await server.start()
    client = CloudRechargeClient(
        base, "demo-agent", "demo-agent-secret", timeouts=FAST, retry=NO_WAIT
    )
    try:
        assert (await client.lookup_account(CloudChannel.TENCENT, "200000000000")).outcome == S
        async with aiohttp.ClientSession() as http, http.delete(f"{base}/_sandbox/faults") as r:
            assert r.status == 200
        assert (await client.order("no-such-order")).outcome == R
        assert simulator.plan.requests == 2
    finally:
        await client.close()
        await server.stop()
