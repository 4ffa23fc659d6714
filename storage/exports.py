"""Orders and ledger entries as CSV, for operators to take into a spreadsheet (`/export`).

Amounts are exact decimals of their currency (micro-units divided by 1,000,000), never floats.
Text comes from operators, customers and upstreams (a `/credit` reason, an upstream reference): a
spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return before
one) as a formula, so every text cell that starts so gets a leading single quote, which shows the
text as it is; numbers are written as numbers, a minus sign and all.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from storage.database import Database

Cell = str | int | Decimal | None  # text, a count or id, an amount, or nothing
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

ORDER_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "user_id",
    "product",
    "status",
    "charge",
    "upstream_cost",
    "upstream_currency",
    "upstream_ref",
)
LEDGER_COLUMNS = (
    "transaction_id",
    "created_at",
    "kind",
    "account",
    "amount",
    "user_id",
    "order_id",
    "actor",
    "memo",
)


def _units(micro: int | None) -> Decimal | None:
    return None if micro is None else Decimal(micro).scaleb(-6)


def _cell(value: Cell) -> str:
    match value:
        case None:
            return ""
        case Decimal():
            return f"{value:f}"
        case int():
            return str(value)
        case str() if value.startswith(FORMULA_STARTS):
            return f"'{value}"
        case _:
            return value


def _csv(header: tuple[str, ...], rows: list[list[Cell]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return out.getvalue().encode("utf-8")


class ExportStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def orders(self, since: str) -> tuple[int, bytes]:
        """Placed orders created at or after `since`; (count, CSV)."""
        rows = await self._db.fetch_all(
            "SELECT * FROM orders WHERE created_at >= ? AND status NOT IN ('quoted', 'cancelled')"
            " ORDER BY created_at",
            (since,),
        )
        table: list[list[Cell]] = [
            [
                row["id"],
                row["created_at"],
                row["updated_at"],
                row["user_id"],
                row["product"],
                row["status"],
                _units(row["charge"]),
                _units(row["upstream_cost"]),
                row["upstream_currency"],
                row["upstream_ref"],
            ]
            for row in rows
        ]
        return len(table), _csv(ORDER_COLUMNS, table)

    async def ledger(self, since: str) -> tuple[int, bytes]:
        """Every entry of every transaction at or after `since`; (count, CSV)."""
        rows = await self._db.fetch_all(
            "SELECT t.id, t.created_at, t.kind, a.code, e.amount, t.user_id, t.order_id,"
            " t.actor, t.memo FROM ledger_entries e"
            " JOIN ledger_transactions t ON t.id = e.transaction_id"
            " JOIN ledger_accounts a ON a.id = e.account_id"
            " WHERE t.created_at >= ? ORDER BY t.id, e.id",
            (since,),
        )
        table: list[list[Cell]] = [
            [
                row["id"],
                row["created_at"],
                row["kind"],
                row["code"],
                _units(row["amount"]),
                row["user_id"],
                row["order_id"],
                row["actor"],
                row["memo"],
            ]
            for row in rows
        ]
        return len(table), _csv(LEDGER_COLUMNS, table)
