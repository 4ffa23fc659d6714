"""Deposit requests, the payments that credit them, and the claims customers make of USDT
transfers (see migrations 0004 and 0006)."""

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
    closed_at: str | None = None  # when it was credited, cancelled or marked expired

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
            closed_at=row["closed_at"],
        )


@dataclass(frozen=True)
class AmountInUse:
    """A USDT amount to pay that requests asked for lately (see `usdt_amounts_in_use`)."""

    pay_amount: int
    paid: bool  # one of them was credited
    until: str | None  # the latest end of their windows; None: only cancelled requests asked


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


@dataclass(frozen=True)
class Claim:
    """A customer's word that a USDT transfer is theirs (see
    `bot.services.deposits.usdt.UsdtDeposits.claim`)."""

    id: int
    payment_id: int
    user_id: int
    amount: int  # what they say it sent, in micro-USDT
    claimed_at: str
    settled_at: str | None  # when its transfer was decided, whichever way

    @classmethod
    def from_row(cls, row: Row) -> Claim:
        return cls(
            id=row["id"],
            payment_id=row["payment_id"],
            user_id=row["user_id"],
            amount=row["amount"],
            claimed_at=row["claimed_at"],
            settled_at=row["settled_at"],
        )


class DepositStore:
    """The SQL; `bot.services.deposits` decides, inside its own transactions."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def request(
        self, request_id: str, tx: Transaction | None = None
    ) -> DepositRequest | None:
        sql = "SELECT * FROM deposit_requests WHERE id = ?"
        row = await (tx or self._db).fetch_one(sql + _locked(tx), (request_id,))
        return None if row is None else DepositRequest.from_row(row)

    async def payment(self, payment_id: int, tx: Transaction | None = None) -> Payment | None:
        if not 0 < payment_id < 2**63:  # SQLite's integers: anything else names no payment
            return None
        sql = "SELECT * FROM payments WHERE id = ?"
        row = await (tx or self._db).fetch_one(sql + _locked(tx), (payment_id,))
        return None if row is None else Payment.from_row(row)

    async def payment_by_reference(
        self, reference: str, tx: Transaction | None = None
    ) -> Payment | None:
        sql = "SELECT * FROM payments WHERE reference = ?"
        row = await (tx or self._db).fetch_one(sql + _locked(tx), (reference,))
        return None if row is None else Payment.from_row(row)

    async def usdt_amounts_in_use(
        self, tx: Transaction, least: int, most: int, ended_since: str
    ) -> list[AmountInUse]:
        """The USDT amounts to pay, from `least` to `most`, that requests asked for, in windows
        that ended after `ended_since` or have not ended (a cancelled request's window ends when
        it is cancelled); `bot.services.deposits` decides which of them a new request may still
        get."""
        rows = await tx.fetch_all(
            "SELECT pay_amount, MAX(CASE WHEN status = 'credited' THEN 1 ELSE 0 END),"
            " MAX(CASE WHEN status != 'cancelled' THEN expires_at END) FROM deposit_requests"
            " WHERE method = 'usdt' AND pay_amount BETWEEN ? AND ?"
            " AND (expires_at > ? AND status != 'cancelled' OR closed_at > ?"
            " AND status = 'cancelled') GROUP BY pay_amount",
            (least, most, ended_since, ended_since),
        )
        return [AmountInUse(row[0], bool(row[1]), row[2]) for row in rows]

    async def usdt_requests_asking(
        self, tx: Transaction, pay_amount: int, ended_since: str
    ) -> list[DepositRequest]:
        """The USDT requests, in any state, that asked to pay exactly `pay_amount` and whose
        window ended after `ended_since` or has not ended, the oldest first: those a transfer of
        that amount may pay, or belong to (`bot.services.deposits` decides which)."""
        rows = await tx.fetch_all(
            "SELECT * FROM deposit_requests WHERE method = 'usdt' AND pay_amount = ?"
            " AND expires_at > ? ORDER BY created_at",
            (pay_amount, ended_since),
        )
        return [DepositRequest.from_row(row) for row in rows]

    async def insert_request(self, tx: Transaction, request: DepositRequest) -> None:
        await tx.execute(
            "INSERT INTO deposit_requests (id, user_id, method, amount, pay_amount, status,"
            " return_to, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                request.id,
                request.user_id,
                request.method.value,
                request.amount,
                request.pay_amount,
                request.status.value,
                request.return_to,
                request.created_at,
                request.expires_at,
            ),
        )

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

    async def open_requests_of(self, tx: Transaction, user_id: int, now: str) -> int:
        """A customer's requests, of any method, that can still be paid as asked: open and
        unexpired (cancelled and expired ones hold no place)."""
        count: int = await tx.fetch_value(
            "SELECT COUNT(*) FROM deposit_requests WHERE user_id = ? AND status = 'open'"
            " AND expires_at > ?",
            (user_id, now),
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
        """How many times the payment's money left the wallet for a refund (see
        `bot.services.deposits`: each attempt is keyed `deposit-refund:<payment>:<attempt>`)."""
        prefix = f"deposit-refund:{payment_id}:"
        count: int = await tx.fetch_value(
            "SELECT COUNT(*) FROM ledger_transactions WHERE kind = 'deposit_refund'"
            " AND idempotency_key >= ? AND idempotency_key < ?",
            (prefix, prefix[:-1] + ";"),  # ';' follows ':': the range is exactly the prefix
        )
        return count

    async def customer_known(self, tx: Transaction, user_id: int) -> bool:
        """Whether `user_id` is a customer of the shop: a payment is credited only to one."""
        known = await tx.fetch_value("SELECT 1 FROM users WHERE id = ?", (user_id,))
        return known is not None

    async def usdt_candidates(self, pay_amount: int, paid_at: str) -> list[int]:
        """Customers whose USDT requests asked for exactly this amount, those closest in time to
        the transfer first (for an operator to choose from when it arrived late or twice)."""
        rows = await self._db.fetch_all(
            "SELECT user_id FROM deposit_requests WHERE method = 'usdt' AND pay_amount = ?"
            " GROUP BY user_id ORDER BY MIN(ABS("
            + self._db.dialect.seconds_between("created_at", "?")
            + ")) LIMIT 3",
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
        request_id: str | None = None,
        note: str = "",
    ) -> int:
        return await tx.insert(
            "INSERT INTO payments (reference, method, user_id, request_id, paid, status, sender,"
            " paid_at, seen_at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                reference,
                method.value,
                user_id,
                request_id,
                paid,
                status.value,
                sender,
                paid_at,
                now,
                note,
            ),
        )

    async def insert_claim(
        self, tx: Transaction, payment_id: int, user_id: int, amount: int, now: str
    ) -> int:
        """The new claim's id."""
        return await tx.insert(
            "INSERT INTO payment_claims (payment_id, user_id, amount, claimed_at)"
            " VALUES (?, ?, ?, ?)",
            (payment_id, user_id, amount, now),
        )

    async def claims_of(self, payment_id: int, tx: Transaction | None = None) -> list[Claim]:
        """Every claim of one transfer, the first first."""
        reads = tx or self._db
        rows = await reads.fetch_all(
            "SELECT * FROM payment_claims WHERE payment_id = ? ORDER BY id", (payment_id,)
        )
        return [Claim.from_row(row) for row in rows]

    async def settle_claims(self, tx: Transaction, payment_id: int, now: str) -> list[Claim]:
        """Its transfer was decided: the claims that waited are settled, and returned."""
        waiting = [claim for claim in await self.claims_of(payment_id, tx) if not claim.settled_at]
        await tx.execute(
            "UPDATE payment_claims SET settled_at = ? WHERE payment_id = ? AND settled_at IS NULL",
            (now, payment_id),
        )
        return waiting

    async def open_claims_of(self, user_id: int, tx: Transaction | None = None) -> int:
        """A customer's claims that wait for their transfer to be decided."""
        reads = tx or self._db
        count: int = await reads.fetch_value(
            "SELECT COUNT(*) FROM payment_claims WHERE user_id = ? AND settled_at IS NULL",
            (user_id,),
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
        *,
        user_id: int | None,
        request_id: str | None,
    ) -> None:
        """What the chain says of a claimed transfer, now that the watch has seen it, and whose
        it is now: the claimant's (`user_id`), or nobody's yet, matched to `request_id`."""
        await tx.execute(
            "UPDATE payments SET paid = ?, sender = ?, paid_at = ?, status = ?, user_id = ?,"
            " request_id = ? WHERE id = ?",
            (paid, sender, paid_at, status.value, user_id, request_id, payment_id),
        )

    async def mark(self, name: str) -> int | None:
        value = await self._db.fetch_value("SELECT value FROM watch_marks WHERE name = ?", (name,))
        return None if value is None else int(value)

    async def set_mark(self, name: str, value: int) -> None:
        """Move mark `name` on to `value`; never back: a leader that lost its lease mid-check
        may write after the new leader wrote a later mark."""
        async with self._db.write() as tx:
            await tx.execute(
                "INSERT INTO watch_marks (name, value) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value"
                " WHERE watch_marks.value < excluded.value",
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


def _locked(tx: Transaction | None) -> str:
    """Read inside a write transaction, a row is read to decide what to write: locked until it
    ends, on PostgreSQL."""
    return "" if tx is None else tx.for_update
