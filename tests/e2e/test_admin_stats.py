"""`/stats`, on a shop of its own, every figure checked against the ledger and the orders."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from storage.ledger import DEPOSITS, SALES
from tests.e2e.flows import CONFIRM, USDT, cloud_confirmation, new_customer
from tests.e2e.harness import Shop


async def test_stats_agree_with_the_ledger(own_shop: Shop) -> None:
    boss = own_shop.admin()
    buyer, _ = await cloud_confirmation(own_shop, 100 * USDT)
    await buyer.press(CONFIRM)
    await buyer.wait_until(lambda m: "Done!" in m.text)
    unlucky, _ = await cloud_confirmation(own_shop, 50 * USDT, uid="200000000409")
    await unlucky.press(CONFIRM)
    await unlucky.wait_until(lambda m: "could not be completed" in m.text)
    await boss.send(f"/credit {buyer.user_id} 5 goodwill")  # a correction, not a deposit
    await boss.wait_for_bot()

    revenue = await own_shop.ledger.account_balance(SALES)
    deposits = -await own_shop.ledger.account_balance(DEPOSITS)
    costs = await own_shop.db.fetch_all(
        "SELECT upstream_cost, json_extract(details, '$.store_rate') AS rate FROM orders"
        " WHERE status = 'succeeded'"
    )
    cost = sum(int(Decimal(row["upstream_cost"]) * Decimal(row["rate"])) for row in costs)
    customers = await own_shop.db.fetch_value("SELECT COUNT(*) FROM users")
    assert (revenue, deposits, cost, customers) == (10_500_000, 150 * USDT, 10 * USDT, 2)

    for period in ("", " 7d", " 30d", " TODAY"):
        await boss.send(f"/stats{period}")
        stats = await boss.wait_for_bot()
        assert (
            "cloud: 2 placed, 1 delivered · revenue 10.50 USDT · cost 10.00 USDT · "
            "margin 0.50 USDT" in stats.text
        ), (period, stats.text)
        assert "All lines: 2 placed, 1 delivered · revenue 10.50 USDT" in stats.text
        assert "New customers: 2" in stats.text
        assert "Deposits: 150.00 USDT in 2" in stats.text

    await boss.send("/stats forever")
    assert "No period forever. Usage: /stats [today|7d|30d]" in (await boss.wait_for_bot()).text


async def test_exports_hold_every_order_and_every_ledger_entry(own_shop: Shop) -> None:
    boss = own_shop.admin()
    buyer, _ = await cloud_confirmation(own_shop, 100 * USDT)
    await buyer.press(CONFIRM)
    await buyer.wait_until(lambda m: "Done!" in m.text)
    [order] = await own_shop.db.fetch_all("SELECT * FROM orders WHERE status = 'succeeded'")

    await boss.send("/export orders 7")
    sent = await boss.wait_until(lambda m: m.document is not None)
    assert sent.document is not None and sent.document.file_name.startswith("orders-")
    orders = list(csv.DictReader(io.StringIO(sent.document.data.decode())))
    assert [(row["id"], row["status"], row["charge"], row["upstream_cost"]) for row in orders] == [
        (order["id"], "succeeded", "10.500000", "10.000000")
    ]

    await boss.send("/export ledger")
    sent = await boss.wait_until(lambda m: m.document is not None and "ledger" in m.text)
    assert sent.document is not None
    entries = list(csv.DictReader(io.StringIO(sent.document.data.decode())))
    stored = await own_shop.db.fetch_value("SELECT COUNT(*) FROM ledger_entries")
    assert len(entries) == stored
    assert sum(Decimal(row["amount"]) for row in entries) == 0  # double entry, exactly
    assert {row["kind"] for row in entries} == {"deposit", "hold", "post"}

    for command in (
        "/export",
        "/export users",
        "/export orders 0",
        "/export orders x",
        "/export ledger 7 8",
    ):
        await boss.send(command)
        reply = await boss.wait_for_bot()
        assert "Usage: /export orders|ledger [DAYS]" in reply.text, (command, reply.text)


async def test_exported_text_is_never_taken_for_a_formula(own_shop: Shop) -> None:
    boss = own_shop.admin()
    cleo = await new_customer(own_shop, 0, "Cleo")
    reasons = (
        '=HYPERLINK("http://127.0.0.1/x","refund")',
        "+1+2 goodwill",
        "-3 adjusted",
        "@SUM(A1:A9)",
    )
    for reason in reasons:
        await boss.send(f"/credit {cleo.user_id} 2 {reason}")
        assert "Credited 2.00 USDT" in (await boss.wait_for_bot()).text
    await boss.send(f"/debit {cleo.user_id} 1.50 =1-1")
    assert "Debited 1.50 USDT" in (await boss.wait_for_bot()).text

    await boss.send("/export ledger")
    sent = await boss.wait_until(lambda m: m.document is not None)
    assert sent.document is not None
    entries = list(csv.DictReader(io.StringIO(sent.document.data.decode())))
    cleos = [row for row in entries if row["user_id"] == str(cleo.user_id)]
    # Each text cell that a spreadsheet would read as a formula starts with a quote ...
    assert {row["memo"] for row in cleos} == {f"'{reason}" for reason in (*reasons, "=1-1")}
    # ... and numbers stay numbers, a minus sign and all.
    assert sorted({row["amount"] for row in cleos}) == [
        "-1.500000",
        "-2.000000",
        "1.500000",
        "2.000000",
    ]
    assert sum(Decimal(row["amount"]) for row in entries) == 0
    assert {row["actor"] for row in cleos} == {"admin:900001"}
    await own_shop.check_ledger()
