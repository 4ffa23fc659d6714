"""Deposit requests and the payments that credit them (see migration 0004)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from storage.database import Database, Row, Transaction


class Method(StrEnum):
    USDT = "usdt"  # a USDT-TRC20 transfer to DEPOSIT_ADDRESS, found by the watch
    STARS = "stars"  # a Telegram Stars payment
    MANUAL = "manual"  # a transfer the customer claims by its hash, for an operator to approve


class RequestStatus(StrEnum):
    OPEN = "open"
    CREDITED = "credited"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class PaymentStatus(StrEnum):
    CREDITED = "credited"
    UNMATCHED = "unmatched"  # arrived, but whose it is waits for an operator
    IGNORED = "ignored"
    CLAIMED = "claimed"  # a customer says they paid it; waits for an operator
    REJECTED = "rejected"
    REFUNDING = "refunding"  # its money left the wallet; Telegram's answer to the refund awaited
    REFUNDED = "refunded"


@dataclass(frozen=True)
class DepositRequest:
    id: str
    user_id: int
    method: Method
    amount: int
    pay_amount: int
    status: RequestStatus
    return_to: str | None
    created_at: str
    expires_at: str

    @classmethod
    def from_row(cls, row: Row) -> DepositRequest:
        return cls(
            id=row["id"],
            user_id=row["user_id"],
            method=Method(row["method"]),
            amount=row["amount"],
            pay_amount=row["pay_amount"],
            status=RequestStatus(row["status"]),
            return_to=row["return_to"],
            created_at=row["created_at"],
            expires_at=row["expires_at"],
        )


@dataclass(frozen=True)
class Payment:
    id: int
    reference: str
    method: Method
    user_id: int | None
    request_id: str | None
    paid: int
    credited: int | None
    status: PaymentStatus
    sender: str
    paid_at: str
    decided_by: int | None
    note: str

    @classmethod
    def from_row(cls, row: Row) -> Payment:
        return cls(
            id=row["id"],
            reference=row["reference"],
            method=Method(row["method"]),
            user_id=row["user_id"],
            request_id=row["request_id"],
            paid=row["paid"],
            credited=row["credited"],
            status=PaymentStatus(row["status"]),
            sender=row["sender"],
            paid_at=row["paid_at"],
            decided_by=row["decided_by"],
            note=row["note"],
        )


class DepositStore:
    """The SQL; `bot.deposits` decides, inside its own transactions."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def request(
        self, request_id: str, tx: Transaction | None = None
    ) -> DepositRequest | None:
        reads = tx or self._db
        row = await reads.fetch_one("SELECT * FROM deposit_requests WHERE id = ?", (request_id,))
        return None if row is None else DepositRequest.from_row(row)

    async def payment(self, payment_id: int, tx: Transaction | None = None) -> Payment | None:
        if not 0 < payment_id < 2**63:  # SQLite's integers: anything else names no payment
            return None
        reads = tx or self._db
        row = await reads.fetch_one("SELECT * FROM payments WHERE id = ?", (payment_id,))
        return None if row is None else Payment.from_row(row)

    async def payment_by_reference(
        self, reference: str, tx: Transaction | None = None
    ) -> Payment | None:
        reads = tx or self._db
        row = await reads.fetch_one("SELECT * FROM payments WHERE reference = ?", (reference,))
        return None if row is None else Payment.from_row(row)

    async def pay_amounts_in_use(
        self, tx: Transaction, method: Method, base: int, reserved_since: str
    ) -> set[int]:
        """The amounts to pay held by requests whose window ended after `reserved_since`, in any
        state: a late or repeated transfer of such an amount must not pay someone else."""
        rows = await tx.fetch_all(
            "SELECT pay_amount FROM deposit_requests WHERE method = ? AND expires_at > ?"
            " AND pay_amount BETWEEN ? AND ?",
            (method.value, reserved_since, base, base + 1_000_000),
        )
        return {row[0] for row in rows}

    async def insert_request(self, tx: Transaction, request: DepositRequest) -> None:
        await tx.execute(
            "INSERT INTO deposit_requests (id, user_id, method, amount, pay_amount, status,"
            " return_to, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (request.id, request.user_id, request.method.value, request.amount,
             request.pay_amount, request.status.value, request.return_to, request.created_at,
             request.expires_at),
        )  # fmt: skip

    async def close_request(
        self, tx: Transaction, request_id: str, status: RequestStatus, now: str
    ) -> bool:
        """Close a request that is not credited yet; False if it was."""
        changed = await tx.execute_changes(
            "UPDATE deposit_requests SET status = ?, closed_at = ?"
            " WHERE id = ? AND status != 'credited'",
            (status.value, now, request_id),
        )
        return changed == 1

    async def expire_overdue(self, now: str) -> int:
        async with self._db.write() as tx:
            return await tx.execute_changes(
                "UPDATE deposit_requests SET status = 'expired', closed_at = ?"
                " WHERE status = 'open' AND expires_at <= ?",
                (now, now),
            )

    async def live_requests_of(self, tx: Transaction, user_id: int, now: str) -> int:
        """A customer's requests that still hold an amount: not credited, window open."""
        count: int = await tx.fetch_value(
            "SELECT COUNT(*) FROM deposit_requests WHERE user_id = ? AND status != 'credited'"
            " AND expires_at > ?",
            (user_id, now),
        )
        return count

    async def open_requests_of(
        self, tx: Transaction, user_id: int, method: Method, now: str
    ) -> int:
        """A customer's requests of one method that can still be paid as asked: open, unexpired."""
        count: int = await tx.fetch_value(
            "SELECT COUNT(*) FROM deposit_requests WHERE user_id = ? AND method = ?"
            " AND status = 'open' AND expires_at > ?",
            (user_id, method.value, now),
        )
        return count

    async def open_requests(
        self, method: Method, now: str, limit: int = 10
    ) -> list[DepositRequest]:
        """Requests of one method that can still be paid as asked, newest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM deposit_requests WHERE method = ? AND status = 'open'"
            " AND expires_at > ? ORDER BY created_at DESC LIMIT ?",
            (method.value, now, limit),
        )
        return [DepositRequest.from_row(row) for row in rows]

    async def first_request_at(self, method: Method) -> str | None:
        """When the shop made its first request of that method (None: it never made one)."""
        value = await self._db.fetch_value(
            "SELECT MIN(created_at) FROM deposit_requests WHERE method = ?", (method.value,)
        )
        return None if value is None else str(value)

    async def refund_attempts(self, tx: Transaction, payment_id: int) -> int:
        """How many times the payment's money left the wallet for a refund (see `bot.deposits`:
        each attempt is keyed `deposit-refund:<payment>:<attempt>`)."""
        prefix = f"deposit-refund:{payment_id}:"
        count: int = await tx.fetch_value(
            "SELECT COUNT(*) FROM ledger_transactions WHERE kind = 'deposit_refund'"
            " AND idempotency_key >= ? AND idempotency_key < ?",
            (prefix, prefix[:-1] + ";"),  # ';' follows ':': the range is exactly the prefix
        )
        return count

    async def usdt_request_paid_by(
        self, tx: Transaction, pay_amount: int, earliest: str, latest: str
    ) -> DepositRequest | None:
        """The USDT request a transfer pays: the exact amount, sent while the request was open
        (a request the customer cancelled and paid anyway still counts). The transfer's time,
        give or take the clocks' disagreement, lies between `earliest` and `latest`."""
        row = await tx.fetch_one(
            "SELECT * FROM deposit_requests WHERE method = 'usdt' AND pay_amount = ?"
            " AND status != 'credited' AND created_at <= ? AND expires_at >= ?"
            " ORDER BY created_at LIMIT 1",
            (pay_amount, latest, earliest),
        )
        return None if row is None else DepositRequest.from_row(row)

    async def usdt_candidates(self, pay_amount: int, paid_at: str) -> list[int]:
        """Customers whose USDT requests asked for exactly this amount, those closest in time to
        the transfer first (for an operator to choose from when it arrived late or twice)."""
        rows = await self._db.fetch_all(
            "SELECT user_id FROM deposit_requests WHERE method = 'usdt' AND pay_amount = ?"
            " GROUP BY user_id ORDER BY MIN(ABS(julianday(created_at) - julianday(?))) LIMIT 3",
            (pay_amount, paid_at),
        )
        return [row[0] for row in rows]

    async def insert_payment(
        self,
        tx: Transaction,
        *,
        reference: str,
        method: Method,
        paid: int,
        status: PaymentStatus,
        paid_at: str,
        now: str,
        sender: str = "",
        user_id: int | None = None,
        note: str = "",
    ) -> int:
        return await tx.execute(
            "INSERT INTO payments (reference, method, user_id, paid, status, sender, paid_at,"
            " seen_at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (reference, method.value, user_id, paid, status.value, sender, paid_at, now, note),
        )

    async def open_claims_of(self, tx: Transaction, user_id: int) -> int:
        count: int = await tx.fetch_value(
            "SELECT COUNT(*) FROM payments WHERE user_id = ? AND status = 'claimed'", (user_id,)
        )
        return count

    async def settle_payment(
        self,
        tx: Transaction,
        payment_id: int,
        status: PaymentStatus,
        now: str,
        *,
        user_id: int | None = None,
        request_id: str | None = None,
        credited: int | None = None,
        decided_by: int | None = None,
        note: str = "",
    ) -> None:
        await tx.execute(
            "UPDATE payments SET status = ?, user_id = COALESCE(?, user_id),"
            " request_id = COALESCE(?, request_id), credited = COALESCE(?, credited),"
            " decided_by = COALESCE(?, decided_by), decided_at = ?, note = ? WHERE id = ?",
            (status.value, user_id, request_id, credited, decided_by, now, note[:200], payment_id),
        )

    async def record_chain(
        self,
        tx: Transaction,
        payment_id: int,
        paid: int,
        sender: str,
        paid_at: str,
        status: PaymentStatus,
    ) -> None:
        """What the chain says of a claimed transfer, now that the watch has seen it."""
        await tx.execute(
            "UPDATE payments SET paid = ?, sender = ?, paid_at = ?, status = ? WHERE id = ?",
            (paid, sender, paid_at, status.value, payment_id),
        )

    async def mark(self, name: str) -> int | None:
        value = await self._db.fetch_value("SELECT value FROM watch_marks WHERE name = ?", (name,))
        return None if value is None else int(value)

    async def set_mark(self, name: str, value: int) -> None:
        async with self._db.write() as tx:
            await tx.execute(
                "INSERT INTO watch_marks (name, value) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, value),
            )

    async def waiting(self, status: PaymentStatus, limit: int = 20) -> list[Payment]:
        rows = await self._db.fetch_all(
            "SELECT * FROM payments WHERE status = ? ORDER BY id LIMIT ?", (status.value, limit)
        )
        return [Payment.from_row(row) for row in rows]

    async def awaiting_operators(self, limit: int = 10) -> list[Payment]:
        """Unmatched transfers and claims, the oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM payments WHERE status IN ('unmatched', 'claimed') ORDER BY id LIMIT ?",
            (limit,),
        )
        return [Payment.from_row(row) for row in rows]
