"""The ledger's rules, one at a time (docs/orders-and-ledger.md, The ledger)."""

from __future__ import annotations

import asyncio

import pytest

from storage.database import IntegrityError
from storage.ledger import (
    ADJUSTMENTS,
    DEPOSITS,
    SALES,
    HoldAlreadySettled,
    HoldStatus,
    IdempotencyConflict,
    InsufficientFunds,
    Kind,
    LedgerError,
    UnknownHold,
    wallet_account,
)
from tests.unit.conftest import Books

USDT = 1_000_000


async def test_a_deposit_credits_the_wallet_and_the_shop_side_mirrors_it(books: Books) -> None:
    alice = await books.customer(1)
    txn = await books.ledger.credit(alice, 10 * USDT, key="dep-1", memo="first")
    assert (txn.kind, txn.replayed, txn.user_id) == (Kind.DEPOSIT, False, alice)
    assert (await books.ledger.balance(alice)).available == 10 * USDT
    assert await books.ledger.account_balance(DEPOSITS) == -10 * USDT


async def test_replaying_a_key_returns_the_first_transaction_and_moves_nothing(
    books: Books,
) -> None:
    alice = await books.customer(1)
    first = await books.ledger.credit(alice, 10 * USDT, key="dep-1")
    again = await books.ledger.credit(alice, 10 * USDT, key="dep-1")
    assert (again.id, again.replayed) == (first.id, True)
    assert (await books.ledger.balance(alice)).available == 10 * USDT
    assert await books.count("ledger_transactions") == 1


async def test_the_same_key_for_a_different_movement_is_refused(books: Books) -> None:
    alice = await books.customer(1)
    bob = await books.customer(2)
    await books.ledger.credit(alice, 10 * USDT, key="dep-1")
    with pytest.raises(IdempotencyConflict):
        await books.ledger.credit(alice, 11 * USDT, key="dep-1")
    with pytest.raises(IdempotencyConflict):
        await books.ledger.credit(bob, 10 * USDT, key="dep-1")
    with pytest.raises(IdempotencyConflict):
        await books.ledger.credit(alice, 10 * USDT, key="dep-1", kind=Kind.ADJUSTMENT)
    assert (await books.ledger.balance(alice)).available == 10 * USDT
    assert (await books.ledger.balance(bob)).available == 0
    assert await books.count("ledger_transactions") == 1


async def test_a_hold_beyond_the_balance_is_refused_and_writes_nothing(books: Books) -> None:
    alice = await books.customer(1)
    await books.ledger.credit(alice, 5 * USDT, key="dep")
    order = await books.order("O1", alice, 6 * USDT)
    with pytest.raises(InsufficientFunds) as refused:
        await books.ledger.hold(alice, 6 * USDT, order_id=order)
    assert (refused.value.available, refused.value.required) == (5 * USDT, 6 * USDT)
    balance = await books.ledger.balance(alice)
    assert (balance.available, balance.held) == (5 * USDT, 0)
    assert await books.count("ledger_transactions") == 1
    assert await books.count("ledger_holds") == 0


async def test_a_hold_then_post_is_a_sale_exactly_once(books: Books) -> None:
    alice = await books.customer(1)
    await books.ledger.credit(alice, 10 * USDT, key="dep")
    order = await books.order("O1", alice, 4 * USDT)
    hold = await books.ledger.hold(alice, 4 * USDT, order_id=order)
    balance = await books.ledger.balance(alice)
    assert (balance.available, balance.held) == (6 * USDT, 4 * USDT)

    posted = await books.ledger.post(hold.id)
    assert posted.status == HoldStatus.POSTED
    assert (await books.ledger.post(hold.id)).status == HoldStatus.POSTED  # a replay
    with pytest.raises(HoldAlreadySettled):
        await books.ledger.void(hold.id)

    balance = await books.ledger.balance(alice)
    assert (balance.available, balance.held) == (6 * USDT, 0)
    assert await books.ledger.account_balance(SALES) == 4 * USDT
    assert await books.count("ledger_transactions") == 3


