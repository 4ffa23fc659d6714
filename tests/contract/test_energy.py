"""The TRON energy client against its simulator, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from providers.energy import EnergyClient
from providers.outcomes import Outcome
from sandbox.energy import (
    ABORT_ADDRESS,
    BREAK_OFF_ADDRESS,
    DEMO_API_KEY,
    DEMO_API_SECRET,
    DOCUMENT_ADDRESS,
    INACTIVE_ADDRESS,
    EnergySimulator,
)
from tests.contract.conftest import FAST, NO_WAIT, serving


@pytest_asyncio.fixture
async def upstream() -> AsyncIterator[tuple[EnergySimulator, str]]:
    simulator = EnergySimulator()
    simulator.delegate_seconds, simulator.finish_seconds = 0.1, 0.2
    async with serving(simulator) as base:
        yield simulator, base


@pytest_asyncio.fixture
async def energy(upstream: tuple[EnergySimulator, str]) -> AsyncIterator[EnergyClient]:
    client = EnergyClient(upstream[1], DEMO_API_KEY, DEMO_API_SECRET, timeouts=FAST, retry=NO_WAIT)
    yield client
    await client.close()


async def _order(
    client: EnergyClient,
    out_trade_no: str,
    address: str = DOCUMENT_ADDRESS,
    energy: int = 65_000,
    period: str = "1H",
):
    return await client.place_order(
        energy=energy, period=period, receive_address=address, out_trade_no=out_trade_no
    )


async def _until_settled(client: EnergyClient, order_no: str):
    for _ in range(50):
        reply = await client.order_info(order_no)
        if reply.outcome != Outcome.PENDING:
            return reply
        await asyncio.sleep(0.05)
    raise AssertionError("the order never settled")


async def test_balance_and_prices(energy: EnergyClient) -> None:
    account = (await energy.balance()).unwrap()
    assert account.balance == 86_520_000
    assert account.minimum_order_energy == 65_000
    assert {p.period: p.price for p in account.prices} == {
        "1H": 36,
        "1D": 100,
        "3D": 260,
        "30D": 2_400,
    }


async def test_an_order_goes_from_waiting_to_finished(
    upstream: tuple[EnergySimulator, str], energy: EnergyClient
) -> None:
    simulator, _ = upstream
    placed = (await _order(energy, "S1")).unwrap()
    assert placed.charged == 65_000 * 36
    assert placed.balance == 86_520_000 - 65_000 * 36 == simulator.balance

    first = await energy.order_info(placed.order_no)
    assert (first.outcome, first.reason) == (Outcome.PENDING, "wait_delegate")
    done = await _until_settled(energy, placed.order_no)
    assert (done.outcome, done.reason) == (Outcome.SUCCEEDED, "finished")
    assert done.value is not None
    assert (done.value.out_trade_no, done.value.energy, done.value.refund_amount) == (
        "S1",
        65_000,
        0,
    )


@pytest.mark.parametrize(
    ("address", "reason", "refund_share"),
    [(ABORT_ADDRESS, "abort", 1.0), (BREAK_OFF_ADDRESS, "break_off", 0.5)],
)
async def test_abort_and_break_off_report_the_refund(
    energy: EnergyClient, address: str, reason: str, refund_share: float
) -> None:
    placed = (await _order(energy, f"S-{reason}", address=address)).unwrap()
    settled = await _until_settled(energy, placed.order_no)
    assert (settled.outcome, settled.reason) == (Outcome.REJECTED, reason)
    assert settled.value is not None
    assert settled.value.refund_amount == int(placed.charged * refund_share)


@pytest.mark.parametrize(
    ("kwargs", "setup", "reason"),
    [
        ({"period": "2H"}, None, "unsupported_period"),
        ({"energy": 1_000}, None, "invalid_parameters"),
        ({"address": INACTIVE_ADDRESS}, None, "invalid_parameters"),
        ({}, "poor", "upstream_balance_insufficient"),
        ({}, "no_energy", "no_resources"),
    ],
)
async def test_order_refusals_consume_nothing(
    upstream: tuple[EnergySimulator, str],
    energy: EnergyClient,
    kwargs: dict[str, object],
    setup: str | None,
    reason: str,
) -> None:
    simulator, _ = upstream
    if setup == "poor":
        simulator.balance = 1_000
    if setup == "no_energy":
        simulator.available_energy = 10_000
    before = simulator.balance
    reply = await _order(energy, "S-refused", **kwargs)  # type: ignore[arg-type]
    assert (reply.outcome, reply.reason) == (Outcome.REJECTED, reason)
    assert simulator.balance == before and simulator.orders == {}


async def test_a_used_out_trade_no_is_unknown_and_places_nothing_twice(
    upstream: tuple[EnergySimulator, str], energy: EnergyClient
) -> None:
    simulator, _ = upstream
    assert (await _order(energy, "S-dup")).outcome == Outcome.SUCCEEDED
    again = await _order(energy, "S-dup")
    assert (again.outcome, again.reason, again.upstream_code) == (
        Outcome.UNKNOWN,
        "out_trade_no_used",
        "600004",
    )
    assert len(simulator.orders) == 1


async def test_a_dropped_answer_is_retried_with_the_same_out_trade_no(
    upstream: tuple[EnergySimulator, str], energy: EnergyClient
) -> None:
    simulator, _ = upstream
    simulator.plan.add("drop", path="/v1/order")
    reply = await _order(energy, "S-retry")
    assert (reply.outcome, reply.reason) == (Outcome.UNKNOWN, "out_trade_no_used")
    assert len(simulator.orders) == 1  # the retry met 600004 instead of buying twice


async def test_credentials_and_signature_are_checked(upstream: tuple[EnergySimulator, str]) -> None:
    simulator, base = upstream
    for key, secret, reason in (
        ("wrong-key", DEMO_API_SECRET, "bad_api_key"),
        (DEMO_API_KEY, "wrong-secret", "bad_signature"),
    ):
        client = EnergyClient(base, key, secret, timeouts=FAST, retry=NO_WAIT)
        try:
            reply = await client.balance()
        finally:
            await client.close()
        assert (reply.outcome, reply.reason) == (Outcome.REJECTED, reason)
    simulator.allowed_ips = {"10.0.0.1"}
    client = EnergyClient(base, DEMO_API_KEY, DEMO_API_SECRET, timeouts=FAST, retry=NO_WAIT)
    try:
        assert (await client.balance()).reason == "ip_not_whitelisted"
    finally:
        await client.close()


async def test_an_unknown_order_number(energy: EnergyClient) -> None:
    reply = await energy.order_info("123")
    assert (reply.outcome, reply.reason) == (Outcome.REJECTED, "order_not_found")


@pytest.mark.parametrize(
    ("kind", "reason"), [("hang", "timeout"), ("5xx", "http_error"), ("garbage", "unreadable")]
)
async def test_faults_on_a_read_are_unknown_after_retries(
    upstream: tuple[EnergySimulator, str], energy: EnergyClient, kind: str, reason: str
) -> None:
    simulator, _ = upstream
    simulator.plan.add(kind, path="/v1/balance", times=3, seconds=3)
    reply = await energy.balance()
    assert (reply.outcome, reply.reason) == (Outcome.UNKNOWN, reason)
