"""Invoices and paying them: what `sendInvoice` accepts, and a user paying an invoice.

Paying goes as in Telegram: the user presses Pay, the bot gets a `pre_checkout_query` and has 10
seconds to answer it; if it approves, the user's chat gets a service message with
`successful_payment`, which reaches the bot as a `message` update. Refusals use Telegram's wording
where it is known (the Bot API server's own checks, and the MTProto errors it passes on).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import time
from dataclasses import dataclass
from typing import Any

from sandbox.telegram.stars import PRE_CHECKOUT_TIMEOUT, STARS, Charge, Invoice
from sandbox.telegram.state import BotAccount, Button, Chat, ChatMessage, UserInfo, bad_request

MAX_TITLE = 32
MAX_DESCRIPTION = 255
MAX_PAYLOAD_BYTES = 128

# -- sendInvoice -----------------------------------------------------------------------------------


def _required(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if value is None or str(value) == "":
        raise bad_request(f'parameter "{name}" is required')
    return str(value)


def _prices(params: dict[str, Any]) -> list[int]:
    """The amounts of the `prices` JSON array of LabeledPrice objects."""
    raw = params["prices"]
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            raise bad_request("can't parse prices JSON object") from None
    if not isinstance(raw, list):
        raise bad_request("expected an Array of LabeledPrice")
    amounts = []
    for price in raw:
        if not isinstance(price, dict) or not isinstance(price.get("label"), str):
            raise bad_request('can\'t parse LabeledPrice: field "label" must be a String')
        amount = price.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise bad_request('can\'t parse LabeledPrice: field "amount" must be a Number')
        amounts.append(amount)
    return amounts


def parse_invoice(params: dict[str, Any]) -> Invoice:
    """The invoice `sendInvoice` describes, or Telegram's refusal.

    Telegram does not document its answer to a title over 32 characters or a description over 255;
    the emulator refuses those in its own words so a bot cannot rely on them passing.
    """
    title = _required(params, "title")
    description = _required(params, "description")
    payload = _required(params, "payload")
    currency = _required(params, "currency")
    if params.get("prices") in (None, ""):
        raise bad_request('parameter "prices" is required')
    amounts = _prices(params)
    provider_token = str(params.get("provider_token") or "")
    if currency == STARS:
        if provider_token or len(amounts) != 1:
            raise bad_request("STARS_INVOICE_INVALID")
    elif not provider_token:
        raise bad_request("PAYMENT_PROVIDER_INVALID")
    if sum(amounts) <= 0:
        raise bad_request("total price must be positive")
    if len(title) > MAX_TITLE:
        raise bad_request(f"invoice title must be 1-{MAX_TITLE} characters long")
    if len(description) > MAX_DESCRIPTION:
        raise bad_request(f"invoice description must be 1-{MAX_DESCRIPTION} characters long")
    if len(payload.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise bad_request("INVOICE_PAYLOAD_INVALID")
    return Invoice(
        title=title,
        description=description,
        currency=currency,
        total_amount=sum(amounts),
        payload=payload,
        start_parameter=str(params.get("start_parameter") or ""),
    )


def check_invoice_keyboard(buttons: list[list[Button]]) -> None:
    """An invoice's own keyboard must start with its Pay button, and have no other."""
    if not buttons:
        return  # Telegram shows a Pay button of its own
    if not buttons[0] or not buttons[0][0].pay:
        raise bad_request("REPLY_MARKUP_BUY_EMPTY")
    pay_buttons = [button for row in buttons for button in row if button.pay]
    if len(pay_buttons) > 1:
        raise bad_request("BUTTON_POS_INVALID")


# -- a user paying ---------------------------------------------------------------------------------


class PaymentStatus(enum.Enum):
    APPROVED = "approved"  # the bot approved; the chat shows `successful_payment`
    DECLINED = "declined"  # the bot answered ok=false; the user saw its error message
    NO_ANSWER = "no_answer"  # the bot did not answer in time; nothing was charged


