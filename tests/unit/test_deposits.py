"""USDT deposits: each transfer credited once, to the request it pays, or left to an operator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.services.deposits import Deposits
from bot.services.deposits.books import (
    MAX_LIVE_REQUESTS,
    ClaimRefused,
    DepositBooks,
    DepositRefused,
    Taken,
    TooManyClaims,
    TooManyRequests,
)
from bot.services.deposits.stars import DEFAULT_STARS_RATE
from bot.services.deposits.usdt import MAX_EXTRA
from bot.services.news import Topic
from bot.services.telegram_stars import RefundReply, StarsTransaction
from bot.telegram.outbox import Outbox
from storage.admin_log import AdminLog
from storage.audit import audit_ledger
from storage.database import as_stored
from storage.deposits import (
    DepositRequest,
    Method,
    PaymentStatus,
    RequestStatus,
)
from tests.heard import OPERATORS_CHAT, Heard
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


def deposits_outbox(books: Books) -> Outbox:
    return Outbox(books.db, None)


class TelegramSide:
    """Telegram's side of Stars as the deposits see it: how it answers refunds and what the bot's
    Stars transactions hold, each set by the test (unset: Telegram cannot be reached)."""

    connected = True  # the bot is attached: Telegram is asked, however it answers

    def __init__(self) -> None:
        self.refund: Callable[[int, str], Awaitable[RefundReply]] | None = None
        self.read: Callable[[int, int], Awaitable[list[StarsTransaction]]] | None = None

    async def refund_charge(self, user_id: int, charge_id: str) -> RefundReply:
        if self.refund is None:
            raise ConnectionError("Telegram cannot be reached")
        return await self.refund(user_id, charge_id)

    async def read_transactions(self, offset: int, limit: int) -> list[StarsTransaction]:
        if self.read is None:
            raise ConnectionError("Telegram cannot be reached")
        return await self.read(offset, limit)


class DepositsAtHand(Deposits):
    """The shop's deposits, with the Telegram side they were built with at the test's hand."""

    def __init__(self, books: DepositBooks, telegram: TelegramSide, stars_rate: Decimal) -> None:
        super().__init__(books, telegram, stars_rate=stars_rate)
        self.telegram = telegram


def deposits_of(
    books: Books,
    clock: Clock,
    *,
    operators: int | None = None,
    stars_rate: Decimal = DEFAULT_STARS_RATE,
) -> DepositsAtHand:
    """Deposits whose news stays in the outbox; the operators' too, given their chat."""
    outbox = Outbox(books.db, operators)
    kept = DepositBooks(books.db, books.ledger, AdminLog(books.db), outbox, clock=clock)
    return DepositsAtHand(kept, TelegramSide(), stars_rate)


async def hold_every_amount_but(
    books: Books, deposits: Deposits, clock: Clock, amount: int, free: int
) -> None:
    """Requests that can still be paid with every variant of `amount` but `free`, written
    directly for one customer: the per-customer cap is not what such a test is about."""
    filler = await books.customer(900)
    now, until = as_stored(clock()), as_stored(clock() + timedelta(minutes=30))
    async with books.db.write() as tx:
        for n in range(1, MAX_EXTRA + 1):
            if amount + n != free:
                await deposits.store.insert_request(
                    tx,
                    DepositRequest(
                        f"DFILL{n:03}",
                        filler,
                        Method.USDT,
                        amount,
                        amount + n,
                        RequestStatus.OPEN,
                        None,
                        now,
                        until,
                    ),
                )


async def available(books: Books, user_id: int) -> int:
    return (await books.ledger.balance(user_id)).available


