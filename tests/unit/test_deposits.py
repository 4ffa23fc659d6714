"""USDT deposits: each transfer credited once, to the request it pays, or left to an operator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.deposits import ClaimRefused, DepositRefused, Deposits, TooManyClaims, TooManyRequests
from bot.outbox import Outbox
from storage.admin_log import AdminLog
from storage.audit import audit_ledger
from storage.deposits import PaymentStatus, RequestStatus
from tests.unit.conftest import Books

USDT = 1_000_000
START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def ms(self, later: timedelta = timedelta()) -> int:
        return int((self.now + later).timestamp() * 1000)


def deposits_of(books: Books, clock: Clock) -> Deposits:
    return Deposits(books.db, books.ledger, AdminLog(books.db), Outbox(books.db, None),
                    clock=clock)  # fmt: skip


async def available(books: Books, user_id: int) -> int:
    return (await books.ledger.balance(user_id)).available


async def test_close_amounts_are_told_apart_and_a_transfer_seen_again_credits_nothing(
    books: Books,
) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    alice, bob = await books.customer(1), await books.customer(2)
    first = await deposits.open_usdt(alice, 10 * USDT)
    second = await deposits.open_usdt(bob, 10 * USDT)
    assert (first.pay_amount, second.pay_amount) == (10 * USDT + 1, 10 * USDT + 2)

    taken = await deposits.take_usdt("b" * 64, 10 * USDT + 2, "TSender", clock.ms())
    assert taken.credited_now and taken.request == second
    taken = await deposits.take_usdt("a" * 64, 10 * USDT + 1, "TSender", clock.ms())
    assert taken.credited_now and taken.request == first
    again = await deposits.take_usdt("a" * 64, 10 * USDT + 1, "TSender", clock.ms())
    assert again.seen_before and not again.credited_now
    assert (await available(books, alice), await available(books, bob)) == (
        10 * USDT + 1,
        10 * USDT + 2,
    )
    request = await deposits.store.request(first.id)
    assert request is not None and request.status == RequestStatus.CREDITED
    # A credited request's amount stays its own for a day: the same transfer sent twice must
    # reach the operators, not pay someone else's request.
    assert (await deposits.open_usdt(alice, 10 * USDT)).pay_amount == 10 * USDT + 3
    twice = await deposits.take_usdt("c" * 64, 10 * USDT + 1, "TSender", clock.ms())
    assert not twice.credited_now and twice.payment.status == PaymentStatus.UNMATCHED
    clock.now += timedelta(hours=25)
    assert (await deposits.open_usdt(alice, 10 * USDT)).pay_amount == 10 * USDT + 1


async def test_a_late_transfer_waits_for_an_operator_who_assigns_it_once(books: Books) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    alice = await books.customer(1)
    request = await deposits.open_usdt(alice, 5 * USDT)
    clock.now += timedelta(minutes=33)  # past the request's 30 minutes and the clocks' slack
    assert await deposits.expire_overdue() == 1

    late = await deposits.take_usdt("c" * 64, request.pay_amount, "TSender", clock.ms())
    assert not late.credited_now and late.payment.status == PaymentStatus.UNMATCHED
    assert await available(books, alice) == 0
    assert await deposits.store.usdt_candidates(request.pay_amount, late.payment.paid_at) == [alice]

    assigned = await deposits.assign(late.payment.id, alice, admin_id=900)
    assert assigned.status == PaymentStatus.CREDITED and assigned.decided_by == 900
    assert await available(books, alice) == request.pay_amount
    with pytest.raises(DepositRefused, match="already credited"):
        await deposits.assign(late.payment.id, alice, admin_id=901)
    with pytest.raises(DepositRefused, match="already credited"):
        await deposits.ignore(late.payment.id, admin_id=901)
    assert await available(books, alice) == request.pay_amount


async def test_a_transfer_sent_in_time_counts_even_when_seen_after_expiry(books: Books) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    alice = await books.customer(1)
    request = await deposits.open_usdt(alice, 5 * USDT)
    sent = clock.ms(timedelta(minutes=29))
    clock.now += timedelta(minutes=45)  # the watch was slow, or the shop was down
    await deposits.expire_overdue()
    taken = await deposits.take_usdt("d" * 64, request.pay_amount, "TSender", sent)
    assert taken.credited_now and taken.request is not None and taken.request.id == request.id


async def test_unknown_amounts_and_customers_change_nothing(books: Books) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    alice = await books.customer(1)
    await deposits.open_usdt(alice, 5 * USDT)
    stray = await deposits.take_usdt("e" * 64, 5 * USDT, "TSender", clock.ms())  # no extra
    assert stray.payment.status == PaymentStatus.UNMATCHED
    with pytest.raises(DepositRefused, match="no customer 77"):
        await deposits.assign(stray.payment.id, 77, admin_id=900)
    with pytest.raises(DepositRefused, match="no payment 99"):
        await deposits.ignore(99, admin_id=900)
    ignored = await deposits.ignore(stray.payment.id, admin_id=900)
    assert ignored.status == PaymentStatus.IGNORED
    assert await available(books, alice) == 0
    assert not await deposits.cancel("DNOPE", alice)


async def test_the_ledger_check_accounts_for_every_credited_payment(books: Books) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    alice = await books.customer(1)
    request = await deposits.open_usdt(alice, 5 * USDT)
    await deposits.take_usdt("f" * 64, request.pay_amount, "TSender", clock.ms())
    assert (await audit_ledger(books.db)).ok

    # A deposit booked without its payment, or a payment the ledger does not show, is reported.
    await books.ledger.credit(alice, USDT, key="deposit:usdt:" + "9" * 64, memo="forged")
    async with books.db.write() as tx:
        await tx.execute("UPDATE payments SET credited = credited + 1")
    problems = (await audit_ledger(books.db)).problems
    assert any("has no credited payment" in problem for problem in problems)
    assert any("but the ledger has" in problem for problem in problems)


async def test_a_customer_holds_at_most_five_amounts_and_clocks_may_disagree(books: Books) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    alice = await books.customer(1)
    requests = [await deposits.open_usdt(alice, 10 * USDT) for _ in range(5)]
    with pytest.raises(TooManyRequests):
        await deposits.open_usdt(alice, 10 * USDT)
    assert await deposits.cancel(requests[0].id, alice)
    with pytest.raises(TooManyRequests):  # a cancelled request still holds its amount
        await deposits.open_usdt(alice, 10 * USDT)

    # The chain's clock a minute behind ours: a transfer "before" the request still pays it.
    early = clock.ms(-timedelta(minutes=1))
    taken = await deposits.take_usdt("1" * 64, requests[1].pay_amount, "TSender", early)
    assert taken.credited_now and taken.request is not None and taken.request.id == requests[1].id
    too_early = clock.ms(-timedelta(minutes=3))
    stray = await deposits.take_usdt("2" * 64, requests[2].pay_amount, "TSender", too_early)
    assert not stray.credited_now

    # An amount is offered again only a day after its request's window closed.
    clock.now += timedelta(minutes=31)
    assert (await deposits.open_usdt(alice, 10 * USDT)).pay_amount == 10 * USDT + 6
    clock.now += timedelta(hours=24)
    assert (await deposits.open_usdt(alice, 10 * USDT)).pay_amount == 10 * USDT + 1


async def test_a_claim_is_decided_once_and_shares_its_reference_with_the_watch(
    books: Books,
) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    alice, bob = await books.customer(1), await books.customer(2)
    claimed = await deposits.claim(alice, "7" * 64, 12 * USDT)
    assert claimed.status == PaymentStatus.CLAIMED and claimed.user_id == alice
    with pytest.raises(ClaimRefused, match="already claimed"):
        await deposits.claim(bob, "7" * 64, 12 * USDT)
    with pytest.raises(DepositRefused, match="has not seen that transfer on chain yet"):
        await deposits.approve(claimed.id, 12 * USDT, admin_id=900)
    # The watch sees it: the chain's amount and sender are recorded on the claim, which waits.
    seen = await deposits.take_usdt("7" * 64, 11 * USDT, "TSender", clock.ms())
    assert not seen.seen_before and not seen.credited_now
    assert (seen.payment.status, seen.payment.paid, seen.payment.sender) == (
        PaymentStatus.CLAIMED,
        11 * USDT,
        "TSender",
    )
    with pytest.raises(DepositRefused, match=r"the chain shows only 11\.000000 USDT"):
        await deposits.approve(claimed.id, 12 * USDT, admin_id=900)
    approved = await deposits.approve(claimed.id, 11 * USDT, admin_id=900)
    assert (approved.status, approved.credited) == (PaymentStatus.CREDITED, 11 * USDT)
    assert (await deposits.take_usdt("7" * 64, 11 * USDT, "TSender", clock.ms())).seen_before
    with pytest.raises(DepositRefused, match="already credited"):
        await deposits.approve(claimed.id, 11 * USDT, admin_id=900)
    with pytest.raises(ClaimRefused, match="already credited"):
        await deposits.claim(bob, "7" * 64, 12 * USDT)
    assert (await available(books, alice), await available(books, bob)) == (11 * USDT, 0)

    # A transfer the watch could not place becomes the claim, with the chain's amount.
    stray = await deposits.take_usdt("8" * 64, 3 * USDT, "TSender", clock.ms())
    taken = await deposits.claim(bob, "8" * 64, 30 * USDT)
    assert (taken.id, taken.paid, taken.note) == (
        stray.payment.id,
        3 * USDT,
        f"claimed {30 * USDT}",
    )
    rejected = await deposits.reject(taken.id, admin_id=900)
    assert rejected.status == PaymentStatus.REJECTED
    with pytest.raises(ClaimRefused, match="already rejected"):
        await deposits.claim(bob, "8" * 64, 3 * USDT)
    assert await available(books, bob) == 0
    assert (await audit_ledger(books.db)).ok


async def test_a_claim_never_takes_a_transfer_from_the_request_it_pays(books: Books) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    alice, mallory = await books.customer(1), await books.customer(2)
    request = await deposits.open_usdt(alice, 20 * USDT)
    # Mallory watches the shop's address and claims Alice's transfer before the watch sees it.
    await deposits.claim(mallory, "9" * 64, request.pay_amount)
    taken = await deposits.take_usdt("9" * 64, request.pay_amount, "TAlice", clock.ms())
    assert taken.credited_now and taken.payment.user_id == alice
    assert (await available(books, alice), await available(books, mallory)) == (
        request.pay_amount,
        0,
    )
    # A rejected claim of a transfer nobody asked for goes back to the operators as unmatched.
    rejected = await deposits.claim(mallory, "6" * 64, 5 * USDT)
    await deposits.reject(rejected.id, admin_id=900)
    later = await deposits.take_usdt("6" * 64, 5 * USDT, "TSomeone", clock.ms())
    assert later.payment.status == PaymentStatus.UNMATCHED and not later.credited_now
    # At most three claims wait at once.
    for n in range(3):
        await deposits.claim(mallory, f"{n}" * 64, USDT)
    with pytest.raises(TooManyClaims):
        await deposits.claim(mallory, "5" * 64, USDT)
    assert (await audit_ledger(books.db)).ok
