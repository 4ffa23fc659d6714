"""The bot's Stars transactions against the shop's books: a payment whose message was lost is
credited once from Telegram's record, however it races its message; the record is read page by
page from a cursor that never skips a transaction; refunds in it settle the shop's."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.services.deposits.stars_refunds import RefundOutcome
from bot.services.news import Topic
from bot.services.stars_history import LIVE_MESSAGE_GRACE, MARK, StarsHistory
from bot.services.telegram_stars import Payer, RefundAnswer, StarsTransaction
from bot.telegram.outbox import Outbox
from storage.audit import audit_ledger
from storage.deposits import PaymentStatus, RequestStatus
from tests.databases import break_writes, mend_writes
from tests.heard import OPERATORS_CHAT, Heard
from tests.unit.conftest import Books
from tests.unit.test_deposits import Clock, DepositsAtHand, available
from tests.unit.test_deposits_stars import ADMIN, Telegram, deposits_of


class Record:
    """The bot's Stars transactions as Telegram lists them: oldest first, a page at a time."""

    def __init__(self) -> None:
        self.lines: list[StarsTransaction] = []
        self.reads: list[int] = []  # the offset of every page asked for
        self.down = False
        self.unreadable_from: int | None = None  # pages from this offset on cannot be read

    def pay(self, charge: str, user_id: int, stars: int, payload: str, at: datetime) -> None:
        payer = Payer(user_id, f"User {user_id}", f"user{user_id}", "vi")
        self.lines.append(StarsTransaction(charge, stars, at, True, payer, payload))

    def refund(self, charge: str, at: datetime) -> None:
        paid = next(line for line in self.lines if line.id == charge and line.incoming)
        self.lines.append(replace(paid, date=at, incoming=False))

    async def __call__(self, offset: int, limit: int) -> list[StarsTransaction]:
        self.reads.append(offset)
        if self.down or (self.unreadable_from is not None and offset >= self.unreadable_from):
            raise TimeoutError("no answer")
        await asyncio.sleep(0)  # an answer comes over the network: others run meanwhile
        return self.lines[offset : offset + limit]


@dataclass
class StarsShop:
    """A shop's deposits, the record, and what the customers were told."""

    books: Books
    clock: Clock
    deposits: DepositsAtHand
    record: Record
    heard: Heard  # what the operators' group is to hear

    def history(self) -> StarsHistory:
        """A StarsHistory as a process starting now builds it."""
        telegram = self.deposits.telegram
        telegram.read = self.record
        return StarsHistory(self.deposits, self.books.customers, telegram, clock=self.clock)

    async def told(self) -> list[int]:
        """The payments whose customers' news of the credit waits in the outbox, oldest first."""
        waiting = await Outbox(self.books.db, None).store.waiting()
        return [int(entry.about) for entry in waiting if entry.topic == Topic.DEPOSIT]

    async def credited_payments(self) -> int:
        return int(
            await self.books.db.fetch_value(
                "SELECT COUNT(*) FROM payments WHERE status = 'credited'"
            )
        )


def shop_of(books: Books) -> StarsShop:
    clock = Clock()
    deposits = deposits_of(books, clock, operators=OPERATORS_CHAT)
    return StarsShop(books, clock, deposits, Record(), Heard(Outbox(books.db, OPERATORS_CHAT)))


async def test_a_payment_whose_message_was_lost_is_credited_once_from_the_record(
    books: Books,
) -> None:
    shop = shop_of(books)
    alice = await books.customer(1)
    request = await shop.deposits.stars.open(alice, 250)
    shop.record.pay("stxLOST", alice, 250, request.id, shop.clock.now + timedelta(seconds=5))
    shop.clock.now += timedelta(minutes=1)  # the bot died with its message; a new one starts
    shop.deposits.stars.stars_rate *= 2  # the rate changed since: the invoice's promise holds

    checked = await shop.history().check()
    assert [found.taken.payment.reference for found in checked.found] == ["stars:stxLOST"]
    payment = checked.found[0].taken.payment
    assert (payment.user_id, payment.paid, payment.credited) == (alice, 250, 3_250_000)
    assert payment.paid_at == "2026-11-24T12:00:05.000000Z"  # when Telegram took the Stars
    assert checked.found[0].taken.request is not None
    assert await shop.told() == [payment.id]
    assert await available(books, alice) == 3_250_000
    stored = await shop.deposits.store.request(request.id)
    assert stored is not None and stored.status == RequestStatus.CREDITED

    again = await shop.history().check()  # the next run, or the next start
    assert again.found == [] and await shop.told() == [payment.id]
    assert shop.record.reads == [0, 1]  # the second run starts after what the first settled
    late = await shop.deposits.stars.take("stxLOST", alice, 250, request.id)
    assert late.seen_before and not late.credited_now  # its message, if it comes after all
    assert await available(books, alice) == 3_250_000
    assert (await audit_ledger(books.db)).ok