async def test_close_amounts_are_told_apart_and_a_transfer_seen_again_credits_nothing(
    books: Books,
) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    alice, bob = await books.customer(1), await books.customer(2)
    first = await deposits.usdt.open(alice, 10 * USDT)
    second = await deposits.usdt.open(bob, 10 * USDT)
    assert (first.pay_amount, second.pay_amount) == (10 * USDT + 1, 10 * USDT + 2)

    taken = await deposits.usdt.take("b" * 64, 10 * USDT + 2, "TSender", clock.ms())
    assert taken.credited_now and taken.request == second
    taken = await deposits.usdt.take("a" * 64, 10 * USDT + 1, "TSender", clock.ms())
    assert taken.credited_now and taken.request == first
    again = await deposits.usdt.take("a" * 64, 10 * USDT + 1, "TSender", clock.ms())
    assert again.seen_before and not again.credited_now
    assert (await available(books, alice), await available(books, bob)) == (
        10 * USDT + 1,
        10 * USDT + 2,
    )
    request = await deposits.store.request(first.id)
    assert request is not None and request.status == RequestStatus.CREDITED
    # A credited request's amount stays its own for a day: the same transfer sent twice must
    # reach the operators, not pay someone else's request.
    assert (await deposits.usdt.open(alice, 10 * USDT)).pay_amount == 10 * USDT + 3
    twice = await deposits.usdt.take("c" * 64, 10 * USDT + 1, "TSender", clock.ms())
    assert not twice.credited_now and twice.payment.status == PaymentStatus.UNMATCHED
    clock.now += timedelta(hours=25)
    assert (await deposits.usdt.open(alice, 10 * USDT)).pay_amount == 10 * USDT + 1


async def test_a_watch_mark_never_moves_back(books: Books) -> None:
    """A leader that lost its lease mid-check writes its mark after the new leader wrote a
    later one: the watch does not go back to read (and alert on) what it had passed."""
    store = deposits_of(books, Clock()).store
    await store.set_mark("usdt-transfers", 1_700_000_500_000)
    await store.set_mark("usdt-transfers", 1_700_000_400_000)  # the old leader, late
    assert await store.mark("usdt-transfers") == 1_700_000_500_000


async def test_a_late_transfer_waits_for_an_operator_who_assigns_it_once(books: Books) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    alice = await books.customer(1)
    request = await deposits.usdt.open(alice, 5 * USDT)
    clock.now += timedelta(minutes=33)  # past the request's 30 minutes and the clocks' slack
    assert await deposits.requests.expire_overdue() == 1

    late = await deposits.usdt.take("c" * 64, request.pay_amount, "TSender", clock.ms())
    assert not late.credited_now and late.payment.status == PaymentStatus.UNMATCHED
    assert await available(books, alice) == 0
    assert await deposits.store.usdt_candidates(request.pay_amount, late.payment.paid_at) == [alice]

    assigned = await deposits.decisions.assign(late.payment.id, alice, admin_id=900)
    assert assigned.status == PaymentStatus.CREDITED and assigned.decided_by == 900
    assert await available(books, alice) == request.pay_amount
    with pytest.raises(DepositRefused, match="already credited"):
        await deposits.decisions.assign(late.payment.id, alice, admin_id=901)
    with pytest.raises(DepositRefused, match="already credited"):
        await deposits.decisions.ignore(late.payment.id, admin_id=901)
    assert await available(books, alice) == request.pay_amount


async def test_a_transfer_left_to_the_operators_carries_their_card_recorded_with_it_once(
    books: Books,
) -> None:
    """The card is in the outbox once the transfer is: a crash right after cannot lose it, and a
    transfer seen again, or one credited by itself, asks the operators nothing."""
    clock = Clock()
    deposits = deposits_of(books, clock, operators=OPERATORS_CHAT)
    heard = Heard(Outbox(books.db, OPERATORS_CHAT))
    alice, mallory = await books.customer(1), await books.customer(2)
    request = await deposits.usdt.open(alice, 5 * USDT)
    paid = await deposits.usdt.take("a" * 64, request.pay_amount, "TSender", clock.ms())
    assert paid.credited_now
    stray = await deposits.usdt.take("d" * 64, 7 * USDT, "TSender", clock.ms())
    assert (await deposits.usdt.take("d" * 64, 7 * USDT, "TSender", clock.ms())).seen_before
    claimed = await deposits.usdt.claim(mallory, "e" * 64, 3 * USDT)
    cards = [str(stray.payment.id), str(claimed.id)]  # the claim's own card
    assert await heard.told_of(Topic.PAYMENT_WAITING) == cards
    seen = await deposits.usdt.take("e" * 64, 3 * USDT, "TOther", clock.ms())
    assert seen.payment.id == claimed.id and seen.payment.status == PaymentStatus.CLAIMED
    cards.append(str(claimed.id))  # shown again with what the chain says
    assert await heard.told_of(Topic.PAYMENT_WAITING) == cards


