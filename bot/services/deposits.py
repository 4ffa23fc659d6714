"""Money in: deposit requests, and crediting each payment exactly once.

Every payment is recorded under a reference (`usdt:<txid>`, `stars:<charge id>`) that is unique in
the payments table and is, as `deposit:<reference>`, the idempotency key of its ledger credit, in
the same transaction. Seeing a payment again, after a restart or from two paths at once, finds the
reference taken and credits nothing.

A USDT request asks for an amount made unique among the requests that could still be paid, with a
few extra micro-units (0.000001 to 0.000999 USDT), so a transfer tells whose it is by its amount
and its time: it pays the request that asked for exactly that much and was open when it was sent.
How firmly each request holds its amount (`Hold`) decides which amount the next request gets: a
cancelled request holds none, so nobody can use the amounts up by asking and cancelling; an expired
one keeps its own while another is free, so a transfer sent late still names its customer, but
gives it up when none is; only one that can still be paid, or was paid lately, never gives it up.

A transfer that pays no request but matches one that expired, was cancelled or was paid already
(its amount still that request's) belongs to that request's customer: it waits for an operator,
recorded against the request, and its card offers to credit them. Anyone may claim a transfer by its
hash (it is public on any block explorer); a claim is kept beside the transfer for the operators to
see, and never replaces whose it is.

A Telegram Stars request is named by the invoice it is sent as (its payload is the request's id):
the pre-checkout query is approved only for an open request of that customer for exactly that many
Stars, and the payment, once Telegram reports it, is credited once per charge id. Refunds: see
`Deposits.refund_stars`.

The customer's news of a credit or of a refund done, a claimant's that their claim was not
confirmed, and the operators' alert of a Stars payment the shop booked without them (see
`bot.services.stars_alerts`) are written to the outbox in the transaction that decides them (see
`bot.telegram.outbox`).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from enum import IntEnum, StrEnum

from bot.services.money import MICRO, STORE_CURRENCY, format_amount
from bot.services.news import News, Topic, alert_text
from bot.services.stars_alerts import booked_alert, refunded_elsewhere_alert
from storage.admin_log import AdminLog
from storage.database import Database, Transaction, as_stored
from storage.deposits import (
    AmountInUse,
    Claim,
    DepositRequest,
    DepositStore,
    Method,
    Payment,
    PaymentStatus,
    RequestStatus,
)
from storage.ledger import InsufficientFunds, Kind, Ledger

log = logging.getLogger(__name__)

MAX_EXTRA = 999  # micro-units added to make a USDT amount unique: at most 0.000999 USDT
MAX_OPEN_CLAIMS = 3  # per customer, waiting for the operators
MAX_LIVE_REQUESTS = 5  # per customer, of any method: requests that can still be paid at once
# How far the chain's clock and ours may disagree: a transfer this much before a request was made
# or after it expired still pays it.
CLOCK_SLACK = timedelta(minutes=2)
# How long after its request closes an amount stays its own (see `Hold`): a transfer sent late, or
# sent twice, then reaches the operators instead of paying another customer's request of the same
# amount.
AMOUNT_RESERVED = timedelta(hours=24)
STARS = "XTR"  # Telegram's currency code for Stars
MAX_STARS = 10_000  # per request
DEFAULT_STARS_RATE = Decimal("0.013")  # store-currency units per Star (STARS_RATE)


class DepositRefused(Exception):
    """Said to the operator as it is."""


class ClaimRefused(DepositRefused):
    """The claimed transfer is known already: credited, claimed, ignored or rejected."""

    def __init__(self, status: PaymentStatus) -> None:
        super().__init__(f"that transfer is already {status}")
        self.status = status


class TooManyClaims(DepositRefused):
    """The customer has MAX_OPEN_CLAIMS claims waiting for the operators."""


class TooManyRequests(DepositRefused):
    """The customer has MAX_LIVE_REQUESTS requests that can still be paid."""


class AmountsTaken(DepositRefused):
    """Every unique variant of this amount is held by a request that can still be paid."""


class Hold(IntEnum):
    """How firmly an amount to pay is held against a new USDT request of the same amount."""

    NONE = 0  # no request asked for it lately: free
    # Asked for only by requests cancelled within AMOUNT_RESERVED: given up, yet offered again
    # only after every amount nobody asked for, so that a customer who cancels and pays anyway
    # is still the one that amount names, as long as the shop can manage it.
    CANCELLED = 1
    # Asked for by a request that expired unpaid within AMOUNT_RESERVED: a late transfer of it is
    # still that customer's, so it is offered again only when no amount is free, the one whose
    # request expired first before the others.
    LATE = 2
    # A request can still be paid with it (its window and the clocks' slack are not over), or one
    # was paid with it within AMOUNT_RESERVED (the same transfer sent twice must not pay someone
    # else's request).
    FIRM = 3


def least_held_extra(amount: int, in_use: Iterable[AmountInUse], now: datetime) -> int | None:
    """The extra micro-units that make `amount` unique for a new request: one nobody asked for,
    else one only cancelled requests asked for, else the one held late the longest; None if
    every one is held firmly."""
    payable_after = as_stored(now - CLOCK_SLACK)

    def hold_of(used: AmountInUse) -> Hold:
        if used.paid or (used.until is not None and used.until > payable_after):
            return Hold.FIRM
        return Hold.CANCELLED if used.until is None else Hold.LATE

    held = {used.pay_amount: (hold_of(used), used.until or "") for used in in_use}
    free = (Hold.NONE, "")
    (hold, _), extra = min((held.get(amount + n, free), n) for n in range(1, MAX_EXTRA + 1))
    return None if hold == Hold.FIRM else extra


def request_paid_by(requests: Iterable[DepositRequest], sent: datetime) -> DepositRequest | None:
    """The request a transfer of its exact amount sent at `sent` pays: one not credited yet, open
    when it was sent, give or take the clocks' slack (a request cancelled and paid anyway still
    counts). One open when it was sent without the slack comes first, a cancelled one counting as
    open until it was cancelled (its amount may have gone to another request since); then the
    oldest."""
    at = as_stored(sent)
    earliest, latest = as_stored(sent - CLOCK_SLACK), as_stored(sent + CLOCK_SLACK)

    def open_then(request: DepositRequest) -> bool:
        end = request.expires_at
        if request.status == RequestStatus.CANCELLED and request.closed_at is not None:
            end = min(end, request.closed_at)
        return request.created_at <= at <= end

    candidates = [
        request
        for request in requests
        if request.status != RequestStatus.CREDITED
        and request.created_at <= latest
        and request.expires_at >= earliest
    ]
    candidates.sort(key=lambda request: (not open_then(request), request.created_at))
    return candidates[0] if candidates else None


def askers_before(requests: Iterable[DepositRequest], sent: datetime) -> int:
    """How many customers asked, within AMOUNT_RESERVED, for the amount a transfer sent at `sent`
    carries, before it was sent (give or take the clocks' slack). More than one happens only when
    an amount was given out again (cancelled, or expired while every other amount was taken): the
    transfer may then be the first one's, sent late, as well as the second one's, and only the
    operators can tell, so it is credited to nobody by itself."""
    latest = as_stored(sent + CLOCK_SLACK)
    return len({request.user_id for request in requests if request.created_at <= latest})


def request_owning(requests: Iterable[DepositRequest], sent: datetime) -> DepositRequest | None:
    """The request a transfer that pays none belongs to: the latest one, made before it was sent
    (give or take the clocks' slack), that asked for exactly its amount within AMOUNT_RESERVED,
    whatever became of it (expired, cancelled, or paid already: the same transfer sent twice).
    `requests` come oldest first."""
    latest = as_stored(sent + CLOCK_SLACK)
    made_before = [request for request in requests if request.created_at <= latest]
    return made_before[-1] if made_before else None


class BalanceShort(DepositRefused):
    """The customer's available balance no longer covers what the payment credited."""

    def __init__(self, user_id: int, available: int, required: int) -> None:
        super().__init__(f"customer {user_id} has {available} available, {required} required")
        self.user_id = user_id
        self.available = available
        self.required = required


class StarsCheck(StrEnum):
    """The answer to a pre-checkout query, before Telegram takes the customer's Stars."""

    OK = "ok"
    UNKNOWN = "unknown"  # no such request, not a Stars one, or not this customer's
    CLOSED = "closed"  # cancelled, or paid already
    EXPIRED = "expired"
    MISMATCH = "mismatch"  # another amount, or another currency, than the request asked for


class RefundAnswer(StrEnum):
    """What Telegram said to `refundStarPayment`."""

    DONE = "done"  # refunded now
    ALREADY_REFUNDED = "already_refunded"  # CHARGE_ALREADY_REFUNDED: a refund happened before
    REFUSED = "refused"  # a definite refusal: nothing was refunded
    UNKNOWN = "unknown"  # no definite answer: the refund may or may not have happened


@dataclass(frozen=True)
class RefundReply:
    answer: RefundAnswer
    detail: str = ""  # Telegram's words, or what went wrong on the way


class RefundOutcome(StrEnum):
    REFUNDED = "refunded"  # Telegram refunded the Stars; the wallet was debited
    PENDING = "pending"  # the wallet is debited; Telegram's answer is still awaited
    REFUSED = "refused"  # Telegram refused; the money went back to the wallet
    # Telegram refused, but an earlier call got no answer and may have refunded: the money stays
    # out of the wallet until an operator checks the bot's Stars transactions.
    UNCLEAR = "unclear"


@dataclass(frozen=True)
class StarsRefund:
    payment: Payment
    outcome: RefundOutcome
    detail: str = ""


RefundCharge = Callable[[int, str], Awaitable[RefundReply]]


def stars_credit(stars: int, rate: Decimal) -> int:
    """Micro-units of the shop's currency that `stars` credit at `rate`, rounded down."""
    return int((Decimal(stars) * rate * MICRO).to_integral_value(rounding=ROUND_FLOOR))


_CLAIM_STATES = (PaymentStatus.CLAIMED, PaymentStatus.REJECTED)
_WAITING = (PaymentStatus.UNMATCHED, PaymentStatus.CLAIMED)  # for an operator's decision


@dataclass(frozen=True)
class Taken:
    """What came of a payment: credited now, already known, or waiting for an operator (as an
    unmatched transfer, or as a claim the chain now confirms: `payment.status`)."""

    payment: Payment
    request: DepositRequest | None
    credited_now: bool
    seen_before: bool


def _now() -> datetime:
    return datetime.now(UTC)


class Deposits:
    def __init__(
        self,
        db: Database,
        ledger: Ledger,
        admin_log: AdminLog,
        outbox: News,
        *,
        request_ttl: timedelta = timedelta(minutes=30),
        clock: Callable[[], datetime] = _now,
        stars_rate: Decimal = DEFAULT_STARS_RATE,
        currency: str = STORE_CURRENCY,
    ) -> None:
        self._db = db
        self._ledger = ledger
        self._admin_log = admin_log
        self._outbox = outbox
        self.store = DepositStore(db)
        self.request_ttl = request_ttl
        self._clock = clock
        self.stars_rate = stars_rate
        self.currency = currency  # of the balances: what the operators' alerts count in
        # Asks Telegram to refund a Stars charge (user id, charge id); attached once the bot is.
        self.refund_charge: RefundCharge | None = None
        self._asking: set[int] = set()  # payments whose refund is being asked of Telegram now

    async def open_usdt(
        self, user_id: int, amount: int, *, return_to: str | None = None
    ) -> DepositRequest:
        """A request to pay `amount` micro-USDT, plus the few micro-units that make it unique."""
        now = self._clock()
        async with self._db.write() as tx:
            await self._limit_requests(tx, user_id, now)
            in_use = await self.store.usdt_amounts_in_use(
                tx, amount + 1, amount + MAX_EXTRA, as_stored(now - AMOUNT_RESERVED)
            )
            extra = least_held_extra(amount, in_use, now)
            if extra is None:
                raise AmountsTaken("too many open requests for this amount")
            request = self._new_request(
                user_id, Method.USDT, amount, amount + extra, return_to, now
            )
            await self.store.insert_request(tx, request)
        return request

    async def _limit_requests(self, tx: Transaction, user_id: int, now: datetime) -> None:
        """A customer holds at most MAX_LIVE_REQUESTS requests that can still be paid, of every
        method together."""
        if await self.store.open_requests_of(tx, user_id, as_stored(now)) >= MAX_LIVE_REQUESTS:
            raise TooManyRequests(f"{MAX_LIVE_REQUESTS} requests can still be paid")

    def _new_request(
        self,
        user_id: int,
        method: Method,
        amount: int,
        pay_amount: int,
        return_to: str | None,
        now: datetime,
    ) -> DepositRequest:
        return DepositRequest(
            id=f"D{secrets.token_hex(5).upper()}",
            user_id=user_id,
            method=method,
            amount=amount,
            pay_amount=pay_amount,
            status=RequestStatus.OPEN,
            return_to=return_to,
            created_at=as_stored(now),
            expires_at=as_stored(now + self.request_ttl),
        )

    async def cancel(self, request_id: str, user_id: int) -> bool:
        """The customer gives up a request of theirs; False if it was not open."""
        async with self._db.write() as tx:
            request = await self.store.request(request_id, tx)
            if request is None or request.user_id != user_id:
                return False
            if request.status != RequestStatus.OPEN:
                return False
            return await self.store.close_request(
                tx, request_id, RequestStatus.CANCELLED, as_stored(self._clock())
            )

    async def expire_overdue(self) -> int:
        return await self.store.expire_overdue(as_stored(self._clock()))

    async def take_usdt(self, txid: str, amount: int, sender: str, sent_ms: int) -> Taken:
        """A confirmed USDT transfer to the shop's address: credited to the request it pays, or
        kept for an operator, against the request it matches if any (`request_owning`).

        A customer may have claimed it by its hash before the watch saw it. The chain then has
        the last word: what it says is recorded on the claim, and the transfer still credits the
        request it pays, or goes to the operators as the matched request's customer's (whoever
        claimed it); otherwise the claim waits for an operator with the chain's amount, and a
        claim rejected meanwhile goes back to the operators as unmatched."""
        reference = f"usdt:{txid}"
        now = as_stored(self._clock())
        sent = datetime.fromtimestamp(sent_ms / 1000, UTC)
        async with self._db.write() as tx:
            known = await self.store.payment_by_reference(reference, tx)
            claimed = known is not None and known.status in _CLAIM_STATES and not known.sender
            if known is not None and not claimed:
                return Taken(known, None, credited_now=False, seen_before=True)
            asking = await self.store.usdt_requests_asking(
                tx, amount, as_stored(sent - AMOUNT_RESERVED)
            )
            contested = askers_before(asking, sent) > 1
            request = None if contested else request_paid_by(asking, sent)
            owner = None if contested or request is not None else request_owning(asking, sent)
            owner_id = None if owner is None else owner.id
            if known is None:
                payment_id = await self.store.insert_payment(
                    tx, reference=reference, method=Method.USDT, paid=amount,
                    status=PaymentStatus.UNMATCHED, paid_at=as_stored(sent), now=now,
                    sender=sender, request_id=owner_id,
                )  # fmt: skip
            else:
                payment_id = known.id
                status, claimant = PaymentStatus.CLAIMED, known.user_id
                if owner is not None or contested or known.status == PaymentStatus.REJECTED:
                    status, claimant = PaymentStatus.UNMATCHED, None
                await self.store.record_chain(
                    tx, payment_id, amount, sender, as_stored(sent), status, user_id=claimant,
                    request_id=owner_id,
                )  # fmt: skip
            told: list[int] = []
            if request is not None:
                told = await self._credit(
                    tx, payment_id, request.user_id, amount, reference=reference,
                    request_id=request.id, memo="USDT-TRC20 transfer", now=now,
                )  # fmt: skip
            payment = await self.store.payment(payment_id, tx)
        assert payment is not None
        await self._outbox.send_now(told)
        return Taken(payment, request, credited_now=request is not None, seen_before=False)

    async def claim(self, user_id: int, txid: str, amount: int) -> Payment:
        """A customer says they sent `amount` micro-USDT in transfer `txid`: kept for an operator.

        The claim is kept beside the transfer and never changes whose it is: one the watch
        matched to a request stays that request's customer's, and one claimed already stays its
        first claimant's, the others shown beside it. A transfer the watch saw but matched to no
        request becomes the claimant's claim (its amount is the one on chain). A transfer
        credited or decided already is refused, to anyone, and so is a customer's second claim of
        one transfer."""
        reference = f"usdt:{txid}"
        now = as_stored(self._clock())
        async with self._db.write() as tx:
            known = await self.store.payment_by_reference(reference, tx)
            if known is not None and known.status not in _WAITING:
                raise ClaimRefused(known.status)
            if known is not None and any(
                claim.user_id == user_id and not claim.settled_at
                for claim in await self.store.claims_of(known.id, tx)
            ):
                raise ClaimRefused(PaymentStatus.CLAIMED)
            if await self.store.open_claims_of(user_id, tx) >= MAX_OPEN_CLAIMS:
                raise TooManyClaims(f"{MAX_OPEN_CLAIMS} claims wait for the operators")
            if known is None:
                payment_id = await self.store.insert_payment(
                    tx, reference=reference, method=Method.MANUAL, paid=amount,
                    status=PaymentStatus.CLAIMED, paid_at=now, now=now, user_id=user_id,
                    note=f"claimed {amount}",
                )  # fmt: skip
            else:
                payment_id = known.id
                if known.status == PaymentStatus.UNMATCHED and known.request_id is None:
                    await self.store.settle_payment(
                        tx, known.id, PaymentStatus.CLAIMED, now, user_id=user_id,
                        note=f"claimed {amount}",
                    )  # fmt: skip
            await self.store.insert_claim(tx, payment_id, user_id, amount, now)
            payment = await self.store.payment(payment_id, tx)
        assert payment is not None
        return payment

    # -- Telegram Stars ---------------------------------------------------------------------

    async def open_stars(
        self, user_id: int, stars: int, *, return_to: str | None = None
    ) -> DepositRequest:
        """A request to pay `stars` Stars, crediting them at today's rate once paid."""
        if not 1 <= stars <= MAX_STARS:
            raise DepositRefused(f"from 1 to {MAX_STARS} Stars")
        credit = stars_credit(stars, self.stars_rate)
        if credit <= 0:
            raise DepositRefused(f"{stars} Stars are worth nothing at {self.stars_rate}")
        now = self._clock()
        async with self._db.write() as tx:
            await self._limit_requests(tx, user_id, now)
            request = self._new_request(user_id, Method.STARS, credit, stars, return_to, now)
            await self.store.insert_request(tx, request)
        return request

    async def check_stars(
        self, request_id: str, user_id: int, total: int, currency: str
    ) -> StarsCheck:
        """Whether Telegram may take the Stars of a pre-checkout query: only for an open,
        unexpired Stars request of that customer, for exactly its amount in XTR. Read-only, and
        quick: Telegram waits 10 seconds for the answer."""
        request = await self.store.request(request_id)
        if request is None or request.method != Method.STARS or request.user_id != user_id:
            return StarsCheck.UNKNOWN
        if request.status != RequestStatus.OPEN:
            return StarsCheck.CLOSED
        if request.expires_at <= as_stored(self._clock()):
            return StarsCheck.EXPIRED
        if currency != STARS or total != request.pay_amount:
            return StarsCheck.MISMATCH
        return StarsCheck.OK

    async def take_stars(
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
        reference = f"stars:{charge_id}"
        now = as_stored(self._clock())
        paid = now if paid_at is None else as_stored(paid_at)
        async with self._db.write() as tx:
            known = await self.store.payment_by_reference(reference, tx)
            if known is not None:
                return Taken(known, None, credited_now=False, seen_before=True)
            request = await self.store.request(payload, tx)
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
            payment_id = await self.store.insert_payment(
                tx, reference=reference, method=Method.STARS, paid=stars,
                status=PaymentStatus.UNMATCHED, paid_at=paid, now=now, user_id=user_id,
            )  # fmt: skip
            told = await self._credit(
                tx, payment_id, user_id, amount, reference=reference,
                request_id=None if request is None else request.id,
                memo=f"Telegram Stars payment #{payment_id}", now=now,
            )  # fmt: skip
            payment = await self.store.payment(payment_id, tx)
            assert payment is not None
            alert = booked_alert(payment, request, payload, self.currency, from_record=from_record)
            if alert is not None:
                told += await self._alert_operators(tx, alert, key=f"{reference}:booked")
        await self._outbox.send_now(told)
        return Taken(payment, request, credited_now=True, seen_before=False)

    async def refund_seen_outside(self, payment_id: int) -> Payment | None:
        """The bot's Stars transactions list a refund of this payment, which the shop has
        `credited`: Telegram gave the Stars back without the shop, and the credit is still in the
        wallet. The operators' alert is recorded now, before the record's cursor passes the
        refund, once per charge however often it is read; the payment, or None if it is not
        `credited` (nothing to tell)."""
        async with self._db.write() as tx:
            payment = await self.store.payment(payment_id, tx)
            if payment is None or payment.status != PaymentStatus.CREDITED:
                return None
            told = await self._alert_operators(
                tx, refunded_elsewhere_alert(payment, self.currency),
                key=f"{payment.reference}:refunded-elsewhere",
            )  # fmt: skip
        await self._outbox.send_now(told)
        return payment

    async def _alert_operators(self, tx: Transaction, text: str, *, key: str) -> list[int]:
        """Plain `text` for the operators, recorded in `tx` once per `key`; logged too."""
        log.warning("operator alert: %s", text)
        return await self._outbox.to_operators(tx, Topic.ALERT, alert_text(text), key=key)

    async def refund_stars(self, payment_id: int, admin_id: int, reason: str) -> StarsRefund:
        """An operator gives a Stars payment back: the Stars to the payer, through Telegram, and
        what they credited out of the wallet. Refused unless the customer's available balance
        still covers it.

        Money never moves twice and is never lost, whatever happens between our database and
        Telegram, because the steps go in this order:

        1. In one transaction, the wallet is debited (`deposit-refund:<payment>:<attempt>`, paid
           back to `shop:deposits`) and the payment marked `refunding`, with the admin log. Once
           this commits the money can no longer be spent, and the payment is known to be on its
           way out.
        2. Telegram is asked to refund the charge (`refundStarPayment`).
        3. In a second transaction, the answer settles it: refunded now, or
           `CHARGE_ALREADY_REFUNDED` (proof that an earlier call got through), marks it
           `refunded`; a definite refusal credits the money back
           (`deposit-refund:<payment>:<attempt>:cancelled`) and it is `credited` again; no
           definite answer (a timeout, a dropped connection, a gateway's error page) leaves it
           `refunding`.

        A crash after step 1, or an answer that never came, leaves the payment `refunding`:
        `finish_refunds` (at start-up, then every STARS_REFUND_RETRY_SECONDS) and the same
        command again ask Telegram once more, and a charge can be refunded only once, so that
        answer settles it; so does the refund showing in the bot's Stars transactions
        (`refund_seen`)."""
        self._asking.add(payment_id)  # before step 1 commits: `finish_refunds` leaves it alone
        try:
            before = await self._start_refund(payment_id, admin_id, reason)
            # Only the call that just took the money out can read a refusal as "nothing
            # happened": one asking about a refund already `refunding` follows a call whose
            # answer never came (or a crash), which may have refunded.
            first = before.status == PaymentStatus.CREDITED
            return await self._ask_telegram(before, first_ask=first)
        finally:
            self._asking.discard(payment_id)

    async def _start_refund(self, payment_id: int, admin_id: int, reason: str) -> Payment:
        """Step 1 of `refund_stars`: the money out of the wallet and the payment `refunding`, in
        one transaction (a payment already `refunding` is only asked about again)."""
        now = as_stored(self._clock())
        async with self._db.write() as tx:
            payment = await self.store.payment(payment_id, tx)
            if payment is None:
                raise DepositRefused(f"no payment {payment_id}")
            if payment.method != Method.STARS:
                raise DepositRefused(f"payment {payment_id} is not a Telegram Stars payment")
            if payment.status not in (PaymentStatus.CREDITED, PaymentStatus.REFUNDING):
                raise DepositRefused(f"payment {payment_id} is already {payment.status}")
            if self.refund_charge is None:
                raise DepositRefused("the bot is not connected to Telegram yet")
            user_id, amount = payment.user_id, payment.credited
            assert user_id is not None and amount is not None
            if payment.status == PaymentStatus.CREDITED:
                attempt = await self.store.refund_attempts(tx, payment.id) + 1
                try:
                    await self._ledger.debit(
                        user_id, amount, key=f"deposit-refund:{payment.id}:{attempt}",
                        kind=Kind.DEPOSIT_REFUND, actor=f"admin:{admin_id}", tx=tx,
                        memo=f"Telegram Stars payment #{payment.id} refunded",
                    )  # fmt: skip
                except InsufficientFunds as short:
                    raise BalanceShort(user_id, short.available, short.required) from None
                await self.store.settle_payment(
                    tx, payment.id, PaymentStatus.REFUNDING, now, decided_by=admin_id, note=reason
                )
            await self._admin_log.record(
                admin_id, "refund stars payment", "payment", str(payment.id),
                before=payment.status.value, after=f"refunding: {reason}"[:200], tx=tx,
            )  # fmt: skip
        return payment

    async def finish_refunds(self) -> list[StarsRefund]:
        """Ask Telegram again about every refund whose answer never came (or that a crash cut
        short), and settle each by its answer."""
        if self.refund_charge is None:
            return []
        finished = []
        for payment in await self.store.waiting(PaymentStatus.REFUNDING, limit=50):
            if payment.id in self._asking:  # an operator's command is asking right now
                continue
            self._asking.add(payment.id)
            try:
                finished.append(await self._ask_telegram(payment, first_ask=False))
            finally:
                self._asking.discard(payment.id)
        return finished

    async def _ask_telegram(self, payment: Payment, *, first_ask: bool) -> StarsRefund:
        assert self.refund_charge is not None and payment.user_id is not None
        charge_id = payment.reference.removeprefix("stars:")
        try:
            reply = await self.refund_charge(payment.user_id, charge_id)
        except Exception as error:  # no definite answer: the payment stays `refunding`
            log.exception("refunding payment %s", payment.id)
            reply = RefundReply(RefundAnswer.UNKNOWN, str(error))
        if reply.answer == RefundAnswer.REFUSED and not first_ask:
            return StarsRefund(payment, RefundOutcome.UNCLEAR, reply.detail)
        refund, _ = await self._settle_refund(payment.id, reply)
        return refund

    async def refund_seen(self, payment_id: int) -> StarsRefund | None:
        """The bot's Stars transactions list a refund of this payment: proof Telegram gave the
        Stars back, as good as `CHARGE_ALREADY_REFUNDED`. A payment still `refunding` (an answer
        that never came, or one that could not be read) is settled as refunded; None if it was
        not `refunding`, or another call settled it first."""
        payment = await self.store.payment(payment_id)
        if payment is None or payment.status != PaymentStatus.REFUNDING:
            return None
        seen = RefundReply(RefundAnswer.ALREADY_REFUNDED, "the bot's Stars transactions list it")
        refund, settled_now = await self._settle_refund(payment.id, seen)
        return refund if settled_now else None

    async def _settle_refund(self, payment_id: int, reply: RefundReply) -> tuple[StarsRefund, bool]:
        """Settle a `refunding` payment by Telegram's answer, with the customer's news of a
        refund done (sent once it commits); True if this call settled it."""
        told: list[int] = []
        refund, settled_now = await self._settle_refund_in(payment_id, reply, told)
        await self._outbox.send_now(told)
        return refund, settled_now

    async def _settle_refund_in(
        self, payment_id: int, reply: RefundReply, told: list[int]
    ) -> tuple[StarsRefund, bool]:
        now = as_stored(self._clock())
        async with self._db.write() as tx:
            payment = await self.store.payment(payment_id, tx)
            assert payment is not None and payment.user_id is not None
            assert payment.credited is not None
            if payment.status != PaymentStatus.REFUNDING:  # settled meanwhile, by another call
                outcome = (
                    RefundOutcome.REFUNDED
                    if payment.status == PaymentStatus.REFUNDED
                    else RefundOutcome.REFUSED
                )
                return StarsRefund(payment, outcome, reply.detail), False
            admin = payment.decided_by or 0
            match reply.answer:
                case RefundAnswer.DONE | RefundAnswer.ALREADY_REFUNDED:
                    status, outcome = PaymentStatus.REFUNDED, RefundOutcome.REFUNDED
                    told += await self._outbox.to_customer(
                        tx, payment.user_id, Topic.STARS_REFUND, str(payment.id),
                        key=f"payment:{payment.id}:refunded",
                    )  # fmt: skip
                case RefundAnswer.REFUSED:
                    attempt = await self.store.refund_attempts(tx, payment.id)
                    await self._ledger.credit(
                        payment.user_id, payment.credited,
                        key=f"deposit-refund:{payment.id}:{attempt}:cancelled",
                        kind=Kind.DEPOSIT_REFUND_CANCELLED,
                        memo=f"Telegram refused to refund Stars payment #{payment.id}", tx=tx,
                    )  # fmt: skip
                    status, outcome = PaymentStatus.CREDITED, RefundOutcome.REFUSED
                case RefundAnswer.UNKNOWN:
                    return StarsRefund(payment, RefundOutcome.PENDING, reply.detail), False
            await self.store.settle_payment(tx, payment.id, status, now, note=payment.note)
            after = f"{status.value}: Telegram answered {reply.answer.value} {reply.detail}"
            await self._admin_log.record(
                admin, "refund stars payment", "payment", str(payment.id),
                before="refunding", after=after.strip()[:200], tx=tx,
            )  # fmt: skip
            settled = await self.store.payment(payment.id, tx)
        assert settled is not None
        return StarsRefund(settled, outcome, reply.detail), True

    async def assign(self, payment_id: int, user_id: int, admin_id: int) -> Payment:
        """An operator says whose a transfer the watch saw is: credited to them, once. The one
        press on its card names the customer whose request it matched; anyone else, or another
        claimant than the first, is the operator's explicit decision, and the admin log says whom
        it overruled."""

        def chosen(payment: Payment) -> tuple[int, int]:
            if not payment.sender:
                raise DepositRefused("the shop's watch has not seen that transfer on chain yet")
            return user_id, payment.paid

        return await self._decide(
            payment_id, _WAITING, admin_id, "assign payment", credit=chosen,
            memo="USDT-TRC20 transfer, assigned by an operator",
        )  # fmt: skip

    async def ignore(self, payment_id: int, admin_id: int) -> Payment:
        return await self._decide(
            payment_id, (PaymentStatus.UNMATCHED,), admin_id, "ignore payment",
            outcome=PaymentStatus.IGNORED,
        )  # fmt: skip

    async def approve(self, payment_id: int, amount: int, admin_id: int) -> Payment:
        """An operator credits a claimed transfer to its (first) claimant, `amount` as they
        checked it."""
        if amount <= 0:
            raise DepositRefused("the amount must be more than zero")

        def claimant(payment: Payment) -> tuple[int, int]:
            """Only what the chain shows arrived: a hash the watch never saw proves nothing."""
            if not payment.sender:
                raise DepositRefused("the shop's watch has not seen that transfer on chain yet")
            if amount > payment.paid:
                shown = format_amount(payment.paid, places=6)
                raise DepositRefused(f"the chain shows only {shown} USDT for that transfer")
            assert payment.user_id is not None
            return payment.user_id, amount

        return await self._decide(
            payment_id, (PaymentStatus.CLAIMED,), admin_id, "approve payment", credit=claimant,
            memo="USDT-TRC20 transfer, approved by an operator",
        )  # fmt: skip

    async def reject(self, payment_id: int, admin_id: int) -> Payment:
        return await self._decide(
            payment_id, (PaymentStatus.CLAIMED,), admin_id, "reject payment",
            outcome=PaymentStatus.REJECTED,
        )  # fmt: skip

    async def _decide(
        self,
        payment_id: int,
        waiting: tuple[PaymentStatus, ...],
        admin_id: int,
        action: str,
        *,
        credit: Callable[[Payment], tuple[int, int]] | None = None,
        memo: str = "",
        outcome: PaymentStatus = PaymentStatus.CREDITED,
    ) -> Payment:
        """An operator's decision on a payment `waiting` for one, taken once, in one transaction
        with the money, its claims and the admin log: `credit` says to whom and how much, or the
        payment simply becomes `outcome`. Crediting the customer whose request it matched closes
        that request as paid."""
        now = as_stored(self._clock())
        async with self._db.write() as tx:
            payment = await self._waiting(tx, payment_id, waiting)
            matched = None
            if payment.request_id is not None:
                matched = await self.store.request(payment.request_id, tx)
            if credit is not None:
                user_id, amount = credit(payment)
                if await tx.fetch_value("SELECT 1 FROM users WHERE id = ?", (user_id,)) is None:
                    raise DepositRefused(f"no customer {user_id}")
                paid = matched.id if matched is not None and matched.user_id == user_id else None
                told = await self._credit(
                    tx, payment.id, user_id, amount, reference=payment.reference,
                    request_id=paid, memo=memo, now=now, actor=f"admin:{admin_id}",
                    decided_by=admin_id,
                )  # fmt: skip
                after = f"credited {amount} to {user_id}{_overruled(payment, matched, user_id)}"
            else:
                await self.store.settle_payment(tx, payment.id, outcome, now, decided_by=admin_id)
                unconfirmed = await self.store.settle_claims(tx, payment.id, now)
                told = await self._tell_unconfirmed(tx, payment.id, unconfirmed, credited=None)
                after = outcome.value
            await self._admin_log.record(
                admin_id, action, "payment", str(payment.id), before=payment.status.value,
                after=after, tx=tx,
            )  # fmt: skip
            settled = await self.store.payment(payment.id, tx)
        assert settled is not None
        await self._outbox.send_now(told)
        return settled

    async def _tell_unconfirmed(
        self, tx: Transaction, payment_id: int, claims: list[Claim], *, credited: int | None
    ) -> list[int]:
        """Each claimant of a payment decided without crediting them (rejected, ignored, or
        credited to `credited`) hears that their claim was not confirmed."""
        told: list[int] = []
        for claim in claims:
            if claim.user_id != credited:
                told += await self._outbox.to_customer(
                    tx, claim.user_id, Topic.CLAIM_UNCONFIRMED, str(payment_id),
                    key=f"payment:{payment_id}:unconfirmed:{claim.user_id}",
                )  # fmt: skip
        return told

    async def _waiting(
        self, tx: Transaction, payment_id: int, statuses: tuple[PaymentStatus, ...]
    ) -> Payment:
        payment = await self.store.payment(payment_id, tx)
        if payment is None:
            raise DepositRefused(f"no payment {payment_id}")
        if payment.status in _WAITING and payment.status not in statuses:
            # still waiting, but as the other kind: a claim the chain matched to a request, say
            raise DepositRefused(f"payment {payment_id} is {payment.status} now")
        if payment.status not in statuses:
            raise DepositRefused(f"payment {payment_id} is already {payment.status}")
        return payment

    async def _credit(
        self,
        tx: Transaction,
        payment_id: int,
        user_id: int,
        amount: int,
        *,
        reference: str,
        request_id: str | None,
        memo: str,
        now: str,
        actor: str = "system",
        decided_by: int | None = None,
    ) -> list[int]:
        """Book the payment's money to `user_id`, once, with the customer's news of it, and
        settle its claims; returns the outbox entries to send once `tx` commits."""
        await self._ledger.credit(
            user_id, amount, key=f"deposit:{reference}", kind=Kind.DEPOSIT, memo=memo,
            actor=actor, tx=tx,
        )  # fmt: skip
        await self.store.settle_payment(
            tx, payment_id, PaymentStatus.CREDITED, now, user_id=user_id, request_id=request_id,
            credited=amount, decided_by=decided_by,
        )  # fmt: skip
        if request_id is not None:
            await self.store.close_request(tx, request_id, RequestStatus.CREDITED, now)
        told = await self._outbox.to_customer(
            tx, user_id, Topic.DEPOSIT, str(payment_id), key=f"payment:{payment_id}:credited"
        )
        unconfirmed = await self.store.settle_claims(tx, payment_id, now)
        return told + await self._tell_unconfirmed(tx, payment_id, unconfirmed, credited=user_id)


def _overruled(payment: Payment, matched: DepositRequest | None, user_id: int) -> str:
    """For the admin log: whom crediting `user_id` decided against, if anyone."""
    if matched is not None and matched.user_id != user_id:
        return f", not to customer {matched.user_id} whose request {matched.id} it matched"
    if payment.status == PaymentStatus.CLAIMED and payment.user_id != user_id:
        return f", not to customer {payment.user_id} who claimed it"
    return ""
