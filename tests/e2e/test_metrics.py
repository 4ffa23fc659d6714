"""`/metrics` of the real bot process, scraped as Prometheus does, after a purchase of every
product line and a USDT deposit; and who may scrape it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families

from bot.telegram.intake import PER_CHAT
from sandbox.server import free_port
from sandbox.trongrid import DEMO_DEPOSIT_ADDRESS
from tests.e2e.flows import (
    CONFIRM,
    USDT,
    cloud_confirmation,
    energy_confirmation,
    new_customer,
    wallet_of,
)
from tests.e2e.harness import Shop, until
from tests.e2e.test_accounts import open_service
from tests.e2e.test_acedata import pay_link
from tests.e2e.test_deposits_usdt import ask_to_top_up, pay_amount
from tests.e2e.test_topup import bought

TOKEN = "e2e-metrics-token-0123456789abcdef"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def get(url: str, token: str | None = None, scheme: str = "Bearer") -> tuple[int, str]:
    headers = {} if token is None else {"Authorization": f"{scheme} {token}"}
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as answer:
        return answer.status, await answer.text()


def samples(text: str) -> Samples:
    """Every sample of a scrape, by name and labels, read with Prometheus's own parser."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scraped: Samples, name: str, **labels: str) -> float:
    return scraped[(name, frozenset(labels.items()))]


class MeteredShop(Shop):
    """A shop with METRICS_TOKEN and METRICS_PORT set."""

    def __init__(self, workdir: Path) -> None:
        self.metrics_port = free_port()
        super().__init__(workdir, {"METRICS_TOKEN": TOKEN, "METRICS_PORT": str(self.metrics_port)})


@pytest_asyncio.fixture
async def metered_shop(tmp_path: Path) -> AsyncIterator[MeteredShop]:
    running = MeteredShop(tmp_path)
    await running.start()
    yield running
    await running.stop()


async def scrape(shop: Shop) -> Samples:
    status, text = await get(f"http://127.0.0.1:{shop.web_port}/metrics", TOKEN)
    assert status == 200, text
    assert TOKEN not in text
    return samples(text)


async def test_a_scrape_after_a_purchase_of_every_line_reads_what_happened(
    metered_shop: Shop,
) -> None:
    shop = metered_shop
    shop.topup.process_seconds = 0.02
    shop.topup.callback_delay = 0.02
    customers = []

    cloud, _ = await cloud_confirmation(shop, 20 * USDT)
    await cloud.press(CONFIRM)
    await cloud.wait_until(lambda m: "Done!" in m.text)
    energy, _ = await energy_confirmation(shop, 5 * USDT)
    await energy.press(CONFIRM)
    await energy.wait_until(lambda m: "Done!" in m.text)
    topup, _ = await bought(shop, "+254771114118", "100 KES · 0.79 USDT")
    accounts = await new_customer(shop, 10 * USDT)
    await open_service(accounts, "Facebook", "Clone US")
    await accounts.press("5")
    await accounts.wait_for_bot()
    await accounts.press(CONFIRM)
    await accounts.wait_until(lambda m: m.document is not None)
    acedata, link = await pay_link(shop)
    assert link.text.startswith("💳"), link.text
    customers += [cloud, energy, topup, accounts, acedata]

    depositor = shop.customer("Dan")
    request = await ask_to_top_up(shop, depositor, 10)
    shop.tron.transfer(DEMO_DEPOSIT_ADDRESS, pay_amount(request))
    await depositor.wait_until(lambda m: "added to your balance" in m.text)
    customers.append(depositor)

    scraped = await scrape(shop)

    # Orders by line and status, read from the database.
    for line in ("cloud", "energy", "topup", "accounts"):
        assert value(scraped, "storefront_orders", line=line, status="succeeded") == 1, line
    [(acedata_status,)] = [
        tuple(row)
        for row in await shop.db.fetch_all(
            "SELECT status FROM orders WHERE product = ?", ("acedata",)
        )
    ]
    assert value(scraped, "storefront_orders", line="acedata", status=acedata_status) == 1
    # AceData's pay link waits for the customer to pay AceData: the reconciliation follows it up.
    assert value(scraped, "storefront_reconciliation_backlog") == 1
    assert value(scraped, "storefront_review_queue") == 0
    assert value(scraped, "storefront_open_holds") == 0
    assert value(scraped, "storefront_open_holds_amount") == 0

    # Money in the shop's currency, as the ledger holds it.
    wallets = [await wallet_of(shop, customer) for customer in customers]
    owed = sum(available for available, _ in wallets)
    assert value(scraped, "storefront_customer_balances") == pytest.approx(owed / USDT)
    assert value(scraped, "storefront_deposits_credited_total", method="usdt") == 1
    assert value(scraped, "storefront_deposits_credited_amount_total", method="usdt") == (
        pytest.approx(pay_amount(request) / USDT)
    )

    # Each line's upstream calls, by operation and outcome.
    for line, operation, outcome in (
        ("cloud", "create_order", "succeeded"),
        ("cloud", "pay_order", "succeeded"),
        ("energy", "place_order", "succeeded"),
        ("topup", "place_order", "pending"),  # KUMQUAT calls back when it is done
        ("accounts", "buy", "succeeded"),
        ("acedata", "create_order", "pending"),  # until the customer pays AceData
    ):
        calls = dict(line=line, operation=operation, outcome=outcome)
        assert value(scraped, "storefront_upstream_calls_total", **calls) == 1, calls
        timed = dict(line=line, operation=operation)
        assert value(scraped, "storefront_upstream_call_seconds_count", **timed) >= 1, timed
    assert (
        value(
            scraped,
            "storefront_upstream_calls_total",
            line="usdt",
            operation="incoming",
            outcome="succeeded",
        )
        >= 1
    )
    assert 0 <= value(scraped, "storefront_usdt_watch_lag_seconds") < 30

    # Updates and the Bot API, counted by the process.
    assert value(scraped, "storefront_updates_total", type="message", outcome="handled") >= 7
    assert (
        value(scraped, "storefront_updates_total", type="callback_query", outcome="handled") >= 20
    )
    assert value(scraped, "storefront_handler_seconds_count", type="callback_query") >= 20
    assert value(scraped, "storefront_bot_api_calls_total", method="getUpdates", outcome="ok") >= 1
    assert value(scraped, "storefront_bot_api_calls_total", method="sendMessage", outcome="ok") >= 6
    assert (
        value(scraped, "storefront_bot_api_calls_total", method="editMessageText", outcome="ok")
        >= 5
    )

    # The background jobs, and /readyz's checks.
    assert (
        value(scraped, "storefront_job_last_success_timestamp_seconds", task="reconcile-orders") > 0
    )
    assert value(scraped, "storefront_job_failures_total", task="reconcile-orders") == 0
    assert value(scraped, "storefront_job_failures_total", task="watch-usdt-deposits") == 0
    for check in ("database", "migrations", "telegram", "scheduler"):
        assert value(scraped, "storefront_ready", check=check) == 1

    # Figures from the database survive a restart; the process's counters start again.
    await shop.restart_bot()
    again = await scrape(shop)
    assert value(again, "storefront_orders", line="cloud", status="succeeded") == 1
    assert value(again, "storefront_deposits_credited_total", method="usdt") == 1
    assert (
        "storefront_upstream_calls_total",
        frozenset({"line": "cloud", "operation": "create_order", "outcome": "succeeded"}.items()),
    ) not in again