async def test_the_message_and_the_record_race_and_the_payment_is_credited_once(
    books: Books,
) -> None:
    shop = shop_of(books)
    alice = await books.customer(1)
    for n in range(20):  # each time a payment, its message and a run of the job, all at once
        request = await shop.deposits.stars.open(alice, 100)
        charge = f"stxRACE{n}"
        shop.record.pay(charge, alice, 100, request.id, shop.clock.now)
        shop.clock.now += LIVE_MESSAGE_GRACE  # its message comes as late as it may
        message = shop.deposits.stars.take(charge, alice, 100, request.id)
        live, checked = await asyncio.gather(message, shop.history().check())
        found = [f.taken for f in checked.found if f.taken.payment.reference == f"stars:{charge}"]
        assert live.credited_now + len(found) == 1, n
        if found:
            assert live.seen_before and live.payment.id == found[0].payment.id
    assert await available(books, alice) == 20 * 1_300_000
    assert await shop.credited_payments() == 20
    assert len(await shop.told()) == 20  # each payment's news once, whoever credited it
    assert (await audit_ledger(books.db)).ok


async def test_the_record_is_read_page_by_page_from_a_cursor_and_known_charges_stay_as_they_are(
    books: Books,
) -> None:
    shop = shop_of(books)
    paid_at = shop.clock.now
    for n in range(250):
        customer = await books.customer(1000 + n)
        request = await shop.deposits.stars.open(customer, 10 + n)
        shop.record.pay(f"stx{n:03}", customer, 10 + n, request.id, paid_at)
        if n < 120 or n % 2:  # these messages were handled as they came
            await shop.deposits.stars.take(f"stx{n:03}", customer, 10 + n, request.id)
    assert await shop.credited_payments() == 120 + 65
    shop.clock.now += timedelta(hours=1)

    checked = await shop.history().check()
    assert shop.record.reads == [0, 100, 200]
    booked = [found.taken.payment.reference for found in checked.found]
    assert booked == [f"stars:stx{n:03}" for n in range(120, 250, 2)]  # on pages 2 and 3
    assert await shop.credited_payments() == 250
    assert await shop.deposits.store.mark(MARK) == 250
    for n in (0, 121, 122, 249):  # every customer credited exactly once
        assert await available(books, 1000 + n) == (10 + n) * 13_000, n

    shop.record.pay("stxNEW", 1000, 5, "DNOSUCH", shop.clock.now - timedelta(minutes=6))
    checked = await shop.history().check()
    assert shop.record.reads == [0, 100, 200, 250]
    assert [found.transaction.id for found in checked.found] == ["stxNEW"]
    assert (await audit_ledger(books.db)).ok


async def test_a_recent_payment_is_left_to_its_message_and_the_cursor_waits_for_it(
    books: Books,
) -> None:
    shop = shop_of(books)
    alice = await books.customer(1)
    old = await shop.deposits.stars.open(alice, 100)
    recent = await shop.deposits.stars.open(alice, 200)
    shop.record.pay("stxOLD", alice, 100, old.id, shop.clock.now - timedelta(seconds=30))
    history = shop.history()  # this process started now
    shop.clock.now += timedelta(seconds=10)
    shop.record.pay("stxRECENT", alice, 200, recent.id, shop.clock.now)

    checked = await history.check()
    assert [found.transaction.id for found in checked.found] == ["stxOLD"]  # before the start
    assert await shop.deposits.store.mark(MARK) == 1  # the recent one is read again next time
    shop.clock.now += LIVE_MESSAGE_GRACE - timedelta(seconds=1)
    assert (await history.check()).found == []
    shop.clock.now += timedelta(seconds=2)  # its message never came
    checked = await history.check()
    assert [found.transaction.id for found in checked.found] == ["stxRECENT"]
    assert await available(books, alice) == 1_300_000 + 2_600_000
    assert await shop.deposits.store.mark(MARK) == 2


