"""USDT-TRC20 deposits: requests with amounts that tell whose a transfer is, the transfers the
watch finds, and the claims customers make of them by hash.

A USDT request asks for an amount made unique among the requests that could still be paid, with a
few extra micro-units (0.000001 to 0.000999 USDT), so a transfer tells whose it is by its amount
and its time: it pays the request that asked for exactly that much and was open when it was sent.
How firmly each request holds its amount (`Hold`) decides which amount the next request gets: a
cancelled request holds none, so nobody can use the amounts up by asking and cancelling; an expired
one keeps its own while another is free, so a transfer sent late still names its customer, but
gives it up when none is; only one that can still be paid, or was paid lately, never gives it up.

A transfer that pays no request but matches one that expired, was cancelled or was paid already
(its amount still that request's) belongs to that request's customer: it waits for an operator,
recorded against the request, and its card, recorded for the operators with the transfer, offers
to credit them. Anyone may claim a transfer by its hash (it is public on any block explorer); a
claim is kept beside the transfer for the operators to see, and never replaces whose it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from enum import IntEnum

from bot.services.deposits.books import (
    CLAIM_STATES,
    CLOCK_SLACK,
    WAITING,
    AmountsTaken,
    ClaimRefused,
    DepositBooks,
    Taken,
    TooManyClaims,
)
from storage.database import as_stored
from storage.deposits import (
    AmountInUse,
    DepositRequest,
    Method,
    Payment,
    PaymentStatus,
    RequestStatus,
)

MAX_EXTRA = 999  # micro-units added to make a USDT amount unique: at most 0.000999 USDT
MAX_OPEN_CLAIMS = 3  # per customer, waiting for the operators
# How long after its request closes an amount stays its own (see `Hold`): a transfer sent late, or
# sent twice, then reaches the operators instead of paying another customer's request of the same
# amount.
AMOUNT_RESERVED = timedelta(hours=24)


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


class UsdtDeposits:
    def __init__(self, books: DepositBooks) -> None:
        self._books = books

    async def open(
        self, user_id: int, amount: int, *, return_to: str | None = None
    ) -> DepositRequest:
        """A request to pay `amount` micro-USDT, plus the few micro-units that make it unique."""
        books = self._books
        now = books.clock()
        async with books.db.write() as tx:
            await tx.serialize("usdt request amounts")  # two requests never get one amount
            await books.limit_requests(tx, user_id, now)
            in_use = await books.store.usdt_amounts_in_use(
                tx, amount + 1, amount + MAX_EXTRA, as_stored(now - AMOUNT_RESERVED)
            )
            extra = least_held_extra(amount, in_use, now)
            if extra is None:
                raise AmountsTaken("too many open requests for this amount")
            request = books.new_request(
                user_id, Method.USDT, amount, amount + extra, return_to, now
            )
            await books.store.insert_request(tx, request)
        return request

    async def take(self, txid: str, amount: int, sender: str, sent_ms: int) -> Taken:
        """A confirmed USDT transfer to the shop's address: credited to the request it pays, or
        kept for an operator, against the request it matches if any (`request_owning`).

        A customer may have claimed it by its hash before the watch saw it. The chain then has
        the last word: what it says is recorded on the claim, and the transfer still credits the
        request it pays, or goes to the operators as the matched request's customer's (whoever
        claimed it); otherwise the claim waits for an operator with the chain's amount, and a
        claim rejected meanwhile goes back to the operators as unmatched."""
        books, store = self._books, self._books.store
        reference = f"usdt:{txid}"
        now = as_stored(books.clock())
        sent = datetime.fromtimestamp(sent_ms / 1000, UTC)
        async with books.db.write() as tx:
            await tx.serialize(reference)  # seen by two processes at once: taken once
            known = await store.payment_by_reference(reference, tx)
            claimed = known is not None and known.status in CLAIM_STATES and not known.sender
            if known is not None and not claimed:
                return Taken(known, None, credited_now=False, seen_before=True)
            asking = await store.usdt_requests_asking(tx, amount, as_stored(sent - AMOUNT_RESERVED))
            contested = askers_before(asking, sent) > 1
            request = None if contested else request_paid_by(asking, sent)
            owner = None if contested or request is not None else request_owning(asking, sent)
            owner_id = None if owner is None else owner.id
            if known is None:
                payment_id = await store.insert_payment(
                    tx,
                    reference=reference,
                    method=Method.USDT,
                    paid=amount,
                    status=PaymentStatus.UNMATCHED,
                    paid_at=as_stored(sent),
                    now=now,
                    sender=sender,
                    request_id=owner_id,
                )
            else:
                payment_id = known.id
                status, claimant = PaymentStatus.CLAIMED, known.user_id
                if owner is not None or contested or known.status == PaymentStatus.REJECTED:
                    status, claimant = PaymentStatus.UNMATCHED, None
                await store.record_chain(
                    tx,
                    payment_id,
                    amount,
                    sender,
                    as_stored(sent),
                    status,
                    user_id=claimant,
                    request_id=owner_id,
                )
            if request is not None:
                told = await books.credit(
                    tx,
                    payment_id,
                    request.user_id,
                    amount,
                    reference=reference,
                    request_id=request.id,
                    memo="USDT-TRC20 transfer",
                    now=now,
                )
            else:  # whose it is, the operators decide: their card goes with it
                told = await books.ask_operators(tx, payment_id)
            payment = await store.payment(payment_id, tx)
        assert payment is not None
        await books.outbox.send_now(told)
        return Taken(payment, request, credited_now=request is not None, seen_before=False)

    async def claim(self, user_id: int, txid: str, amount: int) -> Payment:
        """A customer says they sent `amount` micro-USDT in transfer `txid`: kept for an operator.

        The claim is kept beside the transfer and never changes whose it is: one the watch
        matched to a request stays that request's customer's, and one claimed already stays its
        first claimant's, the others shown beside it. A transfer the watch saw but matched to no
        request becomes the claimant's claim (its amount is the one on chain). A transfer
        credited or decided already is refused, to anyone, and so is a customer's second claim of
        one transfer. The operators' card of the claim is recorded with it, and sent once it
        commits."""
        books, store = self._books, self._books.store
        reference = f"usdt:{txid}"
        now = as_stored(books.clock())
        async with books.db.write() as tx:
            await tx.serialize(reference)  # a claim and the watch seeing the transfer: one by one
            known = await store.payment_by_reference(reference, tx)
            if known is not None and known.status not in WAITING:
                raise ClaimRefused(known.status)
            if known is not None and any(
                claim.user_id == user_id and not claim.settled_at
                for claim in await store.claims_of(known.id, tx)
            ):
                raise ClaimRefused(PaymentStatus.CLAIMED)
            if await store.open_claims_of(user_id, tx) >= MAX_OPEN_CLAIMS:
                raise TooManyClaims(f"{MAX_OPEN_CLAIMS} claims wait for the operators")
            if known is None:
                payment_id = await store.insert_payment(
                    tx,
                    reference=reference,
                    method=Method.MANUAL,
                    paid=amount,
                    status=PaymentStatus.CLAIMED,
                    paid_at=now,
                    now=now,
                    user_id=user_id,
                    note=f"claimed {amount}",
                )
            else:
                payment_id = known.id
                if known.status == PaymentStatus.UNMATCHED and known.request_id is None:
                    await store.settle_payment(
                        tx,
                        known.id,
                        PaymentStatus.CLAIMED,
                        now,
                        user_id=user_id,
                        note=f"claimed {amount}",
                    )
            claim_id = await store.insert_claim(tx, payment_id, user_id, amount, now)
            told = await books.show_claim(tx, payment_id, claim_id)
            payment = await store.payment(payment_id, tx)
        assert payment is not None
        await books.outbox.send_now(told)
        return payment