async def test_metrics_need_the_token_on_the_public_server(metered_shop: Shop) -> None:
    url = f"http://127.0.0.1:{metered_shop.web_port}/metrics"
    status, body = await get(url)
    assert status == 401 and "storefront_" not in body
    status, body = await get(url, "wrong-token-0123456789abcdef")
    assert status == 401 and "storefront_" not in body
    status, body = await get(url, TOKEN[:-1])
    assert status == 401
    status, body = await get(url, TOKEN, scheme="Basic")
    assert status == 401 and "storefront_" not in body
    # The scheme's name is case-insensitive (RFC 7235): Prometheus and curl users write either.
    for scheme in ("bearer", "BEARER"):
        status, body = await get(url, TOKEN, scheme=scheme)
        assert status == 200 and "storefront_updates_total" in body, scheme


async def test_the_metrics_port_answers_on_loopback_only_without_a_token(
    metered_shop: MeteredShop,
) -> None:
    port = metered_shop.metrics_port
    status, body = await get(f"http://127.0.0.1:{port}/metrics")
    assert status == 200
    scraped = samples(body)
    assert value(scraped, "storefront_open_holds") == 0
    assert value(scraped, "storefront_ready", check="database") == 1
    # Bound to 127.0.0.1 alone: another loopback address of this machine finds nobody there.
    with pytest.raises(aiohttp.ClientConnectorError):
        await get(f"http://127.0.0.2:{port}/metrics")


async def test_without_a_token_the_public_server_has_no_metrics(shop: Shop) -> None:
    status, body = await get(f"http://127.0.0.1:{shop.web_port}/metrics", TOKEN)
    assert status == 404 and "storefront_" not in body


async def test_updates_a_busy_chat_had_skipped_are_counted(metered_shop: MeteredShop) -> None:
    """Ann's /start waits on a Telegram call held back while she sends 20 more: the chat's
    places fill up (the held one and PER_CHAT - 1 waiting behind it) and the rest are skipped,
    each counted."""
    ann = await new_customer(metered_shop, 0, "Ann")
    skipped = {"type": "message", "outcome": "skipped"}
    before = (await scrape(metered_shop)).get(
        ("storefront_updates_total", frozenset(skipped.items())), 0
    )
    stuck = metered_shop.emulator.hold("sendMessage", text_contains="Welcome back")
    try:
        await ann.send("/start")
        await asyncio.wait_for(stuck.reached.wait(), 10)
        for _ in range(20):
            await ann.send("/start")
        counted = 0.0
        for _ in range(100):  # until the bot has taken all 20 in
            after = await scrape(metered_shop)
            counted = after.get(("storefront_updates_total", frozenset(skipped.items())), 0)
            if counted - before >= 20 - (PER_CHAT - 1):
                break
            await asyncio.sleep(0.1)
    finally:
        stuck.release()
    assert counted - before == 20 - (PER_CHAT - 1)
    await until(lambda: len(ann.bot_messages) > 1, "Ann's held answer arrived")