async def test_a_payment_naming_no_request_goes_in_at_the_rate_for_a_payer_never_met(
    books: Books,
) -> None:
    shop = shop_of(books)
    alice = await books.customer(1)
    await shop.deposits.stars.open(alice, 100)  # the shop's first Stars request
    stranger = 77
    shop.record.pay("stxODD", stranger, 300, "DNOSUCH", shop.clock.now - timedelta(minutes=1))

    checked = await shop.history().check()
    taken = checked.found[0].taken
    assert taken.request is None and checked.found[0].transaction.payload == "DNOSUCH"
    assert (taken.payment.user_id, taken.payment.credited) == (stranger, 3_900_000)
    registered = await books.customers.get(stranger)
    assert registered is not None and registered.language == "vi"
    assert await available(books, stranger) == 3_900_000


async def test_payments_older_than_the_shops_first_stars_request_are_not_the_shops(
    books: Books,
) -> None:
    shop = shop_of(books)
    alice = await books.customer(1)
    shop.record.pay("stxBEFORE", alice, 100, "someone else's", shop.clock.now - timedelta(days=3))
    request = await shop.deposits.stars.open(alice, 100)  # the shop's first Stars request
    shop.record.pay("stxAFTER", alice, 100, request.id, shop.clock.now + timedelta(seconds=1))
    shop.clock.now += timedelta(minutes=1)

    checked = await shop.history().check()
    assert [found.transaction.id for found in checked.found] == ["stxAFTER"]
    assert await available(books, alice) == 1_300_000
    assert await shop.deposits.store.mark(MARK) == 2


async def test_refunds_in_the_record_settle_the_shops_and_one_made_elsewhere_is_reported(
    books: Books,
) -> None:
    shop = shop_of(books)
    alice = await books.customer(1)
    long_ago = shop.clock.now
    payments = []
    for charge in ("stxLOSTANSWER", "stxELSEWHERE"):
        request = await shop.deposits.stars.open(alice, 100)
        shop.record.pay(charge, alice, 100, request.id, long_ago)
        payments.append((await shop.deposits.stars.take(charge, alice, 100, request.id)).payment)
    shop.clock.now += timedelta(hours=1)
    shop.deposits.telegram.refund = Telegram(RefundAnswer.UNKNOWN)  # refunded; the answer lost
    pending = await shop.deposits.refunds.refund(payments[0].id, ADMIN, "asked")
    assert pending.outcome == RefundOutcome.PENDING
    shop.record.refund("stxLOSTANSWER", long_ago + timedelta(minutes=1))
    shop.record.refund("stxELSEWHERE", long_ago + timedelta(minutes=2))  # not by the shop

    checked = await shop.history().check()
    assert checked.found == []
    assert [r.payment.id for r in checked.refunds_settled] == [payments[0].id]
    assert checked.refunds_settled[0].outcome == RefundOutcome.REFUNDED
    settled = await shop.deposits.store.payment(payments[0].id)
    assert settled is not None and settled.status == PaymentStatus.REFUNDED
    assert [p.id for p in checked.refunded_elsewhere] == [payments[1].id]
    assert await available(books, alice) == 1_300_000  # the other's credit stays for operators
    assert (await shop.history().check()).refunded_elsewhere == []  # reported once
    assert (await audit_ledger(books.db)).ok


async def test_a_record_that_cannot_be_read_or_booked_is_read_again_from_the_same_place(
    books: Books,
) -> None:
    shop = shop_of(books)
    alice = await books.customer(1)
    request = await shop.deposits.stars.open(alice, 100)
    shop.record.pay("stxA", alice, 100, request.id, shop.clock.now)
    shop.record.pay("stxB", 404, 100, "DNOSUCH", shop.clock.now)  # a payer the shop can't save
    shop.clock.now += timedelta(minutes=1)
    history = shop.history()
    shop.record.down = True
    assert (await history.check()).found == []
    assert await shop.deposits.store.mark(MARK) is None

    shop.record.down = False
    await break_writes(books.db, "no_404", "users", "INSERT", "NEW.id = 404")
    checked = await history.check()
    assert [found.transaction.id for found in checked.found] == ["stxA"]
    assert await shop.deposits.store.mark(MARK) == 1  # stopped at the one that failed
    await mend_writes(books.db, "no_404", "users")
    checked = await history.check()
    assert [found.transaction.id for found in checked.found] == ["stxB"]
    assert await shop.deposits.store.mark(MARK) == 2
    assert await available(books, alice) == 1_300_000 and await available(books, 404) == 1_300_000


