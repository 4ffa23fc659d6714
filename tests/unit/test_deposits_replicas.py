"""A USDT transfer seen by two shop processes at the same moment (two watches, or a watch and a
customer's claim) is credited once, and neither process fails over it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.services.deposits.books import ClaimRefused
from storage.database import as_stored
from storage.deposits import DepositRequest, Method, PaymentStatus, RequestStatus
from tests.unit.conftest import Books
from tests.unit.test_deposits import USDT, Clock, DepositsAtHand, available, deposits_of


async def open_request(
    books: Books, deposits: DepositsAtHand, clock: Clock, user_id: int, pay_amount: int
) -> DepositRequest:
    """A USDT request to pay exactly `pay_amount`, open for 30 minutes (written directly: which
    amount a request is given is not what these tests are about)."""
    request = DepositRequest(
        f"DR{pay_amount}",
        user_id,
        Method.USDT,
        10 * USDT,
        pay_amount,
        RequestStatus.OPEN,
        None,
        as_stored(clock()),
        as_stored(clock() + timedelta(minutes=30)),
    )
    async with books.db.write() as tx:
        await deposits.store.insert_request(tx, request)
    return request


async def test_one_transfer_seen_by_two_watches_at_once_is_credited_once(books: Books) -> None:
    clock = Clock()
    one, two = deposits_of(books, clock), deposits_of(books, clock)  # two replicas
    alice = await books.customer(1)
    for n in range(5):
        txid = f"{n:x}" * 64
        request = await open_request(books, one, clock, alice, 10 * USDT + n + 1)
        taken = await asyncio.gather(
            one.usdt.take(txid, request.pay_amount, "TSender", clock.ms()),
            two.usdt.take(txid, request.pay_amount, "TSender", clock.ms()),
        )
        assert sorted(t.credited_now for t in taken) == [False, True]
        assert {t.payment.id for t in taken} == {taken[0].payment.id}
        assert all(t.payment.status == PaymentStatus.CREDITED for t in taken)
    # Five transfers, five requests, each credited once.
    assert await books.count("payments") == 5
    credited = await available(books, alice)
    assert credited == sum(10 * USDT + extra for extra in range(1, 6))


async def test_a_claim_and_the_watch_at_the_same_moment_credit_the_transfer_once(
    books: Books,
) -> None:
    clock = Clock()
    watch, conversation = deposits_of(books, clock), deposits_of(books, clock)
    alice = await books.customer(1)
    request = await open_request(books, watch, clock, alice, 10 * USDT + 7)
    txid = "e" * 64

    async def claim() -> object:
        try:
            return await conversation.usdt.claim(alice, txid, request.pay_amount)
        except ClaimRefused as refused:  # the watch credited it first
            return refused

    taken, _ = await asyncio.gather(
        watch.usdt.take(txid, request.pay_amount, "TSender", clock.ms()), claim()
    )
    assert taken.payment.status == PaymentStatus.CREDITED
    assert await books.count("payments") == 1
    assert await available(books, alice) == request.pay_amount


async def test_a_stars_payment_booked_by_its_message_and_the_record_at_once_is_credited_once(
    books: Books,
) -> None:
    clock = Clock()
    handler, history = deposits_of(books, clock), deposits_of(books, clock)  # two replicas
    alice = await books.customer(1)
    for n in range(5):
        charge = f"stx{n}"
        taken = await asyncio.gather(
            handler.stars.take(charge, alice, 100, "no-such-request"),
            history.stars.take(charge, alice, 100, "no-such-request", from_record=True),
        )
        assert sorted(t.credited_now for t in taken) == [False, True]
        assert taken[0].payment.id == taken[1].payment.id
    assert await books.count("payments") == 5
    one = (await handler.stars.take("stx0", alice, 100, "no-such-request")).payment.credited
    assert one is not None and await available(books, alice) == 5 * one
