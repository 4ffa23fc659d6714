"""The double-entry, append-only ledger.

Amounts are integer micro-units of the store currency. Every transaction is a set of entries
summing to zero, written once under a unique idempotency key: replaying a key returns the first
transaction, the same key with different entries is refused. Accounts:

- `customer:{id}:wallet`, what a customer can spend; never negative.
- `customer:{id}:held`, money set aside for orders in flight (one hold per order); never negative.
- `shop:deposits`, `shop:sales`, `shop:adjustments`: the shop's side of money coming in, sales and
  refunds, and operators' corrections. These mirror the wallets and may go negative.
- `shop:marketing`: what the shop spends to grow: a promo code's discount (paid to `shop:sales`
  when the order is delivered, so a line's sales stay at its list price), a gift to a balance, a
  referral reward.
  It only ever pays out, and so goes negative by what marketing cost.

A purchase places a hold (wallet → held), then posts it (held → sales) or voids it (held → wallet),
exactly once. Each check that protects money happens inside the write transaction that moves it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum

from storage.database import Database, Row, Transaction, utc_now


class LedgerError(Exception):
    """A refused ledger operation; nothing was written."""


class InsufficientFunds(LedgerError):
    def __init__(self, user_id: int, available: int, required: int) -> None:
        super().__init__(f"customer {user_id} has {available} available, {required} required")
        self.user_id = user_id
        self.available = available
        self.required = required


class IdempotencyConflict(LedgerError):
    """The key was already used for a different movement of money."""


class HoldAlreadySettled(LedgerError):
    def __init__(self, hold_id: int, status: str) -> None:
        super().__init__(f"hold {hold_id} is already {status}")
        self.hold_id = hold_id
        self.status = status


class UnknownHold(LedgerError):
    pass


class Kind(StrEnum):
    DEPOSIT = "deposit"
    ADJUSTMENT = "adjustment"
    HOLD = "hold"
    POST = "post"
    VOID = "void"
    REFUND = "refund"
    DEPOSIT_REFUND = "deposit_refund"  # a deposit paid back to its payer (a Telegram Stars refund)
    DEPOSIT_REFUND_CANCELLED = "deposit_refund_cancelled"  # that refund was refused: money back
    DISCOUNT = "discount"  # a delivered order's promo discount: marketing pays it to sales
    DISCOUNT_RETURNED = "discount_returned"  # that order refunded: sales gives it back
    GIFT = "gift"  # a promo code's gift to a wallet, from marketing
    REFERRAL_REWARD = "referral_reward"  # a referrer's reward, from marketing


DEPOSITS = "shop:deposits"
SALES = "shop:sales"
ADJUSTMENTS = "shop:adjustments"
MARKETING = "shop:marketing"
_SHOP_ACCOUNTS = (DEPOSITS, SALES, ADJUSTMENTS, MARKETING)

# Where the money of a credit to a wallet comes from, and of a debit goes to.
_COUNTERPART = {
    Kind.DEPOSIT: DEPOSITS,
    Kind.ADJUSTMENT: ADJUSTMENTS,
    Kind.REFUND: SALES,
    Kind.DEPOSIT_REFUND_CANCELLED: DEPOSITS,
    Kind.GIFT: MARKETING,
    Kind.REFERRAL_REWARD: MARKETING,
}
# Movements between two of the shop's own accounts: (from, to).
_SHOP_TRANSFERS = {Kind.DISCOUNT: (MARKETING, SALES), Kind.DISCOUNT_RETURNED: (SALES, MARKETING)}
_DEBIT_COUNTERPART = {Kind.ADJUSTMENT: ADJUSTMENTS, Kind.DEPOSIT_REFUND: DEPOSITS}


def _owner(code: str) -> int | None:
    """The customer whose account `code` is (`customer:<id>:...`); None for the shop's."""
    return int(code.split(":")[1]) if code.startswith("customer:") else None


def wallet_account(user_id: int) -> str:
    return f"customer:{user_id}:wallet"


def held_account(user_id: int) -> str:
    return f"customer:{user_id}:held"


