"""A write retried after its answer was lost: whatever the retry hears, the first attempt may have
been carried out, so a refusal then is unknown, never a definite failure."""

from __future__ import annotations

from typing import Any

import pytest

from providers.accounts_shop import AccountShopClient
from providers.energy import EnergyClient
from providers.kumquat import KumquatClient
from providers.outcomes import Outcome
from sandbox import accounts_shop, energy, kumquat
from tests.contract.conftest import FAST, NO_WAIT, serving

ADDRESS = "TPP5NBKiMX8AjS4fyao2Nj6AhFFCqDXgWS"


async def test_an_energy_order_refused_on_the_retry_is_unknown() -> None:
    simulator = energy.EnergySimulator()
    async with serving(simulator) as base:
        client = EnergyClient(
            base, energy.DEMO_API_KEY, energy.DEMO_API_SECRET, timeouts=FAST, retry=NO_WAIT
        )
        try:
            simulator.plan.add("drop", path="/v1/order")  # placed upstream, answer lost
            no_resources = {"code": 600006, "msg": "资源不足"}
            simulator.plan.add("answer", path="/v1/order", body=no_resources)
            reply = await client.place_order(
                energy=65_000, period="1H", receive_address=ADDRESS, out_trade_no="L-energy-1"
            )
        finally:
            await client.close()
    assert (reply.outcome, reply.reason) == (Outcome.UNKNOWN, "no_resources")
    assert [order.out_trade_no for order in simulator.orders.values()] == ["L-energy-1"]


@pytest.mark.parametrize("code", [1300, 1203, 9002])
async def test_a_purchase_refused_on_the_retry_is_unknown(code: int) -> None:
    simulator = accounts_shop.AccountShopSimulator()
    async with serving(simulator) as base:
        client = AccountShopClient(base, accounts_shop.DEMO_API_KEY, timeouts=FAST, retry=NO_WAIT)
        try:
            simulator.plan.add("drop", path="/user/api/order.php")  # bought, answer lost
            refusal: dict[str, Any] = {"success": False, "code": code, "message": "no"}
            simulator.plan.add("answer", path="/user/api/order.php", body=refusal)
            reply = await client.buy(1, 1, "L-accounts-1")
        finally:
            await client.close()
    assert reply.outcome == Outcome.UNKNOWN
    assert list(simulator.purchases) == ["L-accounts-1"]


async def test_a_top_up_refused_on_the_retry_is_unknown() -> None:
    simulator = kumquat.KumquatSimulator()
    async with serving(simulator) as base:
        client = KumquatClient(
            base, kumquat.DEMO_PARTNER, kumquat.DEMO_SIGN_KEY, timeouts=FAST, retry=NO_WAIT
        )
        try:
            product = next(iter(simulator.products.values()))
            simulator.plan.add("drop", path="/api/code/2.0/orders")  # placed, answer lost
            too_many = {
                "returnCode": "FAIL",
                "errorCode": "JU9989",
                "returnMsg": "busy",
                "result": None,
            }
            simulator.plan.add("answer", path="/api/code/2.0/orders", body=too_many)
            reply = await client.place_order(
                request_no="L-topup-1",
                product_id=product.id,
                account="254771114118",
                callback_url=None,
            )
        finally:
            await client.close()
    assert (reply.outcome, reply.reason) == (Outcome.UNKNOWN, "too_many_requests")
    assert list(simulator.orders) == ["L-topup-1"]


async def test_after_order_exists_a_refused_read_is_unknown() -> None:
    simulator = kumquat.KumquatSimulator()
    async with serving(simulator) as base:
        client = KumquatClient(
            base, kumquat.DEMO_PARTNER, kumquat.DEMO_SIGN_KEY, timeouts=FAST, retry=NO_WAIT
        )
        try:
            product = next(iter(simulator.products.values()))
            first = await client.place_order(
                request_no="L-topup-2",
                product_id=product.id,
                account="254771114118",
                callback_url=None,
            )
            assert first.value is not None
            busy = {
                "returnCode": "FAIL",
                "errorCode": "JU9989",
                "returnMsg": "busy",
                "result": None,
            }
            simulator.plan.add("answer", path="/api/code/2.0/orders/query", body=busy, times=3)
            again = await client.place_order(
                request_no="L-topup-2",
                product_id=product.id,
                account="254771114118",
                callback_url=None,
            )
        finally:
            await client.close()
    assert (again.outcome, again.reason) == (Outcome.UNKNOWN, "order_exists")
    assert list(simulator.orders) == ["L-topup-2"]