async def test_every_claim_carries_the_operators_card_recorded_with_it(books: Books) -> None:
    """The claim and its card commit together: should the shop die right after the claim, before
    anything is sent (nothing is, here), the card still goes out once it is back. Every claim has
    its card, a second claimant's too, and a claimant's again once a rejected transfer waits
    again; a claim refused has none."""
    clock = Clock()
    deposits = deposits_of(books, clock, operators=OPERATORS_CHAT)
    heard = Heard(Outbox(books.db, OPERATORS_CHAT))
    alice, bob = await books.customer(1), await books.customer(2)
    first = await deposits.usdt.claim(alice, "f" * 64, 4 * USDT)
    assert await heard.told_of(Topic.PAYMENT_WAITING) == [str(first.id)]
    with pytest.raises(ClaimRefused):
        await deposits.usdt.claim(alice, "f" * 64, 4 * USDT)
    await deposits.usdt.claim(bob, "f" * 64, 5 * USDT)
    assert await heard.told_of(Topic.PAYMENT_WAITING) == [str(first.id)] * 2
    await deposits.decisions.reject(first.id, admin_id=900)
    # The transfer turns up after all: it waits for the operators again, and Alice may say so.
    await deposits.usdt.take("f" * 64, 4 * USDT, "TSender", clock.ms())
    await deposits.usdt.claim(alice, "f" * 64, 4 * USDT)
    assert await heard.told_of(Topic.PAYMENT_WAITING) == [str(first.id)] * 4


async def test_a_transfer_sent_in_time_counts_even_when_seen_after_expiry(books: Books) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    alice = await books.customer(1)
    request = await deposits.usdt.open(alice, 5 * USDT)
    sent = clock.ms(timedelta(minutes=29))
    clock.now += timedelta(minutes=45)  # the watch was slow, or the shop was down
    await deposits.requests.expire_overdue()
    taken = await deposits.usdt.take("d" * 64, request.pay_amount, "TSender", sent)
    assert taken.credited_now and taken.request is not None and taken.request.id == request.id


async def test_unknown_amounts_and_customers_change_nothing(books: Books) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    alice = await books.customer(1)
    await deposits.usdt.open(alice, 5 * USDT)
    stray = await deposits.usdt.take("e" * 64, 5 * USDT, "TSender", clock.ms())  # no extra
    assert stray.payment.status == PaymentStatus.UNMATCHED
    with pytest.raises(DepositRefused, match="no customer 77"):
        await deposits.decisions.assign(stray.payment.id, 77, admin_id=900)
    with pytest.raises(DepositRefused, match="no payment 99"):
        await deposits.decisions.ignore(99, admin_id=900)
    ignored = await deposits.decisions.ignore(stray.payment.id, admin_id=900)
    assert ignored.status == PaymentStatus.IGNORED
    assert await available(books, alice) == 0
    assert not await deposits.requests.cancel("DNOPE", alice)


async def test_the_ledger_check_accounts_for_every_credited_payment(books: Books) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    alice = await books.customer(1)
    request = await deposits.usdt.open(alice, 5 * USDT)
    await deposits.usdt.take("f" * 64, request.pay_amount, "TSender", clock.ms())
    assert (await audit_ledger(books.db)).ok

    # A deposit booked without its payment, or a payment the ledger does not show, is reported.
    await books.ledger.credit(alice, USDT, key="deposit:usdt:" + "9" * 64, memo="forged")
    async with books.db.write() as tx:
        await tx.execute("UPDATE payments SET credited = credited + 1")
    problems = (await audit_ledger(books.db)).problems
    assert any("has no credited payment" in problem for problem in problems)
    assert any("but the ledger has" in problem for problem in problems)


