"""The cloud recharge client against its simulator, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
import pytest_asyncio

from providers.cloud import CloudChannel, CloudRechargeClient, agent_signature
from providers.outcomes import Outcome
from sandbox.cloud import DEMO_APP_ID, DEMO_APP_SECRET, CloudSimulator
from tests.contract.conftest import FAST, NO_WAIT, serving

USD = 1_000_000


@pytest_asyncio.fixture
async def upstream() -> AsyncIterator[tuple[CloudSimulator, str]]:
    simulator = CloudSimulator()
    async with serving(simulator) as base:
        yield simulator, base


@pytest_asyncio.fixture
async def cloud(upstream: tuple[CloudSimulator, str]) -> AsyncIterator[CloudRechargeClient]:
    client = CloudRechargeClient(
        upstream[1], DEMO_APP_ID, DEMO_APP_SECRET, timeouts=FAST, retry=NO_WAIT
    )
    yield client
    await client.close()


def test_the_signature_is_sha256_of_id_and_secret() -> None:
    expected = hashlib.sha256(b"demo-agentdemo-agent-secret").hexdigest()
    assert agent_signature("demo-agent", "demo-agent-secret") == expected


async def test_lookups_read_strings_numbers_and_channels(cloud: CloudRechargeClient) -> None:
    tencent = await cloud.lookup_account(CloudChannel.TENCENT, "200000000000")
    assert tencent.outcome == Outcome.SUCCEEDED and tencent.value is not None
    assert (tencent.value.balance, tencent.value.rate, tencent.value.currency) == (
        100 * USD,
        Decimal("1.00"),
        "USD",
    )

    kelly = (await cloud.lookup_account(CloudChannel.TENCENT, "200000000001")).unwrap()
    assert (kelly.channel, kelly.balance, kelly.rate) == (
        "kelly_qcloud",
        5_500_000,
        Decimal("0.95"),
    )

    by_email = (await cloud.lookup_account(CloudChannel.ALIBABA, "buyer@example.com")).unwrap()
    assert (by_email.channel, by_email.uid, by_email.balance) == (
        "aliyun",
        "5123456789012345",
        42_100_000,
    )


@pytest.mark.parametrize(
    ("channel", "uid", "reason"),
    [
        (CloudChannel.TENCENT, "999", "account_not_found"),
        (CloudChannel.TENCENT, "", "missing_fields"),
        ("tencent", "200000000000", "invalid_channel"),
    ],
)
async def test_lookup_refusals(
    cloud: CloudRechargeClient, channel: CloudChannel, uid: str, reason: str
) -> None:
    reply = await cloud.lookup_account(channel, uid)
    assert (reply.outcome, reply.reason, reply.value) == (Outcome.REJECTED, reason, None)
    assert reply.upstream_code is not None and reply.message


async def test_wrong_credentials_and_ip_whitelist(upstream: tuple[CloudSimulator, str]) -> None:
    simulator, base = upstream
    stranger = CloudRechargeClient(base, DEMO_APP_ID, "wrong", timeouts=FAST, retry=NO_WAIT)
    try:
        reply = await stranger.lookup_account(CloudChannel.TENCENT, "200000000000")
        assert (reply.outcome, reply.reason, reply.http_status) == (
            Outcome.REJECTED,
            "auth_failed",
            401,
        )
    finally:
        await stranger.close()
    simulator.allowed_ips = {"10.9.9.9"}
    client = CloudRechargeClient(base, DEMO_APP_ID, DEMO_APP_SECRET, timeouts=FAST)
    try:
        reply = await client.lookup_account(CloudChannel.TENCENT, "200000000000")
        assert (reply.outcome, reply.reason) == (Outcome.REJECTED, "ip_not_whitelisted")
    finally:
        await client.close()


async def test_create_then_pay_deducts_the_agent_balance_only_on_pay(
    upstream: tuple[CloudSimulator, str], cloud: CloudRechargeClient
) -> None:
    simulator, _ = upstream
    before = simulator.agent_balance
    created = (
        await cloud.create_order(CloudChannel.ALIBABA, "buyer@example.com", 49 * USD)
    ).unwrap()
    assert (created.status, created.money, created.recharge_amount) == (
        "pending",
        49 * USD,
        50 * USD,
    )
    assert simulator.agent_balance == before

    paid = await cloud.pay_order(created.sn)
    assert paid.outcome == Outcome.SUCCEEDED and paid.value is not None
    assert (paid.value.status, paid.value.paid_at is not None) == ("paid", True)
    assert simulator.agent_balance == before - Decimal("50.00")

    again = await cloud.pay_order(created.sn)
    assert (again.outcome, again.reason) == (Outcome.SUCCEEDED, "already_recharged")
    assert again.value is not None and again.value.sn == created.sn
    assert simulator.agent_balance == before - Decimal("50.00")

    details = await cloud.order(created.sn)
    assert (details.outcome, details.reason) == (Outcome.SUCCEEDED, "paid")


@pytest.mark.parametrize(
    ("money", "reason"), [(1_000, "invalid_amount"), (500_000, "amount_below_minimum")]
)
async def test_create_refusals(cloud: CloudRechargeClient, money: int, reason: str) -> None:
    reply = await cloud.create_order(CloudChannel.TENCENT, "200000000000", money)
    assert (reply.outcome, reply.reason) == (Outcome.REJECTED, reason)


async def test_insufficient_agent_balance_deducts_nothing(
    upstream: tuple[CloudSimulator, str], cloud: CloudRechargeClient
) -> None:
    simulator, _ = upstream
    simulator.agent_balance = Decimal("10")
    order = (await cloud.create_order(CloudChannel.TENCENT, "200000000000", 20 * USD)).unwrap()
    reply = await cloud.pay_order(order.sn)
    assert (reply.outcome, reply.reason, reply.http_status) == (
        Outcome.REJECTED,
        "agent_balance_insufficient",
        402,
    )
    assert simulator.agent_balance == Decimal("10")
    assert (await cloud.order(order.sn)).outcome == Outcome.PENDING


async def test_each_pay_failure_means_what_the_document_says(
    upstream: tuple[CloudSimulator, str], cloud: CloudRechargeClient
) -> None:
    simulator, _ = upstream
    deducted = (await cloud.create_order(CloudChannel.TENCENT, "200000000500", 5 * USD)).unwrap()
    reply = await cloud.pay_order(deducted.sn)
    assert (reply.outcome, reply.reason) == (Outcome.REJECTED, "failed_balance_deducted")
    assert simulator.owed_refunds == [deducted.sn]

    failing = (await cloud.create_order(CloudChannel.TENCENT, "200000000409", 5 * USD)).unwrap()
    reply = await cloud.pay_order(failing.sn)
    assert (reply.outcome, reply.reason) == (Outcome.REJECTED, "recharge_failed")
    # The order reads "pending" (the document names no failed status); paying again says why.
    assert (await cloud.order(failing.sn)).outcome == Outcome.PENDING
    again = await cloud.pay_order(failing.sn)
    assert (again.outcome, again.reason) == (Outcome.REJECTED, "recharge_failed")

    refunded = (await cloud.create_order(CloudChannel.TENCENT, "200000000000", 5 * USD)).unwrap()
    simulator.refund(refunded.sn)
    reply = await cloud.pay_order(refunded.sn)
    assert (reply.outcome, reply.reason) == (Outcome.REJECTED, "refunded")

    missing = await cloud.pay_order("ba000")
    assert (missing.outcome, missing.reason) == (Outcome.REJECTED, "order_not_found")


async def test_a_second_pay_during_the_recharge_is_told_to_wait(
    upstream: tuple[CloudSimulator, str], cloud: CloudRechargeClient
) -> None:
    simulator, _ = upstream
    simulator.pay_seconds = 0.5
    order = (await cloud.create_order(CloudChannel.TENCENT, "200000000000", 5 * USD)).unwrap()
    first = asyncio.create_task(cloud.pay_order(order.sn))
    await asyncio.sleep(0.1)
    second = await cloud.pay_order(order.sn)
    assert (second.outcome, second.reason) == (Outcome.PENDING, "processing")
    during = await cloud.order(order.sn)
    assert (during.outcome, during.reason) == (Outcome.PENDING, "pending")
    assert (await first).outcome == Outcome.SUCCEEDED


async def test_a_pay_that_timed_out_before_upstream_acted_leaves_the_order_unpaid(
    upstream: tuple[CloudSimulator, str], cloud: CloudRechargeClient
) -> None:
    simulator, _ = upstream
    order = (await cloud.create_order(CloudChannel.TENCENT, "200000000000", 5 * USD)).unwrap()
    simulator.plan.add("hang", path=f"/api/orders/{order.sn}/pay", seconds=3)
    reply = await cloud.pay_order(order.sn)
    assert (reply.outcome, reply.reason) == (Outcome.UNKNOWN, "timeout")
    assert (await cloud.order(order.sn)).reason == "pending"


async def test_a_pay_whose_answer_was_dropped_after_upstream_committed(
    upstream: tuple[CloudSimulator, str], cloud: CloudRechargeClient
) -> None:
    simulator, _ = upstream
    order = (await cloud.create_order(CloudChannel.TENCENT, "200000000000", 5 * USD)).unwrap()
    simulator.plan.add("drop", path=f"/api/orders/{order.sn}/pay")
    reply = await cloud.pay_order(order.sn)
    assert (reply.outcome, reply.reason) == (Outcome.UNKNOWN, "disconnected")
    assert (await cloud.order(order.sn)).outcome == Outcome.SUCCEEDED


async def test_a_pay_answer_without_a_paid_order_is_not_a_success(
    upstream: tuple[CloudSimulator, str], cloud: CloudRechargeClient
) -> None:
    simulator, _ = upstream
    order = (await cloud.create_order(CloudChannel.TENCENT, "200000000000", 5 * USD)).unwrap()
    unpaid = {
        "sn": order.sn,
        "channel": "qcloud",
        "uid": "200000000000",
        "money": "5",
        "recharge_amount": "5.00",
        "status": "pending",
    }
    simulator.plan.add("answer", path="/api/orders/*/pay", body={"code": 0, "data": unpaid})
    reply = await cloud.pay_order(order.sn)
    assert (reply.outcome, reply.reason) == (Outcome.PENDING, "pending")


async def test_a_pay_answered_too_late_was_still_carried_out(
    upstream: tuple[CloudSimulator, str], cloud: CloudRechargeClient
) -> None:
    simulator, _ = upstream
    order = (await cloud.create_order(CloudChannel.TENCENT, "200000000000", 5 * USD)).unwrap()
    simulator.plan.add("slow", path=f"/api/orders/{order.sn}/pay", seconds=3)
    reply = await cloud.pay_order(order.sn)
    assert (reply.outcome, reply.reason) == (Outcome.UNKNOWN, "timeout")
    assert simulator.orders[order.sn].status == "paid"
    assert (await cloud.order(order.sn)).outcome == Outcome.SUCCEEDED


@pytest.mark.parametrize(("kind", "reason"), [("5xx", "http_error"), ("garbage", "unreadable")])
async def test_unreadable_answers_are_unknown_never_rejected(
    upstream: tuple[CloudSimulator, str], cloud: CloudRechargeClient, kind: str, reason: str
) -> None:
    simulator, _ = upstream
    order = (await cloud.create_order(CloudChannel.TENCENT, "200000000000", 5 * USD)).unwrap()
    simulator.plan.add(kind, path="/api/orders/*/pay")
    reply = await cloud.pay_order(order.sn)
    assert (reply.outcome, reply.reason) == (Outcome.UNKNOWN, reason)


async def test_reads_are_retried_with_backoff(
    upstream: tuple[CloudSimulator, str], cloud: CloudRechargeClient
) -> None:
    simulator, _ = upstream
    simulator.plan.add("5xx", path="/api/uid", times=2)
    reply = await cloud.lookup_account(CloudChannel.TENCENT, "200000000000")
    assert reply.outcome == Outcome.SUCCEEDED
    assert simulator.plan.faults == []


async def test_writes_are_not_retried(
    upstream: tuple[CloudSimulator, str], cloud: CloudRechargeClient
) -> None:
    simulator, _ = upstream
    simulator.plan.add("drop", path="/api/orders")
    reply = await cloud.create_order(CloudChannel.TENCENT, "200000000000", 5 * USD)
    assert reply.outcome == Outcome.UNKNOWN
    assert len(simulator.orders) == 1  # created once upstream, not again by a retry
