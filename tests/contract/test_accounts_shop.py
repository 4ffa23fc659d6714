"""The account shop client against its simulator, over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from providers.accounts_shop import AccountShopClient
from providers.outcomes import Outcome
from sandbox.accounts_shop import DEMO_API_KEY, AccountShopSimulator
from tests.contract.conftest import FAST, NO_WAIT, serving

VND = 1_000_000


@pytest_asyncio.fixture
async def upstream() -> AsyncIterator[tuple[AccountShopSimulator, str]]:
    simulator = AccountShopSimulator()
    async with serving(simulator) as base:
        yield simulator, base


@pytest_asyncio.fixture
async def shop(upstream: tuple[AccountShopSimulator, str]) -> AsyncIterator[AccountShopClient]:
    client = AccountShopClient(upstream[1], DEMO_API_KEY, timeouts=FAST, retry=NO_WAIT)
    yield client
    await client.close()


async def test_services_are_listed_with_filters(shop: AccountShopClient) -> None:
    everything = (await shop.list_services()).unwrap()
    assert [s.id for s in everything] == [1, 2, 3, 4]  # the locked one is not for sale
    assert everything[0].price == 300 * VND and everything[0].total_available == 850
    emails = (await shop.list_services(kind="email")).unwrap()
    assert [s.name for s in emails] == ["Gmail aged", "Outlook fresh"]
    in_stock = (await shop.list_services(kind="email", available_only=True)).unwrap()
    assert [s.id for s in in_stock] == [4]


async def test_a_detail_with_limits(shop: AccountShopClient) -> None:
    detail = (await shop.service(2)).unwrap()
    assert (detail.typeofaccount, detail.geo, detail.minimum, detail.maximum) == (
        "facebook",
        "VN",
        2,
        20,
    )
    plain = (await shop.service(1)).unwrap()
    assert (plain.minimum, plain.maximum) == (1, None)
    for service_id, reason in ((999, "product_not_found"), (5, "product_not_found")):
        reply = await shop.service(service_id)
        assert (reply.outcome, reply.reason) == (Outcome.REJECTED, reason)


async def test_buying_delivers_accounts_and_a_replay_returns_the_same_order(
    upstream: tuple[AccountShopSimulator, str], shop: AccountShopClient
) -> None:
    simulator, _ = upstream
    bought = (await shop.buy(1, 3, "S100")).unwrap()
    assert bought.amount == 3 and len(bought.accounts) == 3
    assert all(line.count("|") == 2 for line in bought.accounts)
    assert simulator.balance == 5_000_000 - 900
    again = (await shop.buy(1, 3, "S100")).unwrap()
    assert again == bought
    assert simulator.balance == 5_000_000 - 900 and simulator.services[1].available == 847


@pytest.mark.parametrize(
    ("service_id", "amount", "setup", "reason"),
    [
        (3, 1, None, "out_of_stock"),
        (2, 1, None, "invalid_amount"),
        (2, 21, None, "invalid_amount"),
        (1, 0, None, "invalid_amount"),
        (77, 1, None, "invalid_service"),
        (2, 10, "poor", "upstream_balance_insufficient"),
    ],
)
async def test_purchase_refusals_take_nothing(
    upstream: tuple[AccountShopSimulator, str],
    shop: AccountShopClient,
    service_id: int,
    amount: int,
    setup: str | None,
    reason: str,
) -> None:
    simulator, _ = upstream
    if setup == "poor":
        simulator.balance = 10
    before = simulator.balance
    reply = await shop.buy(service_id, amount, f"S-{service_id}-{amount}")
    assert (reply.outcome, reply.reason) == (Outcome.REJECTED, reason)
    assert simulator.balance == before and simulator.purchases == {}


async def test_a_wrong_key(upstream: tuple[AccountShopSimulator, str]) -> None:
    client = AccountShopClient(upstream[1], "wrong", timeouts=FAST, retry=NO_WAIT)
    try:
        reply = await client.buy(1, 1, "S-key")
    finally:
        await client.close()
    assert (reply.outcome, reply.reason, reply.upstream_code) == (
        Outcome.REJECTED,
        "invalid_api_key",
        "1101",
    )


async def test_a_dropped_purchase_is_retried_with_the_same_request_id(
    upstream: tuple[AccountShopSimulator, str], shop: AccountShopClient
) -> None:
    simulator, _ = upstream
    simulator.plan.add("drop", path="/user/api/order.php")
    bought = (await shop.buy(4, 2, "S-drop")).unwrap()
    assert len(bought.accounts) == 2
    assert len(simulator.purchases) == 1 and simulator.services[4].available == 498


async def test_stock_running_out_between_detail_and_purchase(
    upstream: tuple[AccountShopSimulator, str], shop: AccountShopClient
) -> None:
    simulator, _ = upstream
    assert (await shop.service(4)).unwrap().total_available == 500
    simulator.services[4].available = 1
    reply = await shop.buy(4, 2, "S-late")
    assert (reply.outcome, reply.reason) == (Outcome.REJECTED, "out_of_stock")


@pytest.mark.parametrize(("kind", "reason"), [("5xx", "http_error"), ("garbage", "unreadable")])
async def test_faults_are_unknown(
    upstream: tuple[AccountShopSimulator, str], shop: AccountShopClient, kind: str, reason: str
) -> None:
    simulator, _ = upstream
    simulator.plan.add(kind, path="/user/api/order.php", times=3)
    reply = await shop.buy(1, 1, "S-fault")
    assert (reply.outcome, reply.reason) == (Outcome.UNKNOWN, reason)


async def test_an_unreadable_order_answer_keeps_the_accounts_out_of_logs_and_messages(
    upstream: tuple[AccountShopSimulator, str],
    shop: AccountShopClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    simulator, _ = upstream
    secret = "100077|hunter2|c_user=100077;xs=SECRET"
    body = {"success": True, "message": "OK", "data": {"amount": 1, "accounts": [secret]}}
    simulator.plan.add("answer", path="/user/api/order.php", times=3, body=body)
    with caplog.at_level("DEBUG"):
        reply = await shop.buy(1, 1, "S-unreadable")
    assert (reply.outcome, reply.reason) == (Outcome.UNKNOWN, "unreadable")
    assert "SECRET" not in reply.message and "hunter2" not in reply.message
    assert "SECRET" not in caplog.text and "hunter2" not in caplog.text


async def test_a_purchase_does_not_show_its_accounts_when_printed(
    shop: AccountShopClient,
) -> None:
    bought = (await shop.buy(4, 1, "S-repr")).unwrap()
    assert bought.accounts[0] not in repr(bought) and bought.accounts[0] not in str(bought)