async def test_a_customer_holds_at_most_five_open_requests_of_any_kind(books: Books) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    alice, bob = await books.customer(1), await books.customer(2)
    requests = [await deposits.usdt.open(alice, 10 * USDT) for _ in range(4)]
    await deposits.stars.open(alice, 100)
    with pytest.raises(TooManyRequests):
        await deposits.usdt.open(alice, 10 * USDT)
    with pytest.raises(TooManyRequests):
        await deposits.stars.open(alice, 100)
    # A cancelled request holds nothing: its place, and its amount, are free at once.
    assert await deposits.requests.cancel(requests[0].id, alice)
    assert (await deposits.usdt.open(bob, 10 * USDT)).pay_amount == 10 * USDT + 5
    assert (await deposits.usdt.open(alice, 10 * USDT)).pay_amount == 10 * USDT + 6
    with pytest.raises(TooManyRequests):
        await deposits.stars.open(alice, 100)
    # Requests past their window hold no place either.
    clock.now += timedelta(minutes=31)
    await deposits.stars.open(alice, 100)


async def test_clocks_may_disagree_and_an_expired_amount_waits_while_others_are_free(
    books: Books,
) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    alice, bob = await books.customer(1), await books.customer(2)
    requests = [await deposits.usdt.open(alice, 10 * USDT) for _ in range(3)]
    # The chain's clock a minute behind ours: a transfer "before" the request still pays it.
    early = clock.ms(-timedelta(minutes=1))
    taken = await deposits.usdt.take("1" * 64, requests[1].pay_amount, "TSender", early)
    assert taken.credited_now and taken.request is not None and taken.request.id == requests[1].id
    too_early = clock.ms(-timedelta(minutes=3))
    stray = await deposits.usdt.take("2" * 64, requests[2].pay_amount, "TSender", too_early)
    assert not stray.credited_now

    # Within the clocks' slack after its window a request can still be paid: its amount is held.
    clock.now += timedelta(minutes=31)
    assert (await deposits.usdt.open(bob, 10 * USDT)).pay_amount == 10 * USDT + 4
    # Past it, an expired amount is offered again only when no other is free (a late transfer of
    # it is then still its customer's), the one that expired first before the others.
    clock.now += timedelta(minutes=2)
    assert (await deposits.usdt.open(bob, 10 * USDT)).pay_amount == 10 * USDT + 5


async def test_a_transfer_of_an_amount_given_out_again_is_credited_by_the_operators_only(
    books: Books,
) -> None:
    """Hal pays, then cancels; his amount, the only one left, goes to Ivy. His transfer, sent
    before she asked, is his; one sent after she asked may be either's (Hal may pay anyway): it
    waits for an operator, naming nobody, and is credited once."""
    clock = Clock()
    deposits = deposits_of(books, clock)
    hal, ivy = await books.customer(1), await books.customer(2)
    hals = await deposits.usdt.open(hal, 15 * USDT)
    sent_by_hal = clock.ms()  # he pays, then cancels before the watch sees it
    clock.now += timedelta(seconds=30)
    assert await deposits.requests.cancel(hals.id, hal)
    clock.now += timedelta(minutes=5)
    await hold_every_amount_but(books, deposits, clock, 15 * USDT, hals.pay_amount)
    ivys = await deposits.usdt.open(ivy, 15 * USDT)
    assert ivys.pay_amount == hals.pay_amount  # freed at once, the only one left
    clock.now += timedelta(minutes=5)
    first = await deposits.usdt.take("e5" * 32, hals.pay_amount, "THal", sent_by_hal)
    assert first.request is not None and first.request.id == hals.id
    second = await deposits.usdt.take("f6" * 32, ivys.pay_amount, "TIvy", clock.ms())
    assert not second.credited_now and second.request is None
    assert (second.payment.status, second.payment.request_id) == (PaymentStatus.UNMATCHED, None)
    assert (await available(books, hal), await available(books, ivy)) == (hals.pay_amount, 0)
    await deposits.decisions.assign(second.payment.id, ivy, admin_id=900)
    assert await available(books, ivy) == ivys.pay_amount
    assert (await audit_ledger(books.db)).ok