async def test_a_void_returns_the_money_once(books: Books) -> None:
    alice = await books.customer(1)
    await books.ledger.credit(alice, 10 * USDT, key="dep")
    order = await books.order("O1", alice, 4 * USDT)
    hold = await books.ledger.hold(alice, 4 * USDT, order_id=order)
    await books.ledger.void(hold.id)
    await books.ledger.void(hold.id)
    with pytest.raises(HoldAlreadySettled):
        await books.ledger.post(hold.id)
    balance = await books.ledger.balance(alice)
    assert (balance.available, balance.held) == (10 * USDT, 0)
    assert await books.ledger.account_balance(SALES) == 0
    with pytest.raises(UnknownHold):
        await books.ledger.post(999)


async def test_replaying_a_hold_returns_the_same_hold(books: Books) -> None:
    alice = await books.customer(1)
    await books.ledger.credit(alice, 10 * USDT, key="dep")
    order = await books.order("O1", alice, 4 * USDT)
    first = await books.ledger.hold(alice, 4 * USDT, order_id=order)
    again = await books.ledger.hold(alice, 4 * USDT, order_id=order)
    assert again == first
    assert (await books.ledger.balance(alice)).held == 4 * USDT
    with pytest.raises(IdempotencyConflict):
        await books.ledger.hold(alice, 5 * USDT, order_id=order)
    assert [h.id for h in await books.ledger.holds_for_order(order)] == [first.id]


async def test_a_debit_never_takes_a_wallet_below_zero(books: Books) -> None:
    alice = await books.customer(1)
    await books.ledger.credit(alice, 3 * USDT, key="dep")
    with pytest.raises(InsufficientFunds):
        await books.ledger.debit(alice, 3 * USDT + 1, key="fix-1", actor="admin:9")
    await books.ledger.debit(alice, 3 * USDT, key="fix-2", memo="duplicate deposit")
    assert (await books.ledger.balance(alice)).available == 0
    assert await books.ledger.account_balance(ADJUSTMENTS) == 3 * USDT


@pytest.mark.parametrize("amount", [0, -1, 1.5, True, "5"])
async def test_amounts_must_be_positive_integers(books: Books, amount: object) -> None:
    alice = await books.customer(1)
    with pytest.raises(LedgerError):
        await books.ledger.credit(alice, amount, key="bad")  # type: ignore[arg-type]
    assert await books.count("ledger_transactions") == 0


async def test_a_wallet_cannot_be_credited_as_a_sale(books: Books) -> None:
    alice = await books.customer(1)
    with pytest.raises(LedgerError):
        await books.ledger.credit(alice, USDT, key="x", kind=Kind.POST)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entries SET amount = amount + 1",
        "DELETE FROM ledger_entries",
        "UPDATE ledger_transactions SET memo = 'changed'",
        "DELETE FROM ledger_transactions",
    ],
)
async def test_the_ledger_is_append_only(books: Books, statement: str) -> None:
    alice = await books.customer(1)
    await books.ledger.credit(alice, USDT, key="dep")
    with pytest.raises(IntegrityError, match="append-only"):
        async with books.db.write() as tx:
            await tx.execute(statement)
    assert (await books.ledger.balance(alice)).available == USDT


async def test_the_wallet_history_is_newest_first_with_signed_amounts(books: Books) -> None:
    alice = await books.customer(1)
    for number in range(1, 8):
        await books.ledger.credit(alice, number * USDT, key=f"dep-{number}")
    order = await books.order("O1", alice, 2 * USDT)
    await books.ledger.hold(alice, 2 * USDT, order_id=order)

    assert await books.ledger.wallet_history_size(alice) == 8
    first_page = await books.ledger.wallet_history(alice, limit=5)
    assert [(line.kind, line.amount) for line in first_page] == [
        (Kind.HOLD, -2 * USDT),
        (Kind.DEPOSIT, 7 * USDT),
        (Kind.DEPOSIT, 6 * USDT),
        (Kind.DEPOSIT, 5 * USDT),
        (Kind.DEPOSIT, 4 * USDT),
    ]
    assert first_page[0].order_id == "O1"
    last_page = await books.ledger.wallet_history(alice, limit=5, offset=5)
    assert [line.amount for line in last_page] == [3 * USDT, 2 * USDT, USDT]


