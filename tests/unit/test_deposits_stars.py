"""Telegram Stars deposits: the pre-checkout verdict, each payment credited once, and refunds that
never lose or double money whatever Telegram answers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.services.deposits import Deposits
from bot.services.deposits.books import BalanceShort, DepositBooks, DepositRefused, TooManyRequests
from bot.services.deposits.stars import StarsCheck, stars_credit
from bot.services.deposits.stars_refunds import RefundOutcome
from bot.services.news import Topic
from bot.services.telegram_stars import RefundAnswer, RefundReply
from bot.telegram.link import BotLink
from bot.telegram.outbox import Outbox
from bot.telegram.stars import BotStars
from storage.admin_log import AdminLog
from storage.audit import audit_ledger
from storage.deposits import Payment, PaymentStatus, RequestStatus
from storage.figures import FigureStore
from storage.ledger import DEPOSITS, Kind
from tests.heard import Heard
from tests.unit.conftest import Books
from tests.unit.test_deposits import START, Clock, DepositsAtHand, available
from tests.unit.test_deposits import deposits_of as usdt_deposits_of

USDT = 1_000_000
ADMIN = 900


class Telegram:
    """Telegram's side of refunds: answers in turn (then DONE, or ALREADY_REFUNDED once a call
    got through), remembering every call."""

    def __init__(self, *answers: RefundAnswer) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[int, str]] = []
        self.refunded: set[str] = set()

    async def __call__(self, user_id: int, charge_id: str) -> RefundReply:
        self.calls.append((user_id, charge_id))
        answer = self.answers.pop(0) if self.answers else RefundAnswer.DONE
        if answer == RefundAnswer.DONE and charge_id in self.refunded:
            answer = RefundAnswer.ALREADY_REFUNDED
        if answer in (RefundAnswer.DONE, RefundAnswer.UNKNOWN):  # a lost answer may hide one
            self.refunded.add(charge_id)
        return RefundReply(answer, f"said {answer.value}")


def deposits_of(
    books: Books, clock: Clock, rate: str = "0.013", *, operators: int | None = None
) -> DepositsAtHand:
    """Deposits whose news stays in the outbox; the operators' too, given their chat."""
    return usdt_deposits_of(books, clock, operators=operators, stars_rate=Decimal(rate))


async def paid_stars(deposits: Deposits, user_id: int, stars: int, charge: str) -> Payment:
    request = await deposits.stars.open(user_id, stars)
    taken = await deposits.stars.take(charge, user_id, stars, request.id)
    assert taken.credited_now and taken.request is not None
    return taken.payment


def test_stars_credit_at_the_rate_rounded_down_to_the_micro_unit() -> None:
    assert stars_credit(250, Decimal("0.013")) == 3_250_000
    assert stars_credit(7, Decimal("0.0133333")) == 93_333  # 0.0933331 USDT
    assert stars_credit(1, Decimal("0.000001")) == 1
    assert stars_credit(10_000, Decimal("0.019999")) == 199_990_000


async def test_a_request_asks_for_whole_stars_and_says_what_they_credit(books: Books) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock, rate="0.0133333")
    alice = await books.customer(1)
    request = await deposits.stars.open(alice, 100)
    assert (request.pay_amount, request.amount, request.status) == (100, 1_333_330, "open")
    assert request.expires_at == "2026-11-24T12:30:00.000000Z"
    for stars in (0, -1, 10_001):
        with pytest.raises(DepositRefused, match="from 1 to 10000 Stars"):
            await deposits.stars.open(alice, stars)
    for _ in range(4):
        await deposits.stars.open(alice, 100)
    with pytest.raises(TooManyRequests):
        await deposits.stars.open(alice, 100)
    assert await deposits.requests.cancel(request.id, alice)  # a cancelled one no longer counts
    await deposits.stars.open(alice, 100)