async def test_a_late_transfer_never_pays_the_request_its_amount_went_to_since(
    books: Books,
) -> None:
    """Ann's request expires unpaid; every other amount is taken, so hers goes to Cal. Ann's
    transfer, sent late, pays neither Cal's request nor names Cal as its owner, and nor does a
    claim by Cal make it his."""
    clock = Clock()
    deposits = deposits_of(books, clock)
    ann, cal = await books.customer(1), await books.customer(3)
    anns = await deposits.usdt.open(ann, 10 * USDT)
    clock.now += timedelta(minutes=33)  # past its window and the clocks' slack
    await deposits.requests.expire_overdue()
    await hold_every_amount_but(books, deposits, clock, 10 * USDT, anns.pay_amount)
    cals = await deposits.usdt.open(cal, 10 * USDT)
    assert cals.pay_amount == anns.pay_amount  # given out again: nothing else is free
    await deposits.usdt.claim(cal, "a7" * 32, 10 * USDT + 1)
    clock.now += timedelta(minutes=1)
    late = await deposits.usdt.take("a7" * 32, anns.pay_amount, "TAnn", clock.ms())
    assert not late.credited_now and late.request is None
    assert (late.payment.status, late.payment.request_id) == (PaymentStatus.UNMATCHED, None)
    with pytest.raises(DepositRefused):
        await deposits.decisions.approve(late.payment.id, anns.pay_amount, admin_id=900)
    assert (await available(books, ann), await available(books, cal)) == (0, 0)
    stored = await deposits.store.request(cals.id)
    assert stored is not None and stored.status == RequestStatus.OPEN
    assert (await audit_ledger(books.db)).ok


async def test_five_accounts_cannot_use_up_the_amounts_of_a_deposit(books: Books) -> None:
    """999 amounts per deposit amount: requests cancelled or left to expire must not hold them."""
    clock = Clock()
    deposits = deposits_of(books, clock)
    mallories = [await books.customer(n) for n in range(1, 6)]
    honest = await books.customer(9)
    for _ in range(45):  # 1,125 requests cancelled as fast as they are made hold nothing
        for mallory in mallories:
            for _ in range(MAX_LIVE_REQUESTS):
                request = await deposits.usdt.open(mallory, 10 * USDT)
                assert await deposits.requests.cancel(request.id, mallory)
    first = await deposits.usdt.open(honest, 10 * USDT)
    assert 10 * USDT < first.pay_amount <= 10 * USDT + 999
    assert await deposits.requests.cancel(first.id, honest)

    for _ in range(40):  # 1,000 requests left to expire, within a day
        for mallory in mallories:
            for _ in range(MAX_LIVE_REQUESTS):
                await deposits.usdt.open(mallory, 10 * USDT)
        clock.now += timedelta(minutes=33)
    request = await deposits.usdt.open(honest, 10 * USDT)
    assert 10 * USDT < request.pay_amount <= 10 * USDT + 999
    # That amount was a Mallory's too, within the day: a transfer of it may be hers, sent late.
    # It is credited by an operator, never to whoever holds the amount now by itself.
    taken = await deposits.usdt.take("4" * 64, request.pay_amount, "TSender", clock.ms())
    assert not taken.credited_now and taken.payment.request_id is None
    await deposits.decisions.assign(taken.payment.id, honest, admin_id=900)
    assert await available(books, honest) == request.pay_amount
    assert (await audit_ledger(books.db)).ok


