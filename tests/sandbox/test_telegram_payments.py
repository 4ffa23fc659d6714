"""Telegram Stars in the emulator: invoices, pre-checkout queries, payments and refunds, driven
with a real aiogram `Bot` (and a real `Dispatcher` polling), as Telegram answers them."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LabeledPrice,
    Message,
    PreCheckoutQuery,
    TransactionPartnerUser,
    Update,
)

from sandbox.telegram import ChatDriver, PaymentStatus, TelegramEmulator
from tests.sandbox.conftest import TOKEN

ALICE = 7101
BOB = 7102


class Updates:
    """Reads the bot's updates one by one, confirming each as read."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.offset = 0

    async def next(self) -> Update:
        updates = await self.bot.get_updates(offset=self.offset, limit=1, timeout=5)
        assert updates, "the bot got no update"
        self.offset = updates[0].update_id + 1
        return updates[0]

    async def none_left(self) -> bool:
        return await self.bot.get_updates(offset=self.offset, timeout=0) == []

    async def pre_checkout_query(self) -> PreCheckoutQuery:
        update = await self.next()
        assert update.pre_checkout_query is not None, update
        return update.pre_checkout_query

    async def message(self) -> Message:
        update = await self.next()
        assert update.message is not None, update
        return update.message


def stars(amount: int) -> list[LabeledPrice]:
    return [LabeledPrice(label=f"{amount} Stars", amount=amount)]


async def send_stars_invoice(
    bot: Bot, chat_id: int, amount: int = 50, payload: str = "deposit:1", **extra: Any
) -> Message:
    return await bot.send_invoice(
        chat_id,
        title="Top up",
        description=f"{amount} Stars to your balance",
        payload=payload,
        currency="XTR",
        prices=stars(amount),
        **extra,
    )