async def test_the_pre_checkout_verdict(books: Books) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    alice, bob = await books.customer(1), await books.customer(2)
    request = await deposits.stars.open(alice, 250)
    assert await deposits.stars.check(request.id, alice, 250, "XTR") == StarsCheck.OK
    assert await deposits.stars.check(request.id, bob, 250, "XTR") == StarsCheck.UNKNOWN
    assert await deposits.stars.check("DNOSUCH", alice, 250, "XTR") == StarsCheck.UNKNOWN
    assert await deposits.stars.check(request.id, alice, 249, "XTR") == StarsCheck.MISMATCH
    assert await deposits.stars.check(request.id, alice, 250, "USD") == StarsCheck.MISMATCH
    usdt = await deposits.usdt.open(alice, 5 * USDT)
    assert await deposits.stars.check(usdt.id, alice, usdt.pay_amount, "XTR") == StarsCheck.UNKNOWN

    clock.now += timedelta(minutes=30)
    assert await deposits.stars.check(request.id, alice, 250, "XTR") == StarsCheck.EXPIRED
    cancelled = await deposits.stars.open(alice, 250)
    assert await deposits.requests.cancel(cancelled.id, alice)
    assert await deposits.stars.check(cancelled.id, alice, 250, "XTR") == StarsCheck.CLOSED
    credited = await deposits.stars.open(alice, 250)
    await deposits.stars.take("stxA", alice, 250, credited.id)
    assert await deposits.stars.check(credited.id, alice, 250, "XTR") == StarsCheck.CLOSED


async def test_a_payment_is_credited_once_at_its_request_amount_even_after_expiry(
    books: Books,
) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    alice = await books.customer(1)
    request = await deposits.stars.open(alice, 250)
    clock.now += timedelta(hours=2)  # approved in time, reported late
    await deposits.requests.expire_overdue()
    deposits.stars.stars_rate = Decimal("0.02")  # the rate changed meanwhile: the request's holds

    taken = await deposits.stars.take("stxONE", alice, 250, request.id)
    assert taken.credited_now and taken.request is not None and taken.request.id == request.id
    assert taken.payment.reference == "stars:stxONE" and taken.payment.credited == 3_250_000
    again = await deposits.stars.take("stxONE", alice, 250, request.id)
    assert again.seen_before and not again.credited_now and again.payment.id == taken.payment.id
    assert await available(books, alice) == 3_250_000
    stored = await deposits.store.request(request.id)
    assert stored is not None and stored.status == RequestStatus.CREDITED
    assert (await audit_ledger(books.db)).ok


async def test_a_payment_naming_no_request_of_the_payer_is_still_credited_to_the_payer(
    books: Books,
) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    alice, bob = await books.customer(1), await books.customer(2)
    alices = await deposits.stars.open(alice, 100)
    for charge, payload, stars in (("stxB1", alices.id, 100), ("stxB2", "DNOSUCH", 50)):
        taken = await deposits.stars.take(charge, bob, stars, payload)
        assert taken.credited_now and taken.request is None
        assert taken.payment.user_id == bob and taken.payment.request_id is None
    assert await available(books, bob) == 1_300_000 + 650_000
    assert await available(books, alice) == 0
    untouched = await deposits.store.request(alices.id)
    assert untouched is not None and untouched.status == RequestStatus.OPEN
    # A request paid twice (two invoices approved at once): the second is credited at the rate.
    await deposits.stars.take("stxA1", alice, 100, alices.id)
    deposits.stars.stars_rate = Decimal("0.01")
    second = await deposits.stars.take("stxA2", alice, 100, alices.id)
    assert second.request is None and second.payment.credited == USDT
    assert await available(books, alice) == 1_300_000 + USDT
    assert (await audit_ledger(books.db)).ok


async def test_a_refund_debits_the_wallet_once_and_is_refused_after(books: Books) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    telegram = Telegram()
    deposits.telegram.refund = telegram
    heard = Heard(Outbox(books.db, None))
    alice = await books.customer(1)
    payment = await paid_stars(deposits, alice, 100, "stxR")
    refund = await deposits.refunds.refund(payment.id, ADMIN, "asked for it back")
    assert refund.outcome == RefundOutcome.REFUNDED
    assert refund.payment.status == PaymentStatus.REFUNDED
    assert telegram.calls == [(alice, "stxR")]
    assert await available(books, alice) == 0
    assert await heard.told_of(Topic.STARS_REFUND) == [str(payment.id)]
    with pytest.raises(DepositRefused, match=f"payment {payment.id} is already refunded"):
        await deposits.refunds.refund(payment.id, ADMIN, "again")
    assert len(telegram.calls) == 1
    history = await books.ledger.wallet_history(alice, limit=5)
    assert [line.kind for line in history] == [Kind.DEPOSIT_REFUND, Kind.DEPOSIT]
    log = await AdminLog(books.db).about("payment", str(payment.id))
    assert [action.after for action in log][:2] == [
        "refunded: Telegram answered done said done",
        "refunding: asked for it back",
    ]
    assert (await audit_ledger(books.db)).ok
    assert await books.ledger.account_balance(DEPOSITS) == 0
    figures = await FigureStore(books.db).since("2000-01-01")
    assert (figures.deposits, figures.deposit_count) == (1_300_000, 1)
    assert (figures.deposit_refunds, figures.deposit_refund_count) == (1_300_000, 1)


