"""`/export`'s CSV as a spreadsheet reads it: text that would run as a formula is quoted, numbers
and ordinary text stay exactly as stored."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from bot.services.figures import OperatorFigures
from storage.exports import ExportStore
from storage.ledger import Kind
from tests.unit.conftest import Books

USDT = 1_000_000
SINCE = "2000-01-01T00:00:00.000000Z"


def _rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode(), newline="")))


async def test_every_text_cell_that_could_run_as_a_formula_is_quoted(books: Books) -> None:
    alice = await books.customer(7)
    memos = ["=1+1", "+SUM(A1)", "-2", "@A1", "\t=1+1", "\r=1+1", "plain, with = inside", "'quoted"]
    for number, memo in enumerate(memos):
        await books.ledger.credit(
            alice, USDT, key=f"k{number}", kind=Kind.ADJUSTMENT, memo=memo, actor="=admin"
        )
    count, content = await ExportStore(books.db).ledger(SINCE)
    rows = _rows(content)
    assert count == len(rows) == 2 * len(memos)
    assert [row["memo"] for row in rows[::2]] == [
        "'=1+1",
        "'+SUM(A1)",
        "'-2",
        "'@A1",
        "'\t=1+1",
        "'\r=1+1",
        "plain, with = inside",
        "'quoted",
    ]
    assert {row["actor"] for row in rows} == {"'=admin"}
    assert {row["amount"] for row in rows} == {"1.000000", "-1.000000"}  # numbers as numbers
    assert {row["user_id"] for row in rows} == {"7"}


async def test_an_upstream_reference_in_the_orders_export_is_quoted_too(books: Books) -> None:
    alice = await books.customer(7)
    order = await books.order("O1", alice, 3 * USDT)
    await books.orders.note(order, upstream_ref="=cmd|'/c calc'!A1")
    async with books.db.write() as tx:  # placed: exports leave quotes nobody confirmed out
        await tx.execute("UPDATE orders SET status = 'succeeded' WHERE id = ?", (order,))
    _, content = await ExportStore(books.db).orders(SINCE)
    [row] = _rows(content)
    assert (row["id"], row["charge"], row["upstream_cost"]) == ("O1", "3.000000", "")
    assert row["upstream_ref"] == "'=cmd|'/c calc'!A1"


async def test_operators_get_the_rows_from_the_moment_they_ask_for(books: Books) -> None:
    alice = await books.customer(7)
    await books.ledger.credit(alice, 2 * USDT, key="welcome", kind=Kind.DEPOSIT, memo="in")
    figures = OperatorFigures(books.db)
    now = datetime.now(UTC)

    assert (await figures.export("ledger", now - timedelta(minutes=1)))[0] == 2  # both sides
    assert (await figures.export("ledger", now + timedelta(minutes=1)))[0] == 0
    assert (await figures.export("orders", now - timedelta(minutes=1)))[0] == 0
    assert (await figures.since(now - timedelta(minutes=1))).deposits == 2 * USDT
    assert (await figures.since(now + timedelta(minutes=1))).deposits == 0
