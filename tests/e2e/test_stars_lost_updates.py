"""A Telegram Stars payment the bot took in from Telegram but had not handled when it stopped.

aiogram confirms a batch of updates to Telegram when it asks for the next one, before their
handlers run: once the bot has the payment in hand, Telegram will not send it again. Here the
payment waits behind the customer's own /start, whose answer the emulator holds back, on the chat's
lock; then the bot is killed, or told to stop with a thousand updates waiting. Either way the
payment is credited exactly once after the restart, and the customer hears of it once.
"""

from __future__ import annotations

import asyncio
import signal

from sandbox.telegram import ChatDriver, ChatMessage, HeldCalls
from storage.deposits import DepositStore, PaymentStatus
from tests.e2e.flows import wallet_of
from tests.e2e.harness import Shop, until
from tests.e2e.test_deposits_stars import invoice_for, said

BACKLOG = 1000  # new customers' /start waiting when the bot is told to stop
WELCOME = "Welcome to the shop"


def acknowledged(shop: Shop, update_id: int) -> bool:
    """Has the bot taken update `update_id` in and confirmed it, so Telegram will not resend it?"""
    bot = shop.emulator.bot()
    return bot.fetched_up_to >= update_id and all(u["update_id"] > update_id for u in bot.updates)


async def pay_while_the_chat_is_busy(
    shop: Shop, person: ChatDriver, invoice: ChatMessage
) -> tuple[str, HeldCalls]:
    """Pay `invoice` so that the bot takes the payment in, and confirms it to Telegram, but cannot
    handle it yet: the customer's /start, sent while the pre-checkout query was being answered,
    holds the chat with its answer held back by the emulator, and the payment waits behind it.
    Returns the charge id and the held answer to /start."""
    bot = shop.emulator.bot()
    approving = shop.emulator.hold("answerPreCheckoutQuery")
    greeting = shop.emulator.hold("sendMessage", text_contains="Welcome back")
    paying = asyncio.create_task(person.pay(invoice.message_id))
    await asyncio.wait_for(approving.reached.wait(), 10)
    await person.send("/start")
    start = bot.updates[-1]["update_id"]
    await until(lambda: bot.fetched_up_to >= start, "the bot took /start in")
    approving.release()
    paid = await paying
    assert paid.approved and paid.charge_id is not None
    await asyncio.wait_for(greeting.reached.wait(), 10)
    await until(lambda: acknowledged(shop, paid.update_id), "the bot confirmed the payment")
    return paid.charge_id, greeting


async def stars_payments_of(shop: Shop, person: ChatDriver) -> list[tuple[str, PaymentStatus]]:
    rows = await shop.db.fetch_all(
        "SELECT reference, status FROM payments WHERE user_id = ?", (person.user_id,)
    )
    return [(row["reference"], PaymentStatus(row["status"])) for row in rows]


def troubles(log_lines: list[str]) -> list[str]:
    """The lines of a bot's log that show something went wrong: errors, tracebacks, warnings
    from Python itself."""
    marks = ("Traceback", " ERROR ", "Warning:")
    return [line for line in log_lines if any(mark in line for mark in marks)]


def credited_news(person: ChatDriver) -> list[ChatMessage]:
    return [m for m in person.bot_messages if "added to your balance" in m.text]


async def test_a_stars_payment_the_bot_died_with_is_credited_once_after_the_restart(
    own_shop: Shop,
) -> None:
    alice = own_shop.customer("Alice")
    boss = own_shop.admin()
    invoice = await invoice_for(alice, 250)
    charge_id, greeting = await pay_while_the_chat_is_busy(own_shop, alice, invoice)

    assert own_shop.bot is not None
    assert await own_shop.bot.stop(signal.SIGKILL) == -signal.SIGKILL
    greeting.release()  # Telegram answers the dead bot's call anyway
    assert await stars_payments_of(own_shop, alice) == []  # the payment died with the bot
    assert await wallet_of(own_shop, alice) == (0, 0)

    await own_shop.start_bot()
    credited = await alice.wait_until(lambda m: "added to your balance" in m.text, timeout=20)
    assert "✅ 3.25 USDT added to your balance for 250 ⭐" in credited.text
    assert "Available now: 3.25 USDT" in credited.text
    payment = int(credited.text.split("(payment #")[1].split(")")[0])
    alert = await said(boss, f"Telegram Stars payment #{payment}")
    assert "found in the bot's Stars transactions" in alert.text
    assert f"250 ⭐ from customer {alice.user_id}" in alert.text
    assert "credited now: 3.25 USDT" in alert.text
    assert invoice.invoice is not None and invoice.invoice.payload in alert.text

    await alice.redeliver_payment(charge_id)  # its message, if Telegram ever sent it again
    await alice.settle()
    assert await stars_payments_of(own_shop, alice) == [
        (f"stars:{charge_id}", PaymentStatus.CREDITED)
    ]
    assert await wallet_of(own_shop, alice) == (3_250_000, 0)
    assert len(credited_news(alice)) == 1
    request = await DepositStore(own_shop.db).request(invoice.invoice.payload)
    assert request is not None and request.status == "credited"
    await own_shop.check_ledger()


async def test_a_stars_payment_in_hand_at_a_sigterm_under_a_backlog_is_credited_once(
    own_shop: Shop,
) -> None:
    alice = own_shop.customer("Alice")
    invoice = await invoice_for(alice, 100)
    charge_id, greeting = await pay_while_the_chat_is_busy(own_shop, alice, invoice)
    fans = [own_shop.customer(f"Fan {n}") for n in range(BACKLOG)]
    for fan in fans:
        await fan.send("/start")
    telegram = own_shop.emulator.bot()
    backlog_from = telegram.updates[-1]["update_id"] - BACKLOG + 1
    await until(
        lambda: telegram.fetched_up_to >= backlog_from + BACKLOG // 4,
        "the bot is working through the backlog",
    )

    first = own_shop.bot
    assert first is not None
    stopping = asyncio.create_task(first.stop(signal.SIGTERM))
    await until(lambda: "Received SIGTERM signal" in first.log, "the bot heard SIGTERM")
    greeting.release()  # the call /start was waiting for is answered while the bot stops
    assert await stopping == 0
    assert troubles(first.log_lines) == []

    await own_shop.start_bot()
    credited = await alice.wait_until(lambda m: "added to your balance" in m.text, timeout=20)
    assert "✅ 1.30 USDT added to your balance for 100 ⭐" in credited.text
    await until(
        lambda: all(any(WELCOME in m.text for m in fan.bot_messages) for fan in fans),
        "every customer of the backlog was welcomed",
        timeout=60,
    )
    await alice.redeliver_payment(charge_id)
    await alice.settle()
    assert await stars_payments_of(own_shop, alice) == [
        (f"stars:{charge_id}", PaymentStatus.CREDITED)
    ]
    assert await wallet_of(own_shop, alice) == (1_300_000, 0)
    assert len(credited_news(alice)) == 1
    # Nothing the stopping bot had handled came again, and nothing it had in hand was lost.
    assert [sum(WELCOME in m.text for m in fan.bot_messages) for fan in fans] == [1] * BACKLOG
    assert own_shop.bot is not None and troubles(own_shop.bot.log_lines) == []
    await own_shop.check_ledger()