async def test_a_refund_asked_before_the_bot_is_connected_is_refused_and_takes_nothing(
    books: Books,
) -> None:
    """Before start-up attaches the bot, Telegram cannot be asked: the refund is refused before
    any money leaves the wallet (taken, a later refusal of the charge would read as unclear)."""
    clock = Clock()
    outbox = Outbox(books.db, None)
    kept = DepositBooks(books.db, books.ledger, AdminLog(books.db), outbox, clock=clock)
    unconnected = Deposits(kept, BotStars(BotLink(), timeout=1))
    alice = await books.customer(1)
    payment = await paid_stars(unconnected, alice, 100, "stxN")
    with pytest.raises(DepositRefused, match="not connected"):
        await unconnected.refunds.refund(payment.id, ADMIN, "")
    unrefunded = await kept.store.payment(payment.id)
    assert unrefunded is not None and unrefunded.status == PaymentStatus.CREDITED
    assert await available(books, alice) == 1_300_000
    assert (await audit_ledger(books.db)).ok
    with pytest.raises(ConnectionError, match="not connected"):
        await BotStars(BotLink(), timeout=1).read_transactions(0, 100)


async def test_a_refund_the_balance_no_longer_covers_changes_nothing(books: Books) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    deposits.telegram.refund = telegram = Telegram()
    alice = await books.customer(1)
    payment = await paid_stars(deposits, alice, 100, "stxS")
    await books.ledger.debit(alice, 500_000, key="spent", memo="spent")
    with pytest.raises(BalanceShort) as short:
        await deposits.refunds.refund(payment.id, ADMIN, "")
    assert (short.value.available, short.value.required) == (800_000, 1_300_000)
    stored = await deposits.store.payment(payment.id)
    assert stored is not None and stored.status == PaymentStatus.CREDITED
    assert telegram.calls == [] and await available(books, alice) == 800_000
    with pytest.raises(DepositRefused, match="no payment 99"):
        await deposits.refunds.refund(99, ADMIN, "")
    usdt = await deposits.usdt.take("f" * 64, 5 * USDT, "TSender", int(START.timestamp() * 1000))
    with pytest.raises(DepositRefused, match="not a Telegram Stars payment"):
        await deposits.refunds.refund(usdt.payment.id, ADMIN, "")
    assert (await audit_ledger(books.db)).ok


async def test_a_refused_refund_puts_the_money_back_and_can_be_asked_again(books: Books) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    deposits.telegram.refund = Telegram(RefundAnswer.REFUSED)
    alice = await books.customer(1)
    payment = await paid_stars(deposits, alice, 100, "stxF")
    refused = await deposits.refunds.refund(payment.id, ADMIN, "")
    assert refused.outcome == RefundOutcome.REFUSED and refused.detail == "said refused"
    assert refused.payment.status == PaymentStatus.CREDITED
    assert await available(books, alice) == 1_300_000
    assert (await audit_ledger(books.db)).ok

    again = await deposits.refunds.refund(payment.id, ADMIN, "")  # a new attempt, a new key
    assert again.outcome == RefundOutcome.REFUNDED
    assert await available(books, alice) == 0
    kinds = [line.kind for line in await books.ledger.wallet_history(alice, limit=5)]
    assert kinds == [
        Kind.DEPOSIT_REFUND,
        Kind.DEPOSIT_REFUND_CANCELLED,
        Kind.DEPOSIT_REFUND,
        Kind.DEPOSIT,
    ]
    assert (await audit_ledger(books.db)).ok
    figures = await FigureStore(books.db).since("2000-01-01")
    assert (figures.deposit_refunds, figures.deposit_refund_count) == (1_300_000, 1)


async def test_an_unknown_answer_keeps_the_money_out_until_telegram_says(books: Books) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    telegram = Telegram(RefundAnswer.UNKNOWN)
    deposits.telegram.refund = telegram
    heard = Heard(Outbox(books.db, None))
    alice = await books.customer(1)
    payment = await paid_stars(deposits, alice, 100, "stxU")
    pending = await deposits.refunds.refund(payment.id, ADMIN, "")
    assert pending.outcome == RefundOutcome.PENDING
    assert pending.payment.status == PaymentStatus.REFUNDING
    assert await available(books, alice) == 0  # it cannot be spent meanwhile
    assert (await audit_ledger(books.db)).ok
    assert await heard.told_of(Topic.STARS_REFUND) == []

    # The job asks again: the first call had got through, so Telegram says it is refunded.
    finished = await deposits.refunds.finish()
    assert [(r.payment.id, r.outcome) for r in finished] == [(payment.id, RefundOutcome.REFUNDED)]
    assert [charge for _, charge in telegram.calls] == ["stxU", "stxU"]
    assert await heard.told_of(Topic.STARS_REFUND) == [str(payment.id)]
    assert await deposits.refunds.finish() == []
    assert await available(books, alice) == 0
    assert (await audit_ledger(books.db)).ok


