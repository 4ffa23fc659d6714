"""Two shop processes on one database (two replicas on PostgreSQL; on SQLite, two writers on one
file, which its locking serializes): the ledger's rules hold across them."""

from __future__ import annotations

import asyncio

from storage.ledger import HoldAlreadySettled, InsufficientFunds, Kind, Ledger
from tests.databases import another_process
from tests.unit.conftest import Books

USDT = 1_000_000


async def test_two_processes_holding_one_wallet_never_overdraw_it(books: Books) -> None:
    alice = await books.customer(1)
    await books.ledger.credit(alice, 7 * USDT, key="dep")
    for number in range(20):
        await books.order(f"O{number}", alice, 2 * USDT)
    async with another_process(books.db) as twin:
        ledgers = (books.ledger, Ledger(twin))
        results = await asyncio.gather(
            *(ledgers[n % 2].hold(alice, 2 * USDT, order_id=f"O{n}") for n in range(20)),
            return_exceptions=True,
        )
    held = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, InsufficientFunds)]
    assert (len(held), len(refused)) == (3, 17)
    balance = await books.ledger.balance(alice)
    assert (balance.available, balance.held) == (USDT, 6 * USDT)


async def test_one_key_written_by_two_processes_at_once_moves_money_once(books: Books) -> None:
    """A deposit credited by two processes at once (the same transfer seen by both): one
    transaction, and the other process gets it back as a replay."""
    alice = await books.customer(1)
    async with another_process(books.db) as twin:
        ledgers = (books.ledger, Ledger(twin))
        results = await asyncio.gather(
            *(
                ledgers[n % 2].credit(alice, 5 * USDT, key="deposit:usdt:tx1", kind=Kind.DEPOSIT)
                for n in range(6)
            )
        )
    assert sorted(txn.replayed for txn in results) == [False, True, True, True, True, True]
    assert len({txn.id for txn in results}) == 1
    assert (await books.ledger.balance(alice)).available == 5 * USDT
    assert await books.count("ledger_transactions") == 1


async def test_a_hold_posted_on_one_process_and_voided_on_another_settles_once(
    books: Books,
) -> None:
    alice = await books.customer(1)
    await books.ledger.credit(alice, 10 * USDT, key="dep")
    await books.order("O1", alice, 3 * USDT)
    hold = await books.ledger.hold(alice, 3 * USDT, order_id="O1")
    async with another_process(books.db) as twin:
        post, void = await asyncio.gather(
            books.ledger.post(hold.id), Ledger(twin).void(hold.id), return_exceptions=True
        )
    settled = [r for r in (post, void) if not isinstance(r, BaseException)]
    refused = [r for r in (post, void) if isinstance(r, HoldAlreadySettled)]
    assert (len(settled), len(refused)) == (1, 1), (post, void)
    balance = await books.ledger.balance(alice)
    assert balance.held == 0
    assert balance.available in (7 * USDT, 10 * USDT)
    assert balance.available == (7 * USDT if settled[0].status == "posted" else 10 * USDT)


async def test_a_settlement_that_posts_and_refunds_beside_a_new_hold_never_deadlocks(
    books: Books,
) -> None:
    """A settlement posts one order's hold and refunds part of it in one transaction (held, then
    wallet) while the same customer confirms another order on another process (wallet, then
    held): each locks both of the customer's accounts first, in one order, so neither is ever
    aborted as a deadlock."""
    alice = await books.customer(1)
    await books.ledger.credit(alice, 100 * USDT, key="dep")
    rounds = 10
    for number in range(rounds):
        await books.order(f"SOLD{number}", alice, 2 * USDT)
        await books.order(f"NEXT{number}", alice, USDT)
    holds = [
        await books.ledger.hold(alice, 2 * USDT, order_id=f"SOLD{number}")
        for number in range(rounds)
    ]
    async with another_process(books.db) as twin:
        other = Ledger(twin)

        posted = [asyncio.Event() for _ in range(rounds)]

        async def settle(number: int) -> None:
            async with books.db.write() as tx:
                await books.ledger.post(holds[number].id, tx=tx)
                posted[number].set()
                await asyncio.sleep(0.2)  # the other process comes in between
                await books.ledger.credit(
                    alice,
                    USDT // 2,
                    key=f"order:SOLD{number}:refund",
                    kind=Kind.REFUND,
                    order_id=f"SOLD{number}",
                    tx=tx,
                )

        for number in range(rounds):
            await asyncio.gather(settle(number), other.hold(alice, USDT, order_id=f"NEXT{number}"))
    balance = await books.ledger.balance(alice)
    # 100 in; 10 orders sold at 2 less half of each refunded; 10 more held at 1.
    assert (balance.available, balance.held) == (100 * USDT - 15 * USDT - 10 * USDT, 10 * USDT)