async def test_an_amount_cancelled_is_offered_again_only_after_the_fresh_ones(
    books: Books,
) -> None:
    """One who cancels and pays anyway still finds the amount theirs while others are free."""
    clock = Clock()
    deposits = deposits_of(books, clock)
    alice, bob = await books.customer(1), await books.customer(2)
    cancelled = await deposits.usdt.open(alice, 10 * USDT)
    assert await deposits.requests.cancel(cancelled.id, alice)
    clock.now += timedelta(minutes=1)
    offered = await deposits.usdt.open(bob, 10 * USDT)
    assert offered.pay_amount != cancelled.pay_amount
    taken = await deposits.usdt.take("5" * 64, cancelled.pay_amount, "TAlice", clock.ms())
    assert taken.request is not None and taken.request.id == cancelled.id
    assert await available(books, alice) == cancelled.pay_amount
    assert await available(books, bob) == 0


async def test_a_claim_is_decided_once_and_shares_its_reference_with_the_watch(
    books: Books,
) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    alice, bob = await books.customer(1), await books.customer(2)
    claimed = await deposits.usdt.claim(alice, "7" * 64, 12 * USDT)
    assert claimed.status == PaymentStatus.CLAIMED and claimed.user_id == alice
    with pytest.raises(ClaimRefused, match="already claimed"):
        await deposits.usdt.claim(alice, "7" * 64, 12 * USDT)
    beside = await deposits.usdt.claim(bob, "7" * 64, 12 * USDT)  # kept beside Alice's claim
    assert (beside.id, beside.user_id) == (claimed.id, alice)
    with pytest.raises(DepositRefused, match="has not seen that transfer on chain yet"):
        await deposits.decisions.approve(claimed.id, 12 * USDT, admin_id=900)
    # The watch sees it: the chain's amount and sender are recorded on the claim, which waits.
    seen = await deposits.usdt.take("7" * 64, 11 * USDT, "TSender", clock.ms())
    assert not seen.seen_before and not seen.credited_now
    assert (seen.payment.status, seen.payment.paid, seen.payment.sender) == (
        PaymentStatus.CLAIMED,
        11 * USDT,
        "TSender",
    )
    with pytest.raises(DepositRefused, match=r"the chain shows only 11\.000000 USDT"):
        await deposits.decisions.approve(claimed.id, 12 * USDT, admin_id=900)
    approved = await deposits.decisions.approve(claimed.id, 11 * USDT, admin_id=900)
    assert (approved.status, approved.credited) == (PaymentStatus.CREDITED, 11 * USDT)
    assert (await deposits.usdt.take("7" * 64, 11 * USDT, "TSender", clock.ms())).seen_before
    with pytest.raises(DepositRefused, match="already credited"):
        await deposits.decisions.approve(claimed.id, 11 * USDT, admin_id=900)
    with pytest.raises(ClaimRefused, match="already credited"):
        await deposits.usdt.claim(bob, "7" * 64, 12 * USDT)
    assert (await available(books, alice), await available(books, bob)) == (11 * USDT, 0)
    assert (
        await deposits.store.open_claims_of(alice),
        await deposits.store.open_claims_of(bob),
    ) == (0, 0)

    # A transfer the watch could not place becomes the claim, with the chain's amount.
    stray = await deposits.usdt.take("8" * 64, 3 * USDT, "TSender", clock.ms())
    taken = await deposits.usdt.claim(bob, "8" * 64, 30 * USDT)
    assert (taken.id, taken.paid, taken.note) == (
        stray.payment.id,
        3 * USDT,
        f"claimed {30 * USDT}",
    )
    rejected = await deposits.decisions.reject(taken.id, admin_id=900)
    assert rejected.status == PaymentStatus.REJECTED
    with pytest.raises(ClaimRefused, match="already rejected"):
        await deposits.usdt.claim(bob, "8" * 64, 3 * USDT)
    assert await available(books, bob) == 0
    assert (await audit_ledger(books.db)).ok


