"""Giving a Telegram Stars payment back: the Stars to the payer through Telegram, and what they
credited out of the wallet, in step whatever happens between the database and Telegram (see
`StarsRefunds.refund`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from bot.services.deposits.books import BalanceShort, DepositBooks, DepositRefused
from bot.services.telegram_stars import RefundAnswer, RefundReply, TelegramStars
from storage.database import as_stored
from storage.deposits import Method, Payment, PaymentStatus
from storage.ledger import InsufficientFunds, Kind

log = logging.getLogger(__name__)


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


class StarsRefunds:
    def __init__(self, books: DepositBooks, telegram: TelegramStars) -> None:
        self._books = books
        self._telegram = telegram
        self._asking: set[int] = set()  # payments whose refund is being asked of Telegram now
        self._told_unclear: set[int] = set()  # the operators heard these are unclear

    async def refund(self, payment_id: int, admin_id: int, reason: str) -> StarsRefund:
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
        `finish` (at start-up, then every STARS_REFUND_RETRY_SECONDS) and the same
        command again ask Telegram once more, and a charge can be refunded only once, so that
        answer settles it; so does the refund showing in the bot's Stars transactions
        (`refund_seen`)."""
        self._asking.add(payment_id)  # before step 1 commits: `finish` leaves it alone
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
        """Step 1 of `refund`: the money out of the wallet and the payment `refunding`, in
        one transaction (a payment already `refunding` is only asked about again)."""
        books, store = self._books, self._books.store
        now = as_stored(books.clock())
        async with books.db.write() as tx:
            payment = await store.payment(payment_id, tx)
            if payment is None:
                raise DepositRefused(f"no payment {payment_id}")
            if payment.method != Method.STARS:
                raise DepositRefused(f"payment {payment_id} is not a Telegram Stars payment")
            if payment.status not in (PaymentStatus.CREDITED, PaymentStatus.REFUNDING):
                raise DepositRefused(f"payment {payment_id} is already {payment.status}")
            if not self._telegram.connected:  # nothing taken that Telegram cannot be asked for
                raise DepositRefused("the bot is not connected to Telegram yet")
            user_id, amount = payment.user_id, payment.credited
            assert user_id is not None and amount is not None
            if payment.status == PaymentStatus.CREDITED:
                attempt = await store.refund_attempts(tx, payment.id) + 1
                try:
                    await books.ledger.debit(
                        user_id,
                        amount,
                        key=f"deposit-refund:{payment.id}:{attempt}",
                        kind=Kind.DEPOSIT_REFUND,
                        actor=f"admin:{admin_id}",
                        tx=tx,
                        memo=f"Telegram Stars payment #{payment.id} refunded",
                    )
                except InsufficientFunds as short:
                    raise BalanceShort(user_id, short.available, short.required) from None
                await store.settle_payment(
                    tx, payment.id, PaymentStatus.REFUNDING, now, decided_by=admin_id, note=reason
                )
            await books.admin_log.record(
                admin_id,
                "refund stars payment",
                "payment",
                str(payment.id),
                before=payment.status.value,
                after=f"refunding: {reason}"[:200],
                tx=tx,
            )
        return payment

    async def finish(self) -> list[StarsRefund]:
        """Ask Telegram again about every refund whose answer never came (or that a crash cut
        short), and settle each by its answer."""
        finished = []
        for payment in await self._books.store.waiting(PaymentStatus.REFUNDING, limit=50):
            if payment.id in self._asking:  # an operator's command is asking right now
                continue
            self._asking.add(payment.id)
            try:
                finished.append(await self._ask_telegram(payment, first_ask=False))
            finally:
                self._asking.discard(payment.id)
        return finished

    def first_unclear(self, refund: StarsRefund) -> bool:
        """Whether the operators are yet to hear that this refund is unclear: the job asks about
        it every minute, and they hear it once while the shop runs."""
        if refund.outcome != RefundOutcome.UNCLEAR or refund.payment.id in self._told_unclear:
            return False
        self._told_unclear.add(refund.payment.id)
        return True

    async def _ask_telegram(self, payment: Payment, *, first_ask: bool) -> StarsRefund:
        assert payment.user_id is not None
        charge_id = payment.reference.removeprefix("stars:")
        try:
            reply = await self._telegram.refund_charge(payment.user_id, charge_id)
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
        payment = await self._books.store.payment(payment_id)
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
        await self._books.outbox.send_now(told)
        return refund, settled_now

    async def _settle_refund_in(
        self, payment_id: int, reply: RefundReply, told: list[int]
    ) -> tuple[StarsRefund, bool]:
        books, store = self._books, self._books.store
        now = as_stored(books.clock())
        async with books.db.write() as tx:
            payment = await store.payment(payment_id, tx)
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
                    told += await books.tell_refunded(tx, payment)
                case RefundAnswer.REFUSED:
                    attempt = await store.refund_attempts(tx, payment.id)
                    await books.ledger.credit(
                        payment.user_id,
                        payment.credited,
                        key=f"deposit-refund:{payment.id}:{attempt}:cancelled",
                        kind=Kind.DEPOSIT_REFUND_CANCELLED,
                        memo=f"Telegram refused to refund Stars payment #{payment.id}",
                        tx=tx,
                    )
                    status, outcome = PaymentStatus.CREDITED, RefundOutcome.REFUSED
                case RefundAnswer.UNKNOWN:
                    return StarsRefund(payment, RefundOutcome.PENDING, reply.detail), False
            await store.settle_payment(tx, payment.id, status, now, note=payment.note)
            after = f"{status.value}: Telegram answered {reply.answer.value} {reply.detail}"
            await books.admin_log.record(
                admin,
                "refund stars payment",
                "payment",
                str(payment.id),
                before="refunding",
                after=after.strip()[:200],
                tx=tx,
            )
            settled = await store.payment(payment.id, tx)
        assert settled is not None
        return StarsRefund(settled, outcome, reply.detail), True
