"""Telegram's own record of the bot's Stars, against the shop's: every payment in it is credited
once, even one whose `successful_payment` message the bot never handled.

That message can be lost for good: Telegram sends it once, and the bot confirms it as soon as it
has it in hand, so a bot killed before booking it, or a booking that failed, leaves the customer's
Stars paid and nothing credited. The bot's Stars transactions (`getStarTransactions`, oldest
first) list every payment with its charge id, payer, Stars and invoice payload, the way the chain
lists USDT transfers; this job reads them at start-up and every STARS_CHECK_EVERY_SECONDS and books
a payment the shop does not have through `StarsPayments.take`, under the same reference
(`stars:<charge id>`) and ledger key as its message, so the two can race and still credit once.
It is credited as its message would have been: at the amount its own request promised, if it
names an unpaid request of the payer's for that many Stars; otherwise at today's STARS_RATE, for
the operators to check.

Where it reads from: a cursor (how many transactions are settled, in `watch_marks`) that only
moves past a transaction once it is settled. A payment made less than LIVE_MESSAGE_GRACE ago,
while this process runs, is left for its own message (handled within a second, normally) and read
again next time; one that cannot be booked (a database error) stops the run there, and so does a
cursor that cannot be saved: what it had passed is read again, and settles nothing twice.

Refunds are in the record too, under the charge id of their payment: a payment the shop still has
`refunding` (Telegram's answer never came) is settled as refunded; one it has `credited` was
refunded outside the shop, and the operators hear of it. Transactions older than the shop's first
Stars request were not made to its invoices (the bot's token served something else before) and
are passed over.

What the operators must hear of a transaction is in the outbox before the cursor moves past it:
the alert of a payment booked here is recorded with its credit, and that of a refund made outside
the shop in a transaction of its own, each under a key naming the charge. A process killed at any
point, or a later page that fails, loses none of them, and a record read again repeats none.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.services.deposits import Deposits
from bot.services.deposits.books import CLOCK_SLACK, Taken
from bot.services.deposits.stars_refunds import StarsRefund
from bot.services.languages import language_from_telegram
from bot.services.telegram_stars import StarsTransaction, TelegramStars
from storage.database import as_stored
from storage.deposits import Method, Payment, PaymentStatus
from storage.users import CustomerStore

log = logging.getLogger(__name__)

MARK = "stars-transactions-settled"  # the cursor: how many transactions are settled
PAGE = 100  # transactions per `getStarTransactions` call, the most Telegram gives
MAX_PAGES = 50  # per run: a long history is read over several runs
LIVE_MESSAGE_GRACE = timedelta(minutes=5)


@dataclass(frozen=True)
class Found:
    """A payment booked from the record: its message was never handled."""

    transaction: StarsTransaction
    taken: Taken


@dataclass
class HistoryCheck:
    """What one reading of the record settled."""

    found: list[Found] = field(default_factory=list)  # the operators' alerts are recorded
    refunds_settled: list[StarsRefund] = field(default_factory=list)  # for the operators' news
    refunded_elsewhere: list[Payment] = field(default_factory=list)  # alerts recorded, once each


def _now() -> datetime:
    return datetime.now(UTC)


class StarsHistory:
    def __init__(
        self,
        deposits: Deposits,
        customers: CustomerStore,
        telegram: TelegramStars,
        *,
        grace: timedelta = LIVE_MESSAGE_GRACE,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._deposits = deposits
        self._customers = customers
        self._grace = grace
        self._clock = clock
        self._started_at = clock()  # a payment made before was in a previous process's hands
        self._first_request: str | None = None
        self._telegram = telegram

    async def check(self) -> HistoryCheck:
        """Read the record from the cursor on and settle each transaction in turn."""
        checked = HistoryCheck()
        store = self._deposits.store
        offset = await store.mark(MARK) or 0
        for _ in range(MAX_PAGES):
            try:
                page = await self._telegram.read_transactions(offset, PAGE)
            except Exception as unread:  # a timeout, Telegram down: read again next time
                log.warning("reading the bot's Stars transactions failed: %r", unread)
                break
            settled = 0
            for transaction in page:
                if not await self._settle(transaction, checked):
                    break
                settled += 1
            if settled:
                offset += settled
                try:
                    await store.set_mark(MARK, offset)
                except Exception:  # what it passed is read again next time: settled already
                    log.exception("the Stars transactions' cursor could not be moved to %s", offset)
                    break
            if settled < len(page) or len(page) < PAGE:
                break
        return checked

    async def _settle(self, transaction: StarsTransaction, checked: HistoryCheck) -> bool:
        """Settle one transaction; False if it must wait (too recent, or it failed)."""
        now = self._clock()
        if transaction.date >= self._started_at and transaction.date > now - self._grace:
            return False  # its own message is still to come
        if transaction.payer is None:
            return True  # not an invoice payment: a gift, paid media, a withdrawal
        try:
            if transaction.incoming:
                await self._book(transaction, checked)
            else:
                await self._see_refund(transaction, checked)
        except Exception:
            log.exception("Stars transaction %s could not be settled", transaction.id)
            return False
        return True

    async def _book(self, transaction: StarsTransaction, checked: HistoryCheck) -> None:
        payer = transaction.payer
        assert payer is not None
        if await self._deposits.store.payment_by_reference(f"stars:{transaction.id}") is not None:
            return  # booked already (a read: most of the record is, and needs no write)
        if not await self._after_first_request(transaction):
            log.info("Stars payment %s predates the shop's first Stars request", transaction.id)
            return
        customer = await self._customers.get(payer.id)
        if customer is None:  # paid, and never wrote to the bot: still the payer's money
            await self._customers.register(
                payer.id,
                username=payer.username,
                first_name=payer.first_name,
                language=language_from_telegram(payer.language_code),
            )
        taken = await self._deposits.stars.take(
            transaction.id,
            payer.id,
            transaction.stars,
            transaction.payload,
            paid_at=transaction.date,
            from_record=True,
        )
        if not taken.credited_now:
            return  # its message was handled meanwhile
        checked.found.append(Found(transaction, taken))  # its news and alert are in the outbox

    async def _see_refund(self, transaction: StarsTransaction, checked: HistoryCheck) -> None:
        payment = await self._deposits.store.payment_by_reference(f"stars:{transaction.id}")
        if payment is None:
            return
        if payment.status == PaymentStatus.REFUNDING:
            refund = await self._deposits.refunds.refund_seen(payment.id)
            if refund is not None:
                checked.refunds_settled.append(refund)
        elif payment.status == PaymentStatus.CREDITED:
            still_credited = await self._deposits.stars.refund_seen_outside(payment.id)
            if still_credited is not None:
                checked.refunded_elsewhere.append(still_credited)

    async def _after_first_request(self, transaction: StarsTransaction) -> bool:
        if self._first_request is None:  # once made, it never changes
            self._first_request = await self._deposits.store.first_request_at(Method.STARS)
        if self._first_request is None:
            return False
        return as_stored(transaction.date + CLOCK_SLACK) >= self._first_request
