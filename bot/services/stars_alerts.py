"""What the operators read of a Telegram Stars payment the shop settled without them: one booked
at today's rate because it named no open request, one booked from the bot's Stars transactions
because its message was never handled, and one those transactions show refunded outside the shop.

Each is recorded in the outbox together with what it reports, under a key naming the charge, so
the message and the record, or a record read again after a crash, raise it once (see
`StarsPayments.take` and `StarsPayments.refund_seen_outside`). Plain text: `alert_text`
escapes it.
"""

from __future__ import annotations

from bot.services.money import exact_money
from storage.deposits import DepositRequest, Payment

_NEVER_HANDLED = (
    ", found in the bot's Stars transactions; its message was never handled (the bot stopped "
    "with it in hand, or booking it failed). "
)


def booked_alert(
    payment: Payment,
    request: DepositRequest | None,
    payload: str,
    currency: str,
    *,
    from_record: bool,
) -> str | None:
    """A Stars payment just credited, as the operators must hear of it: every one booked from
    the record, and any that named no open request; None for one its own message booked at the
    amount its request promised (the customer's news says all there is)."""
    if request is not None and not from_record:
        return None
    assert payment.credited is not None
    said = (
        f"Telegram Stars payment #{payment.id}: {payment.paid:,} ⭐ from customer "
        f"{payment.user_id}{_NEVER_HANDLED if from_record else '. '}"
    )
    money = exact_money(payment.credited, currency)
    if request is None:
        return said + (
            f"It named no open request of the customer's ({payload[:40]!r}): credited now at "
            f"today's rate: {money}. /refundstars {payment.id} gives it back."
        )
    return said + f"It paid request {request.id}: credited now: {money}. The customer is told."


def refunded_elsewhere_alert(payment: Payment, currency: str) -> str:
    """The bot's Stars transactions list a refund of a payment the shop still has credited."""
    money = exact_money(payment.credited or 0, currency)
    return (
        f"Telegram Stars payment #{payment.id}: the bot's Stars transactions show its "
        f"{payment.paid:,} ⭐ refunded to customer {payment.user_id}, but not by the shop: the "
        f"{money} it credited is still in their wallet. /debit takes it back if it should be."
    )