# -- what the operators hear survives the process ------------------------------------------------

NEVER_HANDLED = (
    "found in the bot's Stars transactions; its message was never handled (the bot stopped with "
    "it in hand, or booking it failed). "
)


def found_alert(payment_id: int, stars: int, user_id: int, request_id: str, credit: str) -> str:
    return (
        f"Telegram Stars payment #{payment_id}: {stars} ⭐ from customer {user_id}, "
        f"{NEVER_HANDLED}It paid request {request_id}: credited now: {credit}. "
        "The customer is told."
    )


def no_request_note(payment_id: int, payload: str, credit: str) -> str:
    return (
        f"It named no open request of the customer's ('{payload}'): credited now at today's "
        f"rate: {credit}. /refundstars {payment_id} gives it back."
    )


def refunded_elsewhere_alert(payment_id: int, stars: int, user_id: int, credit: str) -> str:
    return (
        f"Telegram Stars payment #{payment_id}: the bot's Stars transactions show its {stars} ⭐ "
        f"refunded to customer {user_id}, but not by the shop: the {credit} it credited is "
        "still in their wallet. /debit takes it back if it should be."
    )


async def payment_id_of(shop: StarsShop, charge: str) -> int:
    payment = await shop.deposits.store.payment_by_reference(f"stars:{charge}")
    assert payment is not None, charge
    return payment.id


async def test_a_refund_made_outside_the_shop_is_recorded_for_the_operators_before_the_cursor_moves(
    books: Books,
) -> None:
    shop = shop_of(books)
    alice = await books.customer(1)
    request = await shop.deposits.stars.open(alice, 100)
    shop.record.pay("stxOUTSIDE", alice, 100, request.id, shop.clock.now)
    paid = await shop.deposits.stars.take("stxOUTSIDE", alice, 100, request.id)
    shop.record.refund("stxOUTSIDE", shop.clock.now + timedelta(minutes=1))  # not by the shop
    shop.clock.now += timedelta(hours=1)

    await shop.history().check()  # and the process dies: nothing after check() runs
    assert await shop.deposits.store.mark(MARK) == 2
    alert = refunded_elsewhere_alert(paid.payment.id, 100, alice, "1.30 USDT")
    assert await shop.heard.alerts() == [alert]

    async with books.db.write() as tx:  # as if it died before the cursor was saved
        await tx.execute("DELETE FROM watch_marks WHERE name = ?", (MARK,))
    await shop.history().check()
    assert await shop.heard.alerts() == [alert]  # recorded once, however often it is read
    assert await shop.deposits.store.mark(MARK) == 2
    assert await available(books, alice) == 1_300_000  # the credit stays for the operators


async def test_payments_booked_from_the_record_are_recorded_for_the_operators_with_the_credit(
    books: Books,
) -> None:
    shop = shop_of(books)
    alice = await books.customer(1)
    request = await shop.deposits.stars.open(alice, 250)
    shop.record.pay("stxLOST", alice, 250, request.id, shop.clock.now)
    shop.record.pay("stxODD", alice, 300, "DNOSUCH", shop.clock.now)  # no request of the shop's
    shop.clock.now += timedelta(minutes=10)

    await shop.history().check()  # and the process dies: nothing after check() runs
    lost, odd = await payment_id_of(shop, "stxLOST"), await payment_id_of(shop, "stxODD")
    alerts = [
        found_alert(lost, 250, alice, request.id, "3.25 USDT"),
        f"Telegram Stars payment #{odd}: 300 ⭐ from customer {alice}, {NEVER_HANDLED}"
        + no_request_note(odd, "DNOSUCH", "3.90 USDT"),
    ]
    assert await shop.heard.alerts() == alerts

    async with books.db.write() as tx:  # as if it died before the cursor was saved
        await tx.execute("DELETE FROM watch_marks WHERE name = ?", (MARK,))
    await shop.history().check()
    assert await shop.heard.alerts() == alerts
    assert await shop.deposits.store.mark(MARK) == 2
    assert await available(books, alice) == 3_250_000 + 3_900_000
    assert (await audit_ledger(books.db)).ok