async def test_a_claim_never_takes_a_transfer_from_the_request_it_pays(books: Books) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    alice, mallory = await books.customer(1), await books.customer(2)
    request = await deposits.usdt.open(alice, 20 * USDT)
    # Mallory watches the shop's address and claims Alice's transfer before the watch sees it.
    await deposits.usdt.claim(mallory, "9" * 64, request.pay_amount)
    taken = await deposits.usdt.take("9" * 64, request.pay_amount, "TAlice", clock.ms())
    assert taken.credited_now and taken.payment.user_id == alice
    assert (await available(books, alice), await available(books, mallory)) == (
        request.pay_amount,
        0,
    )
    # A rejected claim of a transfer nobody asked for goes back to the operators as unmatched.
    rejected = await deposits.usdt.claim(mallory, "6" * 64, 5 * USDT)
    await deposits.decisions.reject(rejected.id, admin_id=900)
    later = await deposits.usdt.take("6" * 64, 5 * USDT, "TSomeone", clock.ms())
    assert later.payment.status == PaymentStatus.UNMATCHED and not later.credited_now
    # At most three claims wait at once.
    for n in range(3):
        await deposits.usdt.claim(mallory, f"{n}" * 64, USDT)
    with pytest.raises(TooManyClaims):
        await deposits.usdt.claim(mallory, "5" * 64, USDT)
    assert (await audit_ledger(books.db)).ok


async def late_transfer(deposits: Deposits, clock: Clock, user_id: int, txid: str) -> Taken:
    """A request of `user_id` for 20 USDT expires; a transfer of its amount arrives after."""
    request = await deposits.usdt.open(user_id, 20 * USDT)
    clock.now += timedelta(minutes=33)
    await deposits.requests.expire_overdue()
    return await deposits.usdt.take(txid, request.pay_amount, "TSender", clock.ms())


async def test_a_late_transfer_stays_with_the_request_it_matches_whoever_claims_it(
    books: Books,
) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    alice, mallory = await books.customer(1), await books.customer(2)
    late = await late_transfer(deposits, clock, alice, "a1" * 32)
    assert not late.credited_now and late.payment.status == PaymentStatus.UNMATCHED
    matched = late.payment.request_id
    assert matched is not None
    request = await deposits.store.request(matched)
    assert request is not None and request.user_id == alice

    # Mallory reads the hash on a block explorer and claims it: kept beside the match, no more.
    claimed = await deposits.usdt.claim(mallory, "a1" * 32, 20 * USDT)
    assert (claimed.status, claimed.request_id, claimed.user_id) == (
        PaymentStatus.UNMATCHED,
        matched,
        None,
    )
    with pytest.raises(DepositRefused, match="is unmatched now"):
        await deposits.decisions.approve(claimed.id, 20 * USDT, admin_id=900)
    claims = await deposits.store.claims_of(claimed.id)
    assert [(c.user_id, c.amount, c.settled_at) for c in claims] == [(mallory, 20 * USDT, None)]

    credited = await deposits.decisions.assign(
        claimed.id, alice, admin_id=900
    )  # the card's one press
    assert (credited.status, credited.user_id) == (PaymentStatus.CREDITED, alice)
    assert (await available(books, alice), await available(books, mallory)) == (
        request.pay_amount,
        0,
    )
    closed = await deposits.store.request(matched)
    assert closed is not None and closed.status == RequestStatus.CREDITED
    assert all(c.settled_at is not None for c in await deposits.store.claims_of(claimed.id))
    with pytest.raises(ClaimRefused, match="already credited"):
        await deposits.usdt.claim(mallory, "a1" * 32, 20 * USDT)
    assert (await audit_ledger(books.db)).ok


