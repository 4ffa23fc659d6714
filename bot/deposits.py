"""Money in: deposit requests, and crediting each payment exactly once.

Every payment is recorded under a reference (`usdt:<txid>`, `stars:<charge id>`) that is unique in
the payments table and is, as `deposit:<reference>`, the idempotency key of its ledger credit, in
the same transaction. Seeing a payment again, after a restart or from two paths at once, finds the
reference taken and credits nothing.

A USDT request asks for an amount made unique among the requests that could still be paid, with a
few extra micro-units (0.000001 to 0.000999 USDT), so a transfer tells whose it is by its amount
and its time: it pays the request that asked for exactly that much and was open when it was sent.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from storage.admin_log import AdminLog
from storage.database import Database, Transaction, as_stored
from storage.deposits import (
    DepositRequest,
    DepositStore,
    Method,
    Payment,
    PaymentStatus,
    RequestStatus,
)
from storage.ledger import Kind, Ledger

log = logging.getLogger(__name__)

MAX_EXTRA = 999  # micro-units added to make a USDT amount unique: at most 0.000999 USDT
MAX_LIVE_REQUESTS = 5  # per customer: each holds a unique amount until it expires
# How far the chain's clock and ours may disagree: a transfer this much before a request was made
# or after it expired still pays it, and an amount is reused only this much after the window.
CLOCK_SLACK = timedelta(minutes=2)


class DepositRefused(Exception):
    """Said to the operator as it is."""


class ClaimRefused(DepositRefused):
    """The claimed transfer is known already: credited, claimed, ignored or rejected."""

    def __init__(self, status: PaymentStatus) -> None:
        super().__init__(f"that transfer is already {status}")
        self.status = status


class TooManyRequests(DepositRefused):
    """The customer has MAX_LIVE_REQUESTS requests that can still be paid."""


class AmountsTaken(DepositRefused):
    """Every unique variant of this amount is held by a request that can still be paid."""


@dataclass(frozen=True)
class Taken:
    """What came of a payment: credited now, already known, or waiting for an operator."""

    payment: Payment
    request: DepositRequest | None
    credited_now: bool
    seen_before: bool


def _now() -> datetime:
    return datetime.now(UTC)


def moment_of_ms(milliseconds: int) -> str:
    return as_stored(datetime.fromtimestamp(milliseconds / 1000, UTC))


class Deposits:
    def __init__(
        self,
        db: Database,
        ledger: Ledger,
        admin_log: AdminLog,
        *,
        request_ttl: timedelta = timedelta(minutes=30),
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._db = db
        self._ledger = ledger
        self._admin_log = admin_log
        self.store = DepositStore(db)
        self.request_ttl = request_ttl
        self._clock = clock
        # Tells the customer, once a payment is credited (after the money is booked).
        self.on_credited: Callable[[Payment], Awaitable[None]] | None = None

    async def open_usdt(
        self, user_id: int, amount: int, *, return_to: str | None = None
    ) -> DepositRequest:
        """A request to pay `amount` micro-USDT, plus the few micro-units that make it unique."""
        now = self._clock()
        async with self._db.write() as tx:
            if await self.store.live_requests_of(tx, user_id, as_stored(now)) >= MAX_LIVE_REQUESTS:
                raise TooManyRequests(f"{MAX_LIVE_REQUESTS} requests can still be paid")
            in_use = await self.store.pay_amounts_in_use(
                tx, Method.USDT, amount, as_stored(now - 2 * CLOCK_SLACK)
            )
            extra = next((n for n in range(1, MAX_EXTRA + 1) if amount + n not in in_use), None)
            if extra is None:
                raise AmountsTaken("too many open requests for this amount")
            request = DepositRequest(
                id=f"D{secrets.token_hex(5).upper()}",
                user_id=user_id,
                method=Method.USDT,
                amount=amount,
                pay_amount=amount + extra,
                status=RequestStatus.OPEN,
                return_to=return_to,
                created_at=as_stored(now),
                expires_at=as_stored(now + self.request_ttl),
            )
            await self.store.insert_request(tx, request)
        return request

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
        kept for an operator."""
        reference = f"usdt:{txid}"
        now = as_stored(self._clock())
        async with self._db.write() as tx:
            known = await self.store.payment_by_reference(reference, tx)
            if known is not None:
                return Taken(known, None, credited_now=False, seen_before=True)
            paid_at = moment_of_ms(sent_ms)
            slack = int(CLOCK_SLACK.total_seconds() * 1000)
            payment_id = await self.store.insert_payment(
                tx, reference=reference, method=Method.USDT, paid=amount,
                status=PaymentStatus.UNMATCHED, paid_at=paid_at, now=now, sender=sender,
            )  # fmt: skip
            request = await self.store.usdt_request_paid_by(
                tx, amount, moment_of_ms(sent_ms - slack), moment_of_ms(sent_ms + slack)
            )
            if request is not None:
                await self._credit(
                    tx, payment_id, request.user_id, amount, reference=reference,
                    request_id=request.id, memo="USDT-TRC20 transfer", now=now,
                )  # fmt: skip
            payment = await self.store.payment(payment_id, tx)
        assert payment is not None
        if request is not None:
            await self._announce(payment)
        return Taken(payment, request, credited_now=request is not None, seen_before=False)

    async def claim(self, user_id: int, txid: str, amount: int) -> Payment:
        """A customer says they sent `amount` micro-USDT in transfer `txid`: kept for an operator
        to approve or reject. A transfer the watch found but could not place becomes the claim
        (its amount is the one on chain); one credited, claimed or decided already is refused."""
        reference = f"usdt:{txid}"
        now = as_stored(self._clock())
        async with self._db.write() as tx:
            known = await self.store.payment_by_reference(reference, tx)
            if known is None:
                payment_id = await self.store.insert_payment(
                    tx, reference=reference, method=Method.MANUAL, paid=amount,
                    status=PaymentStatus.CLAIMED, paid_at=now, now=now, user_id=user_id,
                )  # fmt: skip
            elif known.status == PaymentStatus.UNMATCHED:
                payment_id = known.id
                await self.store.settle_payment(
                    tx, known.id, PaymentStatus.CLAIMED, now, user_id=user_id,
                    note=f"claimed {amount}",
                )  # fmt: skip
            else:
                raise ClaimRefused(known.status)
            payment = await self.store.payment(payment_id, tx)
        assert payment is not None
        return payment

    async def assign(self, payment_id: int, user_id: int, admin_id: int) -> Payment:
        """An operator says whose an unmatched transfer is: credited to them, once."""
        return await self._decide(
            payment_id, PaymentStatus.UNMATCHED, admin_id, "assign payment",
            credit=lambda payment: (user_id, payment.paid),
            memo="USDT-TRC20 transfer, assigned by an operator",
        )  # fmt: skip

    async def ignore(self, payment_id: int, admin_id: int) -> Payment:
        return await self._decide(
            payment_id, PaymentStatus.UNMATCHED, admin_id, "ignore payment",
            outcome=PaymentStatus.IGNORED,
        )  # fmt: skip

    async def approve(self, payment_id: int, amount: int, admin_id: int) -> Payment:
        """An operator credits a claimed transfer to its claimant, `amount` as they checked it."""
        if amount <= 0:
            raise DepositRefused("the amount must be more than zero")

        def claimant(payment: Payment) -> tuple[int, int]:
            assert payment.user_id is not None
            return payment.user_id, amount

        return await self._decide(
            payment_id, PaymentStatus.CLAIMED, admin_id, "approve payment", credit=claimant,
            memo="USDT-TRC20 transfer, approved by an operator",
        )  # fmt: skip

    async def reject(self, payment_id: int, admin_id: int) -> Payment:
        return await self._decide(
            payment_id, PaymentStatus.CLAIMED, admin_id, "reject payment",
            outcome=PaymentStatus.REJECTED,
        )  # fmt: skip

    async def _decide(
        self,
        payment_id: int,
        waiting: PaymentStatus,
        admin_id: int,
        action: str,
        *,
        credit: Callable[[Payment], tuple[int, int]] | None = None,
        memo: str = "",
        outcome: PaymentStatus = PaymentStatus.CREDITED,
    ) -> Payment:
        """An operator's decision on a payment `waiting` for one, taken once, in one transaction
        with the money and the admin log: `credit` says to whom and how much, or the payment
        simply becomes `outcome`."""
        now = as_stored(self._clock())
        async with self._db.write() as tx:
            payment = await self._waiting(tx, payment_id, waiting)
            if credit is not None:
                user_id, amount = credit(payment)
                if await tx.fetch_value("SELECT 1 FROM users WHERE id = ?", (user_id,)) is None:
                    raise DepositRefused(f"no customer {user_id}")
                await self._credit(
                    tx, payment.id, user_id, amount, reference=payment.reference,
                    request_id=None, memo=memo, now=now, actor=f"admin:{admin_id}",
                    decided_by=admin_id,
                )  # fmt: skip
                after = f"credited {amount} to {user_id}"
            else:
                await self.store.settle_payment(tx, payment.id, outcome, now, decided_by=admin_id)
                after = outcome.value
            await self._admin_log.record(
                admin_id, action, "payment", str(payment.id), before=waiting.value, after=after,
                tx=tx,
            )  # fmt: skip
            settled = await self.store.payment(payment.id, tx)
        assert settled is not None
        if settled.status == PaymentStatus.CREDITED:
            await self._announce(settled)
        return settled

    async def _announce(self, payment: Payment) -> None:
        if self.on_credited is None:
            return
        try:
            await self.on_credited(payment)
        except Exception:  # the money is booked; the message is only news
            log.exception("telling about payment %s failed", payment.id)

    async def _waiting(self, tx: Transaction, payment_id: int, status: PaymentStatus) -> Payment:
        payment = await self.store.payment(payment_id, tx)
        if payment is None:
            raise DepositRefused(f"no payment {payment_id}")
        if payment.status != status:
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
    ) -> None:
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