@dataclass(frozen=True)
class LedgerTransaction:
    id: int
    key: str
    kind: Kind
    user_id: int | None
    order_id: str | None
    hold_id: int | None
    memo: str
    actor: str
    created_at: str
    replayed: bool = False

    @classmethod
    def from_row(cls, row: Row, *, replayed: bool = False) -> LedgerTransaction:
        return cls(
            id=row["id"],
            key=row["idempotency_key"],
            kind=Kind(row["kind"]),
            user_id=row["user_id"],
            order_id=row["order_id"],
            hold_id=row["hold_id"],
            memo=row["memo"],
            actor=row["actor"],
            created_at=row["created_at"],
            replayed=replayed,
        )


class HoldStatus(StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    VOIDED = "voided"


@dataclass(frozen=True)
class Hold:
    id: int
    user_id: int
    order_id: str
    amount: int
    status: HoldStatus

    @classmethod
    def from_row(cls, row: Row) -> Hold:
        return cls(
            id=row["id"],
            user_id=row["user_id"],
            order_id=row["order_id"],
            amount=row["amount"],
            status=HoldStatus(row["status"]),
        )


@dataclass(frozen=True)
class Balance:
    available: int
    held: int


@dataclass(frozen=True)
class WalletLine:
    """One movement of a customer's spendable money, as the wallet history shows it."""

    transaction_id: int
    kind: Kind
    amount: int
    order_id: str | None
    memo: str
    created_at: str


def _fingerprint(kind: Kind, order_id: str | None, entries: Mapping[str, int]) -> str:
    parts = ";".join(f"{code}={amount}" for code, amount in sorted(entries.items()))
    return f"{kind}|{order_id or ''}|{parts}"


def _require_positive(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise LedgerError(f"amount must be a positive integer of micro-units, got {amount!r}")


class Ledger:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._account_ids: dict[str, int] = {}

    # -- moving money -------------------------------------------------------------------------

    async def credit(
        self,
        user_id: int,
        amount: int,
        *,
        key: str,
        kind: Kind = Kind.DEPOSIT,
        order_id: str | None = None,
        memo: str = "",
        actor: str = "system",
        tx: Transaction | None = None,
    ) -> LedgerTransaction:
        """Money into a customer's wallet: a deposit, an operator's credit, or a refund. With
        `tx`, part of the caller's transaction (e.g. a refund with the order's status)."""
        _require_positive(amount)
        counterpart = _COUNTERPART.get(kind)
        if counterpart is None:
            raise LedgerError(f"a wallet cannot be credited as {kind}")
        entries = {wallet_account(user_id): amount, counterpart: -amount}
        return await self._write(
            key, kind, entries, user_id=user_id, order_id=order_id, memo=memo, actor=actor, tx=tx
        )

    async def debit(
        self,
        user_id: int,
        amount: int,
        *,
        key: str,
        kind: Kind = Kind.ADJUSTMENT,
        memo: str = "",
        actor: str = "system",
        tx: Transaction | None = None,
    ) -> LedgerTransaction:
        """Money out of a wallet, never below zero: an operator's correction, or a deposit paid
        back to its payer (`Kind.DEPOSIT_REFUND`, which `shop:deposits` takes back)."""
        _require_positive(amount)
        counterpart = _DEBIT_COUNTERPART.get(kind)
        if counterpart is None:
            raise LedgerError(f"a wallet cannot be debited as {kind}")
        entries = {wallet_account(user_id): -amount, counterpart: amount}
        return await self._write(key, kind, entries, user_id=user_id, memo=memo, actor=actor, tx=tx)

    async def transfer(
        self,
        amount: int,
        *,
        kind: Kind,
        key: str,
        user_id: int | None = None,
        order_id: str | None = None,
        memo: str = "",
        actor: str = "system",
        tx: Transaction | None = None,
    ) -> LedgerTransaction:
        """Money between two of the shop's accounts, as `kind` says (a delivered order's discount
        from marketing to sales, or back); `user_id` and `order_id` say whose it was."""
        _require_positive(amount)
        if kind not in _SHOP_TRANSFERS:
            raise LedgerError(f"{kind} is not a movement between the shop's accounts")
        source, target = _SHOP_TRANSFERS[kind]
        entries = {source: -amount, target: amount}
        return await self._write(
            key, kind, entries, user_id=user_id, order_id=order_id, memo=memo, actor=actor, tx=tx
        )

    async def hold(
        self,
        user_id: int,
        amount: int,
        *,
        order_id: str,
        key: str | None = None,
        memo: str = "",
        actor: str = "system",
        tx: Transaction | None = None,
    ) -> Hold:
        """Set money aside for an order. Raises InsufficientFunds; replaying the key returns it.

        With `tx`, the hold is part of the caller's transaction (e.g. with the order's status)."""
        _require_positive(amount)
        key = key or f"order:{order_id}:hold"
        entries = {wallet_account(user_id): -amount, held_account(user_id): amount}
        async with self._writing(tx) as (tx, new_ids):
            txn = await self._record(
                tx,
                new_ids,
                key,
                Kind.HOLD,
                entries,
                user_id=user_id,
                order_id=order_id,
                hold_id=None,
                memo=memo,
                actor=actor,
            )
            if txn.replayed:
                row = await tx.fetch_one(
                    "SELECT * FROM ledger_holds WHERE hold_transaction_id = ?", (txn.id,)
                )
                if row is None:
                    raise IdempotencyConflict(f"key {key!r} was not used for a hold")
                hold = Hold.from_row(row)
            else:
                hold_id = await tx.insert(
                    "INSERT INTO ledger_holds (user_id, order_id, amount, status,"
                    " hold_transaction_id, created_at) VALUES (?, ?, ?, 'pending', ?, ?)",
                    (user_id, order_id, amount, txn.id, utc_now()),
                )
                hold = Hold(hold_id, user_id, order_id, amount, HoldStatus.PENDING)
        return hold

    async def post(
        self, hold_id: int, *, memo: str = "", actor: str = "system", tx: Transaction | None = None
    ) -> Hold:
        """The upstream delivered: the held money becomes a sale. Once; replays return the hold."""
        return await self._settle(hold_id, HoldStatus.POSTED, memo=memo, actor=actor, tx=tx)

    async def void(
        self, hold_id: int, *, memo: str = "", actor: str = "system", tx: Transaction | None = None
    ) -> Hold:
        """The upstream definitely failed: the held money returns to the wallet. Once."""
        return await self._settle(hold_id, HoldStatus.VOIDED, memo=memo, actor=actor, tx=tx)

    async def _settle(
        self,
        hold_id: int,
        outcome: HoldStatus,
        *,
        memo: str,
        actor: str,
        tx: Transaction | None,
    ) -> Hold:
        async with self._writing(tx) as (tx, new_ids):
            row = await tx.fetch_one(
                "SELECT * FROM ledger_holds WHERE id = ?" + tx.for_update, (hold_id,)
            )
            if row is None:
                raise UnknownHold(f"no hold {hold_id}")
            hold = Hold.from_row(row)
            if hold.status == outcome:
                return hold
            if hold.status != HoldStatus.PENDING:
                raise HoldAlreadySettled(hold_id, hold.status)
            if outcome == HoldStatus.POSTED:
                kind, target = Kind.POST, SALES
            else:
                kind, target = Kind.VOID, wallet_account(hold.user_id)
            entries = {held_account(hold.user_id): -hold.amount, target: hold.amount}
            txn = await self._record(
                tx,
                new_ids,
                f"hold:{hold_id}:{kind}",
                kind,
                entries,
                user_id=hold.user_id,
                order_id=hold.order_id,
                hold_id=hold_id,
                memo=memo,
                actor=actor,
            )
            changed = await tx.fetch_all(
                "UPDATE ledger_holds SET status = ?, settle_transaction_id = ?, settled_at = ?"
                " WHERE id = ? AND status = 'pending' RETURNING id",
                (outcome.value, txn.id, utc_now(), hold_id),
            )
            if len(changed) != 1:
                raise HoldAlreadySettled(hold_id, "settled")
        return Hold(hold.id, hold.user_id, hold.order_id, hold.amount, outcome)

    async def _write(
        self,
        key: str,
        kind: Kind,
        entries: dict[str, int],
        *,
        user_id: int | None,
        order_id: str | None = None,
        memo: str,
        actor: str,
        tx: Transaction | None = None,
    ) -> LedgerTransaction:
        async with self._writing(tx) as (tx, new_ids):
            txn = await self._record(
                tx,
                new_ids,
                key,
                kind,
                entries,
                user_id=user_id,
                order_id=order_id,
                hold_id=None,
                memo=memo,
                actor=actor,
            )
        return txn

    @asynccontextmanager
    async def _writing(
        self, tx: Transaction | None
    ) -> AsyncIterator[tuple[Transaction, dict[str, int]]]:
        """The caller's transaction, or one of our own. Accounts opened in it are cached only once
        we know it committed, i.e. when it is our own."""
        new_ids: dict[str, int] = {}
        if tx is not None:
            yield tx, new_ids
            return
        async with self._db.write() as own:
            yield own, new_ids
        self._account_ids.update(new_ids)

    async def _record(
        self,
        tx: Transaction,
        new_ids: dict[str, int],
        key: str,
        kind: Kind,
        entries: dict[str, int],
        *,
        user_id: int | None,
        order_id: str | None,
        hold_id: int | None,
        memo: str,
        actor: str,
    ) -> LedgerTransaction:
        if sum(entries.values()) != 0:
            raise LedgerError(f"entries of {key!r} do not sum to zero: {entries}")
        if not key or len(key) > 200:
            raise LedgerError("an idempotency key is required (at most 200 characters)")
        fingerprint = _fingerprint(kind, order_id, entries)
        now = utc_now()
        # The key is claimed by the insert itself; only when it was taken do we read what for.
        inserted = await tx.fetch_one(
            "INSERT INTO ledger_transactions (idempotency_key, kind, fingerprint, user_id,"
            " order_id, hold_id, memo, actor, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            (key, kind.value, fingerprint, user_id, order_id, hold_id, memo, actor, now),
        )
        if inserted is None:
            existing = await tx.fetch_one(
                "SELECT * FROM ledger_transactions WHERE idempotency_key = ?", (key,)
            )
            assert existing is not None
            if existing["fingerprint"] != fingerprint:
                raise IdempotencyConflict(
                    f"key {key!r} was already used for a different movement of money"
                )
            return LedgerTransaction.from_row(existing, replayed=True)

        txn_id = int(inserted["id"])
        account_ids = {code: await self._account_id(tx, new_ids, code) for code in entries}
        # The floor is checked on the customer's accounts' rows, locked against every other
        # writer until this transaction ends (on PostgreSQL two processes may hold one wallet at
        # once); the database refuses a negative customer account too, should a check here ever
        # be missed. Both of a customer's accounts (wallet and held) are locked first, whichever
        # of them moves, in id order, and the shop's account (one at most) after them: so two
        # writers never wait on each other in a circle, also when one transaction moves money
        # more than once (a settlement that posts a hold, then refunds part of it).
        locked = {account_id: code for code, account_id in account_ids.items()}
        for owner in {_owner(code) for code in entries} - {None}:
            for code in (wallet_account(owner or 0), held_account(owner or 0)):
                if code not in entries and (found := await self._opened(tx, code)) is not None:
                    locked[found] = code
        locked = {
            account_id: code for account_id, code in locked.items() if code not in _SHOP_ACCOUNTS
        }
        for account_id, row in (await tx.lock_rows("ledger_accounts", locked)).items():
            amount = entries.get(locked[account_id], 0)
            if amount < 0 and not row["may_go_negative"] and row["balance"] + amount < 0:
                raise InsufficientFunds(user_id or 0, int(row["balance"]), -amount)
        await tx.execute(  # one statement, one trip to the database
            "INSERT INTO ledger_entries (transaction_id, account_id, amount) VALUES "
            + ", ".join(["(?, ?, ?)"] * len(entries)),
            [
                value
                for code, amount in entries.items()
                for value in (txn_id, account_ids[code], amount)
            ],
        )
        # Every balance in one statement.
        moves = [(account_ids[code], amount) for code, amount in entries.items()]
        changed = await tx.execute_changes(
            "UPDATE ledger_accounts SET balance = balance + CASE id"
            + " WHEN ? THEN CAST(? AS BIGINT)" * len(moves)
            + " END WHERE id IN ("
            + ", ".join("?" * len(moves))
            + ")",
            [*(value for move in moves for value in move), *(account for account, _ in moves)],
        )
        if changed != len(entries):
            raise LedgerError(f"entries of {key!r} name an account that does not exist")
        return LedgerTransaction(
            txn_id, key, kind, user_id, order_id, hold_id, memo, actor, now, replayed=False
        )

    async def _opened(self, tx: Transaction, code: str) -> int | None:
        """The account's id if it was opened (none is opened here)."""
        cached = self._account_ids.get(code)
        if cached is not None:
            return cached
        found = await tx.fetch_value("SELECT id FROM ledger_accounts WHERE code = ?", (code,))
        return None if found is None else int(found)

    async def _account_id(self, tx: Transaction, new_ids: dict[str, int], code: str) -> int:
        """The account's id, opening it on first use; cached once its transaction commits."""
        cached = self._account_ids.get(code) or new_ids.get(code)
        if cached is not None:
            return cached
        # Opened by the insert itself: of two writers opening one account at once (PostgreSQL),
        # the second waits for the first and then finds the account it opened.
        owner = _owner(code)
        opened = await tx.fetch_one(
            "INSERT INTO ledger_accounts (code, user_id, may_go_negative, balance, created_at)"
            " VALUES (?, ?, ?, 0, ?) ON CONFLICT (code) DO NOTHING RETURNING id",
            (code, owner, 1 if code in _SHOP_ACCOUNTS else 0, utc_now()),
        )
        if opened is None:
            opened = await tx.fetch_one("SELECT id FROM ledger_accounts WHERE code = ?", (code,))
        assert opened is not None
        account_id = int(opened["id"])
        new_ids[code] = account_id
        return account_id

    # -- reading ------------------------------------------------------------------------------

    async def balance(self, user_id: int) -> Balance:
        rows = await self._db.fetch_all(
            "SELECT code, balance FROM ledger_accounts WHERE code IN (?, ?)",
            (wallet_account(user_id), held_account(user_id)),
        )
        by_code = {row["code"]: int(row["balance"]) for row in rows}
        return Balance(
            available=by_code.get(wallet_account(user_id), 0),
            held=by_code.get(held_account(user_id), 0),
        )

    async def account_balance(self, code: str) -> int:
        value = await self._db.fetch_value(
            "SELECT balance FROM ledger_accounts WHERE code = ?", (code,)
        )
        return int(value or 0)

    async def wallet_history(
        self, user_id: int, *, limit: int, offset: int = 0
    ) -> list[WalletLine]:
        """The wallet's movements, newest first."""
        rows = await self._db.fetch_all(
            "SELECT t.id, t.kind, t.order_id, t.memo, t.created_at, e.amount"
            " FROM ledger_entries e"
            " JOIN ledger_accounts a ON a.id = e.account_id"
            " JOIN ledger_transactions t ON t.id = e.transaction_id"
            " WHERE a.code = ? ORDER BY t.id DESC LIMIT ? OFFSET ?",
            (wallet_account(user_id), limit, offset),
        )
        return [
            WalletLine(
                transaction_id=row["id"],
                kind=Kind(row["kind"]),
                amount=row["amount"],
                order_id=row["order_id"],
                memo=row["memo"],
                created_at=row["created_at"],
            )
            for row in rows
        ]

    async def wallet_history_size(self, user_id: int) -> int:
        value = await self._db.fetch_value(
            "SELECT COUNT(*) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id"
            " WHERE a.code = ?",
            (wallet_account(user_id),),
        )
        return int(value or 0)

    async def pending_hold(self, order_id: str, *, tx: Transaction | None = None) -> Hold | None:
        """The order's hold that is neither posted nor voided, if any."""
        reader = tx or self._db
        row = await reader.fetch_one(
            "SELECT * FROM ledger_holds WHERE order_id = ? AND status = 'pending'", (order_id,)
        )
        return None if row is None else Hold.from_row(row)

    async def holds_for_order(self, order_id: str) -> list[Hold]:
        rows = await self._db.fetch_all(
            "SELECT * FROM ledger_holds WHERE order_id = ? ORDER BY id", (order_id,)
        )
        return [Hold.from_row(row) for row in rows]