async def test_an_invoice_in_stars_is_shown_with_its_payload_kept_from_the_user(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    alice = emulator.private_chat(ALICE, "Alice")

    sent = await send_stars_invoice(bot, ALICE, 50, start_parameter="topup")

    assert sent.invoice is not None and sent.text is None
    assert (sent.invoice.title, sent.invoice.currency, sent.invoice.total_amount) == (
        "Top up",
        "XTR",
        50,
    )
    assert sent.invoice.start_parameter == "topup"
    shown = await alice.wait_for_bot()
    assert shown.message_id == sent.message_id and shown.invoice is not None
    assert shown.invoice.payload == "deposit:1"
    assert "invoice 'Top up' 50 XTR" in alice.describe()


@pytest.mark.parametrize(
    ("changes", "description"),
    [
        ({"currency": "USD"}, "PAYMENT_PROVIDER_INVALID"),
        ({"provider_token": "284685063:TEST:abc"}, "STARS_INVOICE_INVALID"),
        ({"prices": stars(10) + stars(20)}, "STARS_INVOICE_INVALID"),
        ({"prices": []}, "STARS_INVOICE_INVALID"),
        ({"prices": stars(0)}, "total price must be positive"),
        ({"prices": stars(-5)}, "total price must be positive"),
        ({"title": ""}, 'parameter "title" is required'),
        ({"title": "t" * 33}, "invoice title must be 1-32 characters"),
        ({"description": ""}, 'parameter "description" is required'),
        ({"description": "d" * 256}, "invoice description must be 1-255 characters"),
        ({"payload": ""}, 'parameter "payload" is required'),
        ({"payload": "é" * 65}, "INVOICE_PAYLOAD_INVALID"),  # 130 bytes
        (
            {
                "reply_markup": InlineKeyboardMarkup(
                    inline_keyboard=[[InlineKeyboardButton(text="Back", callback_data="back")]]
                )
            },
            "REPLY_MARKUP_BUY_EMPTY",
        ),
        (
            {
                "reply_markup": InlineKeyboardMarkup(
                    inline_keyboard=[
                        [InlineKeyboardButton(text="Pay", pay=True)],
                        [InlineKeyboardButton(text="Pay again", pay=True)],
                    ]
                )
            },
            "BUTTON_POS_INVALID",
        ),
    ],
)
async def test_send_invoice_refusals(
    emulator: TelegramEmulator, bot: Bot, changes: dict[str, Any], description: str
) -> None:
    alice = emulator.private_chat(ALICE, "Alice")
    arguments: dict[str, Any] = {
        "title": "Top up",
        "description": "50 Stars",
        "payload": "deposit:1",
        "currency": "XTR",
        "prices": stars(50),
        **changes,
    }
    with pytest.raises(TelegramBadRequest, match=description):
        await bot.send_invoice(ALICE, **arguments)
    assert alice.bot_messages == []


async def test_the_limits_themselves_are_accepted(emulator: TelegramEmulator, bot: Bot) -> None:
    emulator.private_chat(ALICE, "Alice")
    sent = await bot.send_invoice(
        ALICE,
        title="t" * 32,
        description="d" * 255,
        payload="p" * 128,
        currency="XTR",
        prices=stars(1),
        provider_token="",
    )
    assert sent.invoice is not None and sent.invoice.total_amount == 1


async def test_another_currency_needs_a_provider_token(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    emulator.private_chat(ALICE, "Alice")
    sent = await bot.send_invoice(
        ALICE,
        title="Card top up",
        description="10.00 USD",
        payload="card:1",
        currency="USD",
        prices=[LabeledPrice(label="Top up", amount=900), LabeledPrice(label="Fee", amount=100)],
        provider_token="284685063:TEST:abc",
    )
    assert sent.invoice is not None and sent.invoice.total_amount == 1000


async def test_an_invoice_keyboard_starts_with_its_pay_button_which_is_paid_not_pressed(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    alice = emulator.private_chat(ALICE, "Alice")
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="Pay ⭐50", pay=True)],
            [InlineKeyboardButton(text="Cancel", callback_data="cancel")],
        ]
    )
    sent = await send_stars_invoice(bot, ALICE, reply_markup=keyboard)

    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[0][0].pay is True
    with pytest.raises(
        AssertionError, match=rf"Pay button; pay the invoice with pay\({sent.message_id}\)"
    ):
        await alice.press("Pay ⭐50")
    await alice.press("Cancel")
    with pytest.raises(TelegramBadRequest, match="REPLY_MARKUP_BUY_EMPTY"):
        await bot.edit_message_reply_markup(
            chat_id=ALICE,
            message_id=sent.message_id,
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="Cancel", callback_data="cancel")]]
            ),
        )
    with pytest.raises(TelegramBadRequest, match="there is no text in the message to edit"):
        await bot.edit_message_text("paid?", chat_id=ALICE, message_id=sent.message_id)


