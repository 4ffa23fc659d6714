"""Telegram Stars deposits: the request an invoice is sent for, the pre-checkout verdict, and each
payment credited once per charge id.

A Stars request is named by the invoice it is sent as (its payload is the request's id): the
pre-checkout query is approved only for an open request of that customer for exactly that many
Stars, and the payment, once Telegram reports it, is credited once per charge id. The operators'
alert of a Stars payment the shop booked without them is recorded with what it reports (see
`bot.services.stars_alerts`). Refunds: see `bot.services.deposits.stars_refunds`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum

from bot.services.deposits.books import DepositBooks, DepositRefused, Taken
from bot.services.money import MICRO, STORE_CURRENCY
from bot.services.ownership import own
from bot.services.stars_alerts import booked_alert, refunded_elsewhere_alert
from storage.database import as_stored
from storage.deposits import DepositRequest, Method, Payment, PaymentStatus, RequestStatus

STARS = "XTR"  # Telegram's currency code for Stars
MAX_STARS = 10_000  # per request
DEFAULT_STARS_RATE = Decimal("0.013")  # store-currency units per Star (STARS_RATE)


class StarsCheck(StrEnum):
    """The answer to a pre-checkout query, before Telegram takes the customer's Stars."""

    OK = "ok"
    UNKNOWN = "unknown"  # no such request, not a Stars one, or not this customer's
    CLOSED = "closed"  # cancelled, or paid already
    EXPIRED = "expired"
    MISMATCH = "mismatch"  # another amount, or another currency, than the request asked for


def stars_credit(stars: int, rate: Decimal) -> int:
    """Micro-units of the shop's currency that `stars` credit at `rate`, rounded down."""
    return int((Decimal(stars) * rate * MICRO).to_integral_value(rounding=ROUND_FLOOR))


class StarsPayments:
    def __init__(
        self,
        books: DepositBooks,
        *,
        stars_rate: Decimal = DEFAULT_STARS_RATE,
        currency: str = STORE_CURRENCY,
    ) -> None:
        self._books = books
        self.stars_rate = stars_rate
        self.currency = currency  # of the balances: what the operators' alerts count in

    async def open(
        self, user_id: int, stars: int, *, return_to: str | None = None
    ) -> DepositRequest:
        """A request to pay `stars` Stars, crediting them at today's rate once paid."""
        if not 1 <= stars <= MAX_STARS:
            raise DepositRefused(f"from 1 to {MAX_STARS} Stars")
        credit = stars_credit(stars, self.stars_rate)
        if credit <= 0:
            raise DepositRefused(f"{stars} Stars are worth nothing at {self.stars_rate}")
        books = self._books
        now = books.clock()
        async with books.db.write() as tx:
            await books.limit_requests(tx, user_id, now)
            request = books.new_request(user_id, Method.STARS, credit, stars, return_to, now)
            await books.store.insert_request(tx, request)
        return request

    async def check(self, request_id: str, user_id: int, total: int, currency: str) -> StarsCheck:
        """Whether Telegram may take the Stars of a pre-checkout query: only for an open,
        unexpired Stars request of that customer, for exactly its amount in XTR. Read-only, and
        quick: Telegram waits 10 seconds for the answer."""
        request = own(user_id, await self._books.store.request(request_id))
        if request is None or request.method != Method.STARS:
            return StarsCheck.UNKNOWN
        if request.status != RequestStatus.OPEN:
            return StarsCheck.CLOSED
        if request.expires_at <= as_stored(self._books.clock()):
            return StarsCheck.EXPIRED
        if currency != STARS or total != request.pay_amount:
            return StarsCheck.MISMATCH
        return StarsCheck.OK

    async def take(
        self,
        charge_id: str,
        user_id: int,
        stars: int,
        payload: str,
        *,
        paid_at: datetime | None = None,
        from_record: bool = False,
    ) -> Taken:
        """A payment of `stars` Stars by `user_id`, from its `successful_payment` message or from
        the bot's Stars transactions (`bot.services.stars_history`, `from_record`): credited once
        per charge id, whichever comes first.

        The request it names is credited at its amount, even if it expired or was cancelled since
        the pre-checkout query: the customer paid what its invoice asked, for what it promised,
        whatever the rate is when the payment is booked. A payment whose request is missing,
        someone else's or paid already has no such promise, yet is still the payer's money:
        credited at today's rate, with no request (`Taken.request` is None).

        The operators' alert of such a payment, and of every one booked from the record, is
        recorded with the credit, under one key for the charge: whichever path books it, it is
        raised once, and a crash right after the commit cannot lose it."""
        books, store = self._books, self._books.store
        reference = f"stars:{charge_id}"
        now = as_stored(books.clock())
        paid = now if paid_at is None else as_stored(paid_at)
        async with books.db.write() as tx:
            await tx.serialize(reference)  # the update and the history's record at once: once
            known = await store.payment_by_reference(reference, tx)
            if known is not None:
                return Taken(known, None, credited_now=False, seen_before=True)
            request = await store.request(payload, tx)
            matched = (
                request is not None
                and request.method == Method.STARS
                and request.user_id == user_id
                and request.pay_amount == stars
                and request.status != RequestStatus.CREDITED
            )
            if not matched:
                request = None
            amount = request.amount if request is not None else stars_credit(stars, self.stars_rate)
            payment_id = await store.insert_payment(
                tx,
                reference=reference,
                method=Method.STARS,
                paid=stars,
                status=PaymentStatus.UNMATCHED,
                paid_at=paid,
                now=now,
                user_id=user_id,
            )
            told = await books.credit(
                tx,
                payment_id,
                user_id,
                amount,
                reference=reference,
                request_id=None if request is None else request.id,
                memo=f"Telegram Stars payment #{payment_id}",
                now=now,
            )
            payment = await store.payment(payment_id, tx)
            assert payment is not None
            alert = booked_alert(payment, request, payload, self.currency, from_record=from_record)
            if alert is not None:
                told += await books.alert_operators(tx, alert, key=f"{reference}:booked")
        await books.outbox.send_now(told)
        return Taken(payment, request, credited_now=True, seen_before=False)

    async def refund_seen_outside(self, payment_id: int) -> Payment | None:
        """The bot's Stars transactions list a refund of this payment, which the shop has
        `credited`: Telegram gave the Stars back without the shop, and the credit is still in the
        wallet. The operators' alert is recorded now, before the record's cursor passes the
        refund, once per charge however often it is read; the payment, or None if it is not
        `credited` (nothing to tell)."""
        books = self._books
        async with books.db.write() as tx:
            payment = await books.store.payment(payment_id, tx)
            if payment is None or payment.status != PaymentStatus.CREDITED:
                return None
            told = await books.alert_operators(
                tx,
                refunded_elsewhere_alert(payment, self.currency),
                key=f"{payment.reference}:refunded-elsewhere",
            )
        await books.outbox.send_now(told)
        return payment