async def test_a_failing_call_is_an_unknown_answer(books: Books) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)

    async def broken(user_id: int, charge_id: str) -> RefundReply:
        raise ConnectionResetError("dropped")

    deposits.telegram.refund = broken
    alice = await books.customer(1)
    payment = await paid_stars(deposits, alice, 100, "stxX")
    pending = await deposits.refunds.refund(payment.id, ADMIN, "")
    assert pending.outcome == RefundOutcome.PENDING and pending.detail == "dropped"
    deposits.telegram.refund = Telegram(RefundAnswer.ALREADY_REFUNDED)
    settled = await deposits.refunds.refund(payment.id, ADMIN + 1, "")  # asked again by command
    assert settled.outcome == RefundOutcome.REFUNDED
    assert await available(books, alice) == 0
    assert (await audit_ledger(books.db)).ok


async def test_the_retry_job_leaves_alone_a_refund_an_operator_is_asking_about(
    books: Books,
) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    telegram = Telegram()
    seen_by_the_job: list[list[int]] = []

    async def while_asking(user_id: int, charge_id: str) -> RefundReply:
        seen_by_the_job.append([r.payment.id for r in await deposits.refunds.finish()])
        return await telegram(user_id, charge_id)

    deposits.telegram.refund = while_asking
    alice = await books.customer(1)
    payment = await paid_stars(deposits, alice, 100, "stxJ")
    refund = await deposits.refunds.refund(payment.id, ADMIN, "")
    assert refund.outcome == RefundOutcome.REFUNDED
    assert seen_by_the_job == [[]] and len(telegram.calls) == 1


async def test_the_ledger_check_sees_refunds_that_do_not_add_up(books: Books) -> None:
    clock = Clock()
    deposits = deposits_of(books, clock)
    deposits.telegram.refund = Telegram()
    alice = await books.customer(1)
    payment = await paid_stars(deposits, alice, 100, "stxQ")
    await deposits.refunds.refund(payment.id, ADMIN, "")
    other = await paid_stars(deposits, alice, 100, "stxP")
    # A refund booked for nobody's payment, and a payment marked refunded with nothing taken.
    await books.ledger.debit(alice, USDT, key="deposit-refund:999:1", kind=Kind.DEPOSIT_REFUND)
    async with books.db.write() as tx:
        await tx.execute("UPDATE payments SET status = 'refunded' WHERE id = ?", (other.id,))
    problems = (await audit_ledger(books.db)).problems
    assert any("names no payment of its customer" in problem for problem in problems)
    assert any(
        f"payment {other.id} is refunded and its refunds took 0" in problem for problem in problems
    )
    assert len(problems) == 2


async def test_a_refusal_after_an_unanswered_refund_never_puts_the_money_back(
    books: Books,
) -> None:
    """The first call refunded but its answer was lost; Telegram then refuses the next call for
    another reason (a replaced token, say). That refusal proves nothing about the charge: the
    money stays out of the wallet, and the operators are told to check."""
    clock = Clock()
    deposits = deposits_of(books, clock)
    deposits.telegram.refund = Telegram(
        RefundAnswer.UNKNOWN, RefundAnswer.REFUSED, RefundAnswer.REFUSED
    )
    alice = await books.customer(1)
    payment = await paid_stars(deposits, alice, 100, "stxL")
    pending = await deposits.refunds.refund(payment.id, ADMIN, "")
    assert pending.outcome == RefundOutcome.PENDING
    [unclear] = await deposits.refunds.finish()
    assert unclear.outcome == RefundOutcome.UNCLEAR
    assert deposits.refunds.first_unclear(unclear) and not deposits.refunds.first_unclear(pending)
    again = await deposits.refunds.refund(payment.id, ADMIN, "")  # the operator asks again
    assert again.outcome == RefundOutcome.UNCLEAR
    assert not deposits.refunds.first_unclear(again)  # the operators heard it once
    stored = await deposits.store.payment(payment.id)
    assert stored is not None and stored.status == PaymentStatus.REFUNDING
    assert await available(books, alice) == 0
    assert (await audit_ledger(books.db)).ok