async def test_send_invoice_counts_against_the_flood_limit(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    emulator.private_chat(ALICE, "Alice")
    emulator.flood_limit_per_second = 2
    await send_stars_invoice(bot, ALICE)
    await bot.send_message(ALICE, "the invoice above")
    with pytest.raises(TelegramRetryAfter):
        await send_stars_invoice(bot, ALICE)
    assert emulator.bot().flood_refusals["sendInvoice"] == 1


async def test_an_approved_payment_reaches_the_bot_as_successful_payment(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    alice = emulator.private_chat(ALICE, "Alice", "alice", "en")
    updates = Updates(bot)
    invoice = await send_stars_invoice(bot, ALICE, 50, payload="deposit:42")

    paying = asyncio.create_task(alice.pay(invoice.message_id))
    query = await updates.pre_checkout_query()
    assert (query.from_user.id, query.from_user.language_code) == (ALICE, "en")
    assert (query.currency, query.total_amount, query.invoice_payload) == ("XTR", 50, "deposit:42")
    assert not paying.done()  # the user waits for the bot's answer
    assert await bot.answer_pre_checkout_query(query.id, ok=True)
    paid = await paying

    assert paid.status is PaymentStatus.APPROVED and paid.approved
    assert paid.charge_id is not None and paid.charge_id.startswith("stx")
    receipt = await updates.message()
    assert receipt.message_id == paid.message_id
    assert receipt.from_user is not None and receipt.from_user.id == ALICE
    payment = receipt.successful_payment
    assert payment is not None and receipt.text is None
    assert (payment.currency, payment.total_amount, payment.invoice_payload) == (
        "XTR",
        50,
        "deposit:42",
    )
    assert payment.telegram_payment_charge_id == paid.charge_id
    assert payment.provider_payment_charge_id
    assert "paid 50 XTR ('deposit:42')" in alice.describe()

    with pytest.raises(TelegramBadRequest, match="query is too old and response timeout expired"):
        await bot.answer_pre_checkout_query(query.id, ok=True)
    with pytest.raises(AssertionError, match="already paid"):
        await alice.pay(invoice.message_id)


async def test_each_payment_gets_its_own_charge_id(emulator: TelegramEmulator, bot: Bot) -> None:
    alice = emulator.private_chat(ALICE, "Alice")
    updates = Updates(bot)
    charge_ids = set()
    for number in range(3):
        invoice = await send_stars_invoice(bot, ALICE, payload=f"deposit:{number}")
        paying = asyncio.create_task(alice.pay(invoice.message_id))
        await bot.answer_pre_checkout_query((await updates.pre_checkout_query()).id, ok=True)
        charge_ids.add((await paying).charge_id)
        await updates.message()
    assert len(charge_ids) == 3


async def test_a_declined_payment_shows_the_bots_reason_and_charges_nothing(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    alice = emulator.private_chat(ALICE, "Alice")
    updates = Updates(bot)
    invoice = await send_stars_invoice(bot, ALICE)

    paying = asyncio.create_task(alice.pay(invoice.message_id))
    query = await updates.pre_checkout_query()
    with pytest.raises(TelegramBadRequest, match='parameter "error_message" is required'):
        await bot.answer_pre_checkout_query(query.id, ok=False)
    assert not paying.done()
    assert await bot.answer_pre_checkout_query(
        query.id, ok=False, error_message="This top-up has expired."
    )
    declined = await paying

    assert declined.status is PaymentStatus.DECLINED
    assert (declined.error_message, declined.charge_id) == ("This top-up has expired.", None)
    assert await updates.none_left()
    assert emulator.bot().stars.charges == {}
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot.answer_pre_checkout_query(query.id, ok=True)

    # Declined is not paid: the user may press Pay again.
    again = asyncio.create_task(alice.pay(invoice.message_id))
    await bot.answer_pre_checkout_query((await updates.pre_checkout_query()).id, ok=True)
    assert (await again).approved


async def test_no_answer_in_time_charges_nothing_and_a_late_answer_is_refused(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    alice = emulator.private_chat(ALICE, "Alice")
    updates = Updates(bot)
    invoice = await send_stars_invoice(bot, ALICE)

    unanswered = await alice.pay(invoice.message_id, answer_within=0.2)

    assert unanswered.status is PaymentStatus.NO_ANSWER
    assert unanswered.charge_id is None and unanswered.error_message is None
    query = await updates.pre_checkout_query()
    assert query.id == unanswered.pre_checkout_query_id
    with pytest.raises(TelegramBadRequest, match="query is too old and response timeout expired"):
        await bot.answer_pre_checkout_query(query.id, ok=True)
    assert await updates.none_left()
    assert emulator.bot().stars.charges == {}


async def test_an_unknown_pre_checkout_query_is_refused(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot.answer_pre_checkout_query("4242", ok=True)


async def test_a_payment_delivered_twice_is_the_same_message_in_a_new_update(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    alice = emulator.private_chat(ALICE, "Alice")
    updates = Updates(bot)
    invoice = await send_stars_invoice(bot, ALICE)
    paying = asyncio.create_task(alice.pay(invoice.message_id))
    await bot.answer_pre_checkout_query((await updates.pre_checkout_query()).id, ok=True)
    paid = await paying
    assert paid.charge_id is not None
    first = await updates.next()

    await alice.redeliver_payment(paid.charge_id)

    second = await updates.next()
    assert second.update_id > first.update_id
    assert first.message is not None and second.message is not None
    assert second.message.message_id == first.message.message_id
    assert second.message.successful_payment == first.message.successful_payment
    assert len(emulator.bot().stars.charges) == 1
    with pytest.raises(AssertionError, match="no payment with charge id"):
        await alice.redeliver_payment("stxUNKNOWN")


async def test_a_payment_whose_update_is_lost_is_only_in_the_stars_transactions(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    alice = emulator.private_chat(ALICE, "Alice")
    updates = Updates(bot)
    invoice = await send_stars_invoice(bot, ALICE, 75, payload="deposit:9")
    paying = asyncio.create_task(alice.pay(invoice.message_id, deliver=False))
    await bot.answer_pre_checkout_query((await updates.pre_checkout_query()).id, ok=True)
    paid = await paying

    assert paid.approved and paid.charge_id is not None
    assert await updates.none_left()  # no successful_payment reaches the bot
    assert "paid 75 XTR ('deposit:9')" in alice.describe()  # the user's chat shows it paid
    [payment] = (await bot.get_star_transactions()).transactions
    assert (payment.id, payment.amount) == (paid.charge_id, 75)
    assert isinstance(payment.source, TransactionPartnerUser)
    assert payment.source.invoice_payload == "deposit:9"


async def test_a_stale_invoice_can_still_be_paid_for_the_bot_to_decline(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    alice = emulator.private_chat(ALICE, "Alice")
    updates = Updates(bot)
    invoice = await send_stars_invoice(bot, ALICE, payload="deposit:old")
    await bot.delete_message(ALICE, invoice.message_id)

    with pytest.raises(AssertionError, match="was deleted; pay it with stale=True"):
        await alice.pay(invoice.message_id)
    paying = asyncio.create_task(alice.pay(invoice.message_id, stale=True))
    query = await updates.pre_checkout_query()
    assert query.invoice_payload == "deposit:old"
    await bot.answer_pre_checkout_query(query.id, ok=False, error_message="No longer open.")

    assert (await paying).status is PaymentStatus.DECLINED


async def test_only_invoices_can_be_paid(emulator: TelegramEmulator, bot: Bot) -> None:
    alice = emulator.private_chat(ALICE, "Alice")
    sent = await bot.send_message(ALICE, "not an invoice")
    with pytest.raises(AssertionError, match="is not an invoice"):
        await alice.pay(sent.message_id)
    with pytest.raises(AssertionError, match="is not an invoice"):
        await alice.pay(999)


async def pay_approved(alice: ChatDriver, bot: Bot, updates: Updates, amount: int) -> str:
    invoice = await send_stars_invoice(bot, alice.user_id, amount, payload=f"deposit:{amount}")
    paying = asyncio.create_task(alice.pay(invoice.message_id))
    await bot.answer_pre_checkout_query((await updates.pre_checkout_query()).id, ok=True)
    paid = await paying
    await updates.message()
    assert paid.charge_id is not None
    return paid.charge_id


async def test_a_stars_payment_is_refunded_once_and_only_to_its_payer(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    alice = emulator.private_chat(ALICE, "Alice")
    emulator.private_chat(BOB, "Bob")
    updates = Updates(bot)
    charge_id = await pay_approved(alice, bot, updates, 50)
    other_charge = await pay_approved(alice, bot, updates, 20)

    with pytest.raises(TelegramBadRequest, match="CHARGE_NOT_FOUND"):
        await bot.refund_star_payment(BOB, charge_id)
    with pytest.raises(TelegramBadRequest, match="CHARGE_NOT_FOUND"):
        await bot.refund_star_payment(ALICE, "stxNOSUCHCHARGE")
    assert await bot.refund_star_payment(ALICE, charge_id) is True
    with pytest.raises(TelegramBadRequest, match="CHARGE_ALREADY_REFUNDED"):
        await bot.refund_star_payment(ALICE, charge_id)
    with pytest.raises(TelegramBadRequest, match="invalid user_id specified"):
        await bot.refund_star_payment(0, other_charge)

    history = await bot.get_star_transactions()
    assert [(t.id, t.amount) for t in history.transactions] == [
        (charge_id, 50),
        (other_charge, 20),
        (charge_id, 50),
    ]
    paid_in, _, refunded = history.transactions
    assert paid_in.source is not None and paid_in.receiver is None
    assert refunded.receiver is not None and refunded.source is None
    assert isinstance(refunded.receiver, TransactionPartnerUser)
    assert refunded.receiver.user.id == ALICE
    assert (await bot.get_star_transactions(offset=1, limit=1)).transactions[0].id == other_charge
    assert (await bot.get_my_star_balance()).amount == 20
    charge = emulator.bot().stars.charges[charge_id]
    assert charge.refunded_at is not None
    assert emulator.bot().stars.charges[other_charge].refunded_at is None


async def test_the_stars_history_reads_its_paging_arguments_as_the_bot_api_server_does(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    """telegram-bot-api reads `offset` and `limit` as numbers clamped to their range (offset from
    0, limit 1 to 100), anything unreadable as 0: it never refuses them."""
    alice = emulator.private_chat(ALICE, "Alice")
    updates = Updates(bot)
    charges = [await pay_approved(alice, bot, updates, amount) for amount in (10, 20, 30)]
    url = f"{emulator.base_url}/bot{TOKEN}/getStarTransactions"

    async def listed(**params: str) -> list[tuple[str, int]]:
        async with aiohttp.ClientSession() as http, http.post(url, data=params) as answer:
            body = await answer.json()
        assert answer.status == 200 and body["ok"] is True, body
        return [(t["id"], t["amount"]) for t in body["result"]["transactions"]]

    every = list(zip(charges, (10, 20, 30), strict=True))
    assert await listed() == every
    assert await listed(offset="-5") == every
    assert await listed(offset="soon") == every
    assert await listed(offset="1", limit="0") == every[1:2]
    assert await listed(offset="1", limit="many") == every[1:2]
    assert await listed(offset="2", limit="500") == every[2:]
    assert await listed(offset="3") == []
    paid_in = (await bot.get_star_transactions(offset=0, limit=1)).transactions[0]
    assert paid_in.nanostar_amount is None  # whole Stars: Telegram leaves the field out


async def test_a_provider_payment_is_not_a_stars_payment(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    alice = emulator.private_chat(ALICE, "Alice")
    updates = Updates(bot)
    invoice = await bot.send_invoice(
        ALICE,
        "Card",
        "By card",
        "card:1",
        "USD",
        [LabeledPrice(label="x", amount=500)],
        provider_token="284685063:TEST:abc",
    )
    paying = asyncio.create_task(alice.pay(invoice.message_id))
    await bot.answer_pre_checkout_query((await updates.pre_checkout_query()).id, ok=True)
    paid = await paying
    assert paid.charge_id is not None

    with pytest.raises(TelegramBadRequest, match="CHARGE_NOT_FOUND"):
        await bot.refund_star_payment(ALICE, paid.charge_id)
    assert (await bot.get_star_transactions()).transactions == []


async def test_a_dispatcher_approves_open_deposits_and_credits_on_successful_payment(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    dispatcher = Dispatcher()
    credited: list[str] = []

    @dispatcher.pre_checkout_query()
    async def check(query: PreCheckoutQuery) -> None:
        if query.invoice_payload.startswith("open:"):
            await query.answer(ok=True)
        else:
            await query.answer(ok=False, error_message="This request is closed.")

    @dispatcher.message(F.successful_payment)
    async def credit(message: Message) -> None:
        payment = message.successful_payment
        assert payment is not None
        if payment.telegram_payment_charge_id not in credited:
            credited.append(payment.telegram_payment_charge_id)
            await message.answer(f"credited {payment.total_amount} Stars")

    alice = emulator.private_chat(ALICE, "Alice")
    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, polling_timeout=5)
    )
    try:
        closed = await send_stars_invoice(bot, ALICE, 10, payload="closed:1")
        open_ = await send_stars_invoice(bot, ALICE, 30, payload="open:2")
        await alice.settle()

        declined = await alice.pay(closed.message_id)
        assert (declined.status, declined.error_message) == (
            PaymentStatus.DECLINED,
            "This request is closed.",
        )
        paid = await alice.pay(open_.message_id)
        assert paid.approved and paid.charge_id is not None
        assert (await alice.wait_for_bot()).text == "credited 30 Stars"
        await alice.redeliver_payment(paid.charge_id)
        await alice.settle()
        assert credited == [paid.charge_id]
        assert [m.text for m in alice.bot_messages if m.invoice is None] == ["credited 30 Stars"]
    finally:
        await dispatcher.stop_polling()
        await asyncio.wait_for(polling, 10)


async def test_the_http_driver_pays_and_delivers_again(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    base = f"{emulator.base_url}/_emulator"
    updates = Updates(bot)
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/users", json={"user_id": ALICE, "first_name": "Http"}) as r:
            assert r.status == 200
        invoice = await send_stars_invoice(bot, ALICE, 75, payload="deposit:http")
        note = await bot.send_message(ALICE, "not an invoice")

        paying = asyncio.create_task(
            http.post(
                f"{base}/chats/{ALICE}/pay",
                json={"user_id": ALICE, "message_id": invoice.message_id},
            )
        )
        await bot.answer_pre_checkout_query((await updates.pre_checkout_query()).id, ok=True)
        async with await paying as r:
            paid = await r.json()
        assert paid["status"] == "approved" and paid["charge_id"].startswith("stx")
        assert (await updates.message()).message_id == paid["message_id"]

        async with http.get(f"{base}/chats/{ALICE}/messages") as r:
            messages = {m["message_id"]: m for m in (await r.json())["messages"]}
        assert messages[invoice.message_id]["invoice"] == {
            "title": "Top up",
            "description": "75 Stars to your balance",
            "start_parameter": "",
            "currency": "XTR",
            "total_amount": 75,
            "payload": "deposit:http",
        }
        receipt = messages[paid["message_id"]]
        assert receipt["from_bot"] is False
        assert receipt["successful_payment"]["telegram_payment_charge_id"] == paid["charge_id"]

        async with http.post(f"{base}/payments/{paid['charge_id']}/redeliver") as r:
            again = await r.json()
        update = await updates.next()
        assert update.update_id == again["update_id"]
        assert update.message is not None and update.message.message_id == paid["message_id"]

        async with http.post(
            f"{base}/chats/{ALICE}/pay",
            json={"user_id": ALICE, "message_id": invoice.message_id},
        ) as r:
            assert r.status == 400 and "already paid" in await r.text()
        async with http.post(
            f"{base}/chats/{ALICE}/pay", json={"user_id": ALICE, "message_id": note.message_id}
        ) as r:
            assert r.status == 400 and "not an invoice" in await r.text()
        second = await send_stars_invoice(bot, ALICE, 5)
        async with http.post(
            f"{base}/chats/{ALICE}/pay",
            json={"user_id": ALICE, "message_id": second.message_id, "timeout": 0.2},
        ) as r:
            assert (await r.json())["status"] == "no_answer"
        async with http.post(f"{base}/payments/stxNOPE/redeliver") as r:
            assert r.status == 404