async def test_a_payment_naming_no_request_alerts_once_whichever_path_books_it(
    books: Books,
) -> None:
    shop = shop_of(books)
    alice = await books.customer(1)
    await shop.deposits.stars.open(alice, 100)  # the shop's first Stars request
    shop.record.pay("stxMESSAGE", alice, 300, "DNOSUCH", shop.clock.now)
    await shop.deposits.stars.take("stxMESSAGE", alice, 300, "DNOSUCH")  # then the bot dies
    by_message = await payment_id_of(shop, "stxMESSAGE")
    alerts = [
        f"Telegram Stars payment #{by_message}: 300 ⭐ from customer {alice}. "
        + no_request_note(by_message, "DNOSUCH", "3.90 USDT")
    ]
    assert await shop.heard.alerts() == alerts

    shop.record.pay("stxRECORD", alice, 200, "DGONE", shop.clock.now)
    shop.clock.now += timedelta(minutes=10)
    await shop.history().check()  # the first is booked already; the second's message is late
    late = await shop.deposits.stars.take("stxRECORD", alice, 200, "DGONE")
    assert late.seen_before
    await shop.deposits.stars.take("stxMESSAGE", alice, 300, "DNOSUCH")  # delivered again
    by_record = await payment_id_of(shop, "stxRECORD")
    alerts.append(
        f"Telegram Stars payment #{by_record}: 200 ⭐ from customer {alice}, {NEVER_HANDLED}"
        + no_request_note(by_record, "DGONE", "2.60 USDT")
    )
    assert await shop.heard.alerts() == alerts
    assert await available(books, alice) == 3_900_000 + 2_600_000


async def test_a_later_page_that_fails_keeps_what_the_earlier_pages_recorded_for_the_operators(
    books: Books,
) -> None:
    shop = shop_of(books)
    alice = await books.customer(1)
    long_ago = shop.clock.now
    for n in range(98):  # handled as they came
        request = await shop.deposits.stars.open(alice, 10)
        shop.record.pay(f"stx{n:03}", alice, 10, request.id, long_ago)
        await shop.deposits.stars.take(f"stx{n:03}", alice, 10, request.id)
    first_lost = await shop.deposits.stars.open(alice, 10)
    shop.record.pay("stxLOST1", alice, 10, first_lost.id, long_ago)
    shop.record.refund("stx000", long_ago + timedelta(minutes=1))  # the 100th: end of page 1
    shop.record.refund("stx001", long_ago + timedelta(minutes=2))
    second_lost = await shop.deposits.stars.open(alice, 10)
    shop.record.pay("stxLOST2", alice, 10, second_lost.id, long_ago)
    shop.clock.now += timedelta(hours=1)
    history = shop.history()

    shop.record.unreadable_from = 100  # Telegram does not answer for page 2
    await history.check()
    assert shop.record.reads == [0, 100]
    assert await shop.deposits.store.mark(MARK) == 100
    first = [
        found_alert(await payment_id_of(shop, "stxLOST1"), 10, alice, first_lost.id, "0.13 USDT"),
        refunded_elsewhere_alert(await payment_id_of(shop, "stx000"), 10, alice, "0.13 USDT"),
    ]
    assert await shop.heard.alerts() == first

    shop.record.unreadable_from = None
    # Page 2 is settled, and its cursor cannot be saved.
    await break_writes(books.db, "stuck_mark", "watch_marks", "UPDATE", "NEW.value > 100")
    await history.check()
    assert await shop.deposits.store.mark(MARK) == 100
    every = [
        *first,
        refunded_elsewhere_alert(await payment_id_of(shop, "stx001"), 10, alice, "0.13 USDT"),
        found_alert(await payment_id_of(shop, "stxLOST2"), 10, alice, second_lost.id, "0.13 USDT"),
    ]
    assert await shop.heard.alerts() == every

    await mend_writes(books.db, "stuck_mark", "watch_marks")
    await history.check()  # page 2 again, from the cursor saved last
    assert await shop.deposits.store.mark(MARK) == 102
    assert await shop.heard.alerts() == every
    assert await available(books, alice) == 100 * 130_000
    assert (await audit_ledger(books.db)).ok