@dataclass(frozen=True)
class PaymentResult:
    """What happened when a user paid an invoice."""

    status: PaymentStatus
    pre_checkout_query_id: str
    charge_id: str | None = None  # telegram_payment_charge_id, when approved
    message_id: int | None = None  # the `successful_payment` service message, when approved
    error_message: str | None = None  # the bot's reason, when declined
    update_id: int = 0  # the last update the bot was sent for this payment

    @property
    def approved(self) -> bool:
        return self.status is PaymentStatus.APPROVED

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "pre_checkout_query_id": self.pre_checkout_query_id,
            "charge_id": self.charge_id,
            "message_id": self.message_id,
            "error_message": self.error_message,
            "update_id": self.update_id,
        }


def invoice_to_pay(chat: Chat, message_id: int, *, stale: bool) -> ChatMessage:
    """Invoice message `message_id`, if the user can still press its Pay button.

    A deleted invoice can be paid only `stale`: the user's app may still show an invoice the bot
    has since withdrawn (or one whose request the bot considers expired), and the bot must decline
    it at the pre-checkout step."""
    message = chat.messages.get(message_id)
    if message is None or message.invoice is None or not message.from_bot:
        raise AssertionError(f"message {message_id} in chat {chat.id} is not an invoice")
    if message.deleted and not stale:
        raise AssertionError(
            f"invoice {message_id} in chat {chat.id} was deleted; pay it with stale=True"
        )
    return message


async def pay_invoice(
    bot: BotAccount,
    chat: Chat,
    user: UserInfo,
    message_id: int,
    *,
    answer_within: float = PRE_CHECKOUT_TIMEOUT,
    stale: bool = False,
    deliver: bool = True,
) -> PaymentResult:
    """`user` pays invoice `message_id`: a pre-checkout query, then (if the bot approves within
    `answer_within` seconds) the `successful_payment` message. `deliver=False` loses that
    message's update: the payment is in the bot's Stars transactions, and nothing else tells it."""
    message = invoice_to_pay(chat, message_id, stale=stale)
    assert message.invoice is not None
    if bot.stars.is_paid(chat.id, message_id):
        raise AssertionError(f"invoice {message_id} in chat {chat.id} is already paid")
    query = bot.stars.open_query(user.to_api(), message.invoice, chat.id, message_id)
    update_id = await bot.push_update({"pre_checkout_query": query.to_api()})
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(query.answered.wait(), answer_within)
    if not query.answered.is_set():
        query.expired = True
        return PaymentResult(PaymentStatus.NO_ANSWER, query.id, update_id=update_id)
    if not query.ok:
        return PaymentResult(
            PaymentStatus.DECLINED, query.id, error_message=query.error_message, update_id=update_id
        )
    receipt = ChatMessage(
        message_id=chat.next_message_id(),
        chat_id=chat.id,
        sender=user,
        date=int(time.time()),
    )
    charge = bot.stars.record_payment(query, receipt.message_id)
    receipt.successful_payment = charge.payment
    chat.messages[receipt.message_id] = receipt
    chat.tell_watchers()
    if deliver:
        update_id = await bot.push_update({"message": receipt.to_api(chat)})
    return PaymentResult(
        PaymentStatus.APPROVED,
        query.id,
        charge_id=charge.charge_id,
        message_id=receipt.message_id,
        update_id=update_id,
    )


async def redeliver_payment(bot: BotAccount, charge_id: str) -> int:
    """Send the bot the `successful_payment` message of `charge_id` again, as a new update (as
    when Telegram delivers an update twice); returns its update id."""
    charge: Charge | None = bot.stars.charges.get(charge_id)
    if charge is None:
        raise AssertionError(f"no payment with charge id {charge_id!r}")
    chat = bot.chat(charge.chat_id)
    return await bot.push_update({"message": chat.messages[charge.message_id].to_api(chat)})