async def test_concurrent_holds_never_overdraw(books: Books) -> None:
    alice = await books.customer(1)
    await books.ledger.credit(alice, 7 * USDT, key="dep")
    for number in range(20):
        await books.order(f"O{number}", alice, 2 * USDT)

    results = await asyncio.gather(
        *(books.ledger.hold(alice, 2 * USDT, order_id=f"O{n}") for n in range(20)),
        return_exceptions=True,
    )

    held = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, InsufficientFunds)]
    assert (len(held), len(refused)) == (3, 17)
    balance = await books.ledger.balance(alice)
    assert (balance.available, balance.held) == (USDT, 6 * USDT)


async def test_the_database_refuses_a_customer_account_below_zero(books: Books) -> None:
    """Should a writer ever skip the ledger's check, the database itself keeps the floor."""
    alice = await books.customer(1)
    await books.ledger.credit(alice, USDT, key="dep")
    with pytest.raises(IntegrityError, match=r"below zero|customer_floor"):
        async with books.db.write() as tx:
            await tx.execute(
                "UPDATE ledger_accounts SET balance = -1 WHERE code = ?", (wallet_account(alice),)
            )
    assert (await books.ledger.balance(alice)).available == USDT


async def test_the_database_refuses_a_transaction_that_does_not_sum_to_zero(books: Books) -> None:
    """Entries written past the ledger's code are checked when their transaction commits, and the
    whole write is refused."""
    alice = await books.customer(1)
    await books.ledger.credit(alice, USDT, key="dep")
    before = await books.count("ledger_entries")
    with pytest.raises(IntegrityError, match="does not sum to zero"):
        async with books.db.write() as tx:
            txn = await tx.insert(
                "INSERT INTO ledger_transactions (idempotency_key, kind, fingerprint, user_id,"
                " created_at) VALUES ('forged', 'deposit', '', ?, '2026-01-01T00:00:00Z')",
                (alice,),
            )
            wallet = await tx.fetch_value(
                "SELECT id FROM ledger_accounts WHERE code = ?", (wallet_account(alice),)
            )
            await tx.execute(
                "INSERT INTO ledger_entries (transaction_id, account_id, amount) VALUES (?, ?, ?)",
                (txn, wallet, 5 * USDT),
            )
    assert await books.count("ledger_entries") == before
    assert await books.count("ledger_transactions") == 1


async def test_a_hold_and_a_void_of_one_customer_at_once_never_deadlock(books: Books) -> None:
    """A void (held -> wallet) and a new hold (wallet -> held) of one customer, side by side: on
    PostgreSQL each locks both accounts in the same order, so neither is ever aborted as a
    deadlock; the books stay exact."""
    alice = await books.customer(1)
    await books.ledger.credit(alice, 100 * USDT, key="dep")
    rounds = 15
    for number in range(rounds):
        await books.order(f"OLD{number}", alice, USDT)
        await books.order(f"NEW{number}", alice, USDT)
    holds = [
        await books.ledger.hold(alice, USDT, order_id=f"OLD{number}") for number in range(rounds)
    ]
    for number, hold in enumerate(holds):
        voided, held = await asyncio.gather(
            books.ledger.void(hold.id), books.ledger.hold(alice, USDT, order_id=f"NEW{number}")
        )
        assert (voided.status, held.status) == (HoldStatus.VOIDED, HoldStatus.PENDING)
    balance = await books.ledger.balance(alice)
    assert (balance.available, balance.held) == (85 * USDT, 15 * USDT)
