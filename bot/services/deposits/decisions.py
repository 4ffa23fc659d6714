"""The operators' decisions on payments no request explains, each taken once: credit an
unmatched transfer to a customer or ignore it; approve a claimed transfer for its claimant or
reject it. Every claim of the transfer is settled with the decision, and each claimant it does
not credit hears so."""

from __future__ import annotations

from collections.abc import Callable

from bot.services.deposits.books import WAITING, DepositBooks, DepositRefused
from bot.services.money import format_amount
from storage.database import Transaction, as_stored
from storage.deposits import DepositRequest, Payment, PaymentStatus


class PaymentDecisions:
    def __init__(self, books: DepositBooks) -> None:
        self._books = books

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
            payment_id,
            WAITING,
            admin_id,
            "assign payment",
            credit=chosen,
            memo="USDT-TRC20 transfer, assigned by an operator",
        )

    async def ignore(self, payment_id: int, admin_id: int) -> Payment:
        return await self._decide(
            payment_id,
            (PaymentStatus.UNMATCHED,),
            admin_id,
            "ignore payment",
            outcome=PaymentStatus.IGNORED,
        )

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
            payment_id,
            (PaymentStatus.CLAIMED,),
            admin_id,
            "approve payment",
            credit=claimant,
            memo="USDT-TRC20 transfer, approved by an operator",
        )

    async def reject(self, payment_id: int, admin_id: int) -> Payment:
        return await self._decide(
            payment_id,
            (PaymentStatus.CLAIMED,),
            admin_id,
            "reject payment",
            outcome=PaymentStatus.REJECTED,
        )

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
        books, store = self._books, self._books.store
        now = as_stored(books.clock())
        async with books.db.write() as tx:
            payment = await self._waiting(tx, payment_id, waiting)
            matched = None
            if payment.request_id is not None:
                matched = await store.request(payment.request_id, tx)
            if credit is not None:
                user_id, amount = credit(payment)
                if not await store.customer_known(tx, user_id):
                    raise DepositRefused(f"no customer {user_id}")
                paid = matched.id if matched is not None and matched.user_id == user_id else None
                told = await books.credit(
                    tx,
                    payment.id,
                    user_id,
                    amount,
                    reference=payment.reference,
                    request_id=paid,
                    memo=memo,
                    now=now,
                    actor=f"admin:{admin_id}",
                    decided_by=admin_id,
                )
                after = f"credited {amount} to {user_id}{_overruled(payment, matched, user_id)}"
            else:
                await store.settle_payment(tx, payment.id, outcome, now, decided_by=admin_id)
                unconfirmed = await store.settle_claims(tx, payment.id, now)
                told = await books.tell_unconfirmed(tx, payment.id, unconfirmed, credited=None)
                after = outcome.value
            await books.admin_log.record(
                admin_id,
                action,
                "payment",
                str(payment.id),
                before=payment.status.value,
                after=after,
                tx=tx,
            )
            settled = await store.payment(payment.id, tx)
        assert settled is not None
        await books.outbox.send_now(told)
        return settled

    async def _waiting(
        self, tx: Transaction, payment_id: int, statuses: tuple[PaymentStatus, ...]
    ) -> Payment:
        payment = await self._books.store.payment(payment_id, tx)
        if payment is None:
            raise DepositRefused(f"no payment {payment_id}")
        if payment.status in WAITING and payment.status not in statuses:
            # still waiting, but as the other kind: a claim the chain matched to a request, say
            raise DepositRefused(f"payment {payment_id} is {payment.status} now")
        if payment.status not in statuses:
            raise DepositRefused(f"payment {payment_id} is already {payment.status}")
        return payment


def _overruled(payment: Payment, matched: DepositRequest | None, user_id: int) -> str:
    """For the admin log: whom crediting `user_id` decided against, if anyone."""
    if matched is not None and matched.user_id != user_id:
        return f", not to customer {matched.user_id} whose request {matched.id} it matched"
    if payment.status == PaymentStatus.CLAIMED and payment.user_id != user_id:
        return f", not to customer {payment.user_id} who claimed it"
    return ""
