"""The AceData client against its simulator, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio

from providers.acedata import AceDataClient
from providers.outcomes import Outcome
from sandbox.acedata import DEMO_APPLICATION, DEMO_TOKEN, AceDataSimulator
from tests.contract.conftest import FAST, NO_WAIT, serving


@pytest_asyncio.fixture
async def upstream() -> AsyncIterator[tuple[AceDataSimulator, str]]:
    simulator = AceDataSimulator()
    simulator.finish_seconds = 0.1
    async with serving(simulator) as base:
        yield simulator, base


@pytest_asyncio.fixture
async def acedata(upstream: tuple[AceDataSimulator, str]) -> AsyncIterator[AceDataClient]:
    client = AceDataClient(upstream[1], DEMO_TOKEN, timeouts=FAST, retry=NO_WAIT)
    yield client
    await client.close()


async def test_the_listing_has_packages(acedata: AceDataClient) -> None:
    listing = (await acedata.services()).unwrap()
    chat = next(s for s in listing.results if s.id == "chatgpt")
    package = next(p for p in chat.packages if p.id == "pkg-chat-500")
    assert (package.amount, package.price) == (500, 49_990_000)


async def test_an_order_is_paid_through_its_link_and_finishes(
    upstream: tuple[AceDataSimulator, str], acedata: AceDataClient
) -> None:
    created = await acedata.create_order(
        application_id=DEMO_APPLICATION, package_id="pkg-chat-500", pay_way="Stripe"
    )
    assert (created.outcome, created.reason) == (Outcome.PENDING, "pending")
    order = created.unwrap()
    assert (order.amount, order.price, order.pay_way) == (500, 49_990_000, "Stripe")
    assert order.pay_url is not None

    async with aiohttp.ClientSession() as browser, browser.get(order.pay_url) as page:
        assert page.status == 200
    assert (await acedata.order(order.id)).reason == "paid"
    await asyncio.sleep(0.15)
    finished = await acedata.order(order.id)
    assert (finished.outcome, finished.reason) == (Outcome.SUCCEEDED, "finished")


async def test_an_unpaid_order_expires_and_a_failed_one_fails(
    upstream: tuple[AceDataSimulator, str], acedata: AceDataClient
) -> None:
    simulator, _ = upstream
    order = (
        await acedata.create_order(
            application_id=DEMO_APPLICATION, package_id="pkg-chat-100", pay_way="AliPay"
        )
    ).value
    assert order is not None
    simulator.expire_seconds = 0
    expired = await acedata.order(order.id)
    assert (expired.outcome, expired.reason) == (Outcome.REJECTED, "expired")

    simulator.expire_seconds = 1800
    other = (
        await acedata.create_order(
            application_id=DEMO_APPLICATION, package_id="pkg-chat-100", pay_way="X402"
        )
    ).value
    assert other is not None
    simulator.orders[other.id].state = "Failed"
    assert (await acedata.order(other.id)).reason == "failed"


async def test_a_custom_amount(acedata: AceDataClient) -> None:
    order = (
        await acedata.create_order(
            application_id=DEMO_APPLICATION,
            package_id="pkg-chat-custom",
            pay_way="WechatPay",
            amount=250,
        )
    ).unwrap()
    assert (order.amount, order.price) == (250, 25_000_000)


@pytest.mark.parametrize(
    ("application", "package", "pay_way", "reason"),
    [
        ("unknown-app", "pkg-chat-500", "Stripe", "not_found"),
        (DEMO_APPLICATION, "pkg-nope", "Stripe", "invalid_request"),
        (DEMO_APPLICATION, "pkg-mj-200", "Stripe", "invalid_request"),
        (DEMO_APPLICATION, "pkg-chat-500", "Cash", "invalid_request"),
    ],
)
async def test_refusals(
    acedata: AceDataClient, application: str, package: str, pay_way: str, reason: str
) -> None:
    reply = await acedata.create_order(
        application_id=application, package_id=package, pay_way=pay_way
    )
    assert (reply.outcome, reply.reason) == (Outcome.REJECTED, reason)
    assert reply.message


async def test_a_wrong_token_and_an_unknown_order(upstream: tuple[AceDataSimulator, str]) -> None:
    client = AceDataClient(upstream[1], "wrong", timeouts=FAST, retry=NO_WAIT)
    try:
        reply = await client.order("x")
    finally:
        await client.close()
    assert (reply.outcome, reply.reason, reply.http_status) == (
        Outcome.REJECTED,
        "unauthorized",
        401,
    )
    right = AceDataClient(upstream[1], DEMO_TOKEN, timeouts=FAST, retry=NO_WAIT)
    try:
        assert (await right.order("missing")).reason == "not_found"
    finally:
        await right.close()


async def test_creating_is_not_retried_after_a_drop(
    upstream: tuple[AceDataSimulator, str], acedata: AceDataClient
) -> None:
    simulator, _ = upstream
    simulator.plan.add("drop", path="/api/v1/orders/")
    reply = await acedata.create_order(
        application_id=DEMO_APPLICATION, package_id="pkg-chat-500", pay_way="Stripe"
    )
    assert (reply.outcome, reply.reason) == (Outcome.UNKNOWN, "disconnected")
    assert len(simulator.orders) == 1


@pytest.mark.parametrize(("kind", "reason"), [("5xx", "http_error"), ("garbage", "unreadable")])
async def test_faults_are_unknown(
    upstream: tuple[AceDataSimulator, str], acedata: AceDataClient, kind: str, reason: str
) -> None:
    simulator, _ = upstream
    simulator.plan.add(kind, path="/api/v1/services/", times=3)
    reply = await acedata.services()
    assert (reply.outcome, reply.reason) == (Outcome.UNKNOWN, reason)