async def test_a_claim_made_before_the_watch_sees_a_late_transfer_gives_way_to_the_match(
    books: Books,
) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    alice, mallory = await books.customer(1), await books.customer(2)
    request = await deposits.usdt.open(alice, 20 * USDT)
    clock.now += timedelta(minutes=33)
    await deposits.usdt.claim(mallory, "b2" * 32, request.pay_amount)  # from the mempool, say
    seen = await deposits.usdt.take("b2" * 32, request.pay_amount, "TAlice", clock.ms())
    assert not seen.credited_now and not seen.seen_before
    assert (seen.payment.status, seen.payment.request_id, seen.payment.user_id) == (
        PaymentStatus.UNMATCHED,
        request.id,
        None,
    )
    with pytest.raises(DepositRefused, match="is unmatched now"):
        await deposits.decisions.approve(seen.payment.id, request.pay_amount, admin_id=900)

    # Only an operator's explicit decision credits someone else, and the admin log says so.
    overruled = await deposits.decisions.assign(seen.payment.id, mallory, admin_id=900)
    assert (overruled.status, overruled.user_id) == (PaymentStatus.CREDITED, mallory)
    [logged] = await AdminLog(books.db).about("payment", str(seen.payment.id))
    assert logged.after == (
        f"credited {request.pay_amount} to {mallory}, not to customer {alice} whose request"
        f" {request.id} it matched"
    )
    still = await deposits.store.request(request.id)
    assert still is not None and still.status != RequestStatus.CREDITED
    assert (await available(books, alice), await available(books, mallory)) == (
        0,
        request.pay_amount,
    )


async def test_a_customer_claiming_their_own_late_transfer_is_credited_once(books: Books) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    alice = await books.customer(1)
    late = await late_transfer(deposits, clock, alice, "c3" * 32)
    claimed = await deposits.usdt.claim(alice, "c3" * 32, 20 * USDT)
    assert claimed.status == PaymentStatus.UNMATCHED and claimed.request_id is not None
    with pytest.raises(ClaimRefused, match="already claimed"):  # her claim waits already
        await deposits.usdt.claim(alice, "c3" * 32, 20 * USDT)
    await deposits.decisions.assign(late.payment.id, alice, admin_id=900)
    with pytest.raises(DepositRefused, match="already credited"):
        await deposits.decisions.assign(late.payment.id, alice, admin_id=901)
    with pytest.raises(ClaimRefused, match="already credited"):
        await deposits.usdt.claim(alice, "c3" * 32, 20 * USDT)
    assert await available(books, alice) == late.payment.paid
    assert await deposits.store.open_claims_of(alice) == 0
    assert (await audit_ledger(books.db)).ok


async def test_two_claims_of_one_transfer_are_both_kept_for_the_operators(books: Books) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    bob, carol = await books.customer(2), await books.customer(3)
    stray = await deposits.usdt.take("d4" * 32, 7 * USDT, "TSender", clock.ms())
    first = await deposits.usdt.claim(bob, "d4" * 32, 7 * USDT)
    second = await deposits.usdt.claim(carol, "d4" * 32, 7 * USDT)
    assert first.id == second.id == stray.payment.id
    assert (second.status, second.user_id) == (PaymentStatus.CLAIMED, bob)  # the first claimant's
    claims = await deposits.store.claims_of(stray.payment.id)
    assert [c.user_id for c in claims] == [bob, carol]

    # Approving credits the claimant the card names; another only by an explicit /assign.
    credited = await deposits.decisions.assign(stray.payment.id, carol, admin_id=900)
    assert (credited.status, credited.user_id) == (PaymentStatus.CREDITED, carol)
    [logged] = await AdminLog(books.db).about("payment", str(stray.payment.id))
    assert logged.after == f"credited {7 * USDT} to {carol}, not to customer {bob} who claimed it"
    # Bob hears his claim was not confirmed; Carol, that she was credited.
    told = [(e.topic, e.chat_id, e.about) for e in await deposits_outbox(books).store.waiting()]
    assert told == [
        (Topic.DEPOSIT, carol, str(stray.payment.id)),
        (Topic.CLAIM_UNCONFIRMED, bob, str(stray.payment.id)),
    ]
    assert (await available(books, bob), await available(books, carol)) == (0, 7 * USDT)
    assert (await audit_ledger(books.db)).ok
