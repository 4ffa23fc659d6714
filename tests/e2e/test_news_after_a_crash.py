"""The bot is killed (SIGKILL) after a result is booked and before the customer's message about it
reaches Telegram; started again, it tells the customer, once.

The emulator holds the message's call and drops it when the bot dies, as Telegram never got it.
"""

from __future__ import annotations

import asyncio
import signal

from sandbox.telegram import HeldCalls
from sandbox.trongrid import DEMO_DEPOSIT_ADDRESS
from storage.orders import OrderStatus
from tests.e2e.flows import CONFIRM, USDT, cloud_confirmation, orders_of, wallet_of
from tests.e2e.harness import Shop
from tests.e2e.test_deposits_usdt import WATCH_ROUNDS, ask_to_top_up, pay_amount
from tests.e2e.test_topup import confirmation as top_up_confirmation

RESTART_TIMEOUT = 20.0  # seconds: the bot starts again, then tells


async def _kill_when_held(shop: Shop, *held: HeldCalls) -> None:
    """SIGKILL the bot as soon as one of `held` caught its call; the calls never land."""
    waits = [asyncio.create_task(one.reached.wait()) for one in held]
    _, pending = await asyncio.wait(waits, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    for wait in pending:
        wait.cancel()
    assert any(one.reached.is_set() for one in held), "the bot never sent the message"
    assert shop.bot is not None
    assert await shop.bot.stop(signal.SIGKILL) == -signal.SIGKILL
    for one in held:
        one.drop()


async def test_a_purchase_result_is_shown_once_after_a_crash_before_it(own_shop: Shop) -> None:
    customer, screen = await cloud_confirmation(own_shop, 100 * USDT)
    held = own_shop.emulator.hold("editMessageText", text_contains="Done!")
    await customer.press(CONFIRM)
    await _kill_when_held(own_shop, held)

    [(order_id, status)] = await orders_of(own_shop, customer.user_id)
    assert status == OrderStatus.SUCCEEDED  # booked before the bot died
    processing = customer.chat.messages[screen.message_id]
    assert "Processing order" in processing.text and order_id in processing.text

    await own_shop.start_bot()
    done = await customer.wait_for_message(
        screen.message_id, lambda m: "Done!" in m.text, timeout=RESTART_TIMEOUT
    )
    assert order_id in done.text
    assert done.labels == ["🏠 Main menu"]
    await customer.settle(quiet=1.0)
    assert sum("Done!" in m.text for m in customer.bot_messages) == 1
    assert await wallet_of(own_shop, customer) == (89_500_000, 0)  # charged once
    assert "ledger OK" in await own_shop.check_ledger()


async def test_a_usdt_credit_is_told_once_after_a_crash_before_it(own_shop: Shop) -> None:
    alice = own_shop.customer("Alice")
    request = await ask_to_top_up(own_shop, alice, 10)
    held = own_shop.emulator.hold("sendMessage", text_contains="added to your balance")
    own_shop.tron.transfer(DEMO_DEPOSIT_ADDRESS, pay_amount(request))
    await _kill_when_held(own_shop, held)
    assert await wallet_of(own_shop, alice) == (10 * USDT + 1, 0)  # booked before the bot died

    await own_shop.start_bot()
    credited = await alice.wait_until(
        lambda m: "added to your balance" in m.text, timeout=RESTART_TIMEOUT
    )
    assert "✅ 10.000001 USDT added to your balance" in credited.text
    await asyncio.sleep(WATCH_ROUNDS)  # the watch reads the same transfer again and again
    assert sum("added to your balance" in m.text for m in alice.bot_messages) == 1
    assert await wallet_of(own_shop, alice) == (10 * USDT + 1, 0)
    assert "ledger OK" in await own_shop.check_ledger()


async def test_a_top_up_callback_result_is_told_once_after_a_crash_before_it(
    own_shop: Shop,
) -> None:
    own_shop.topup.process_seconds = 0.3  # the customer sees "waiting" before the callback
    customer, _ = await top_up_confirmation(own_shop, "254771114118", "100 KES · 0.79 USDT")
    held = [
        own_shop.emulator.hold(method, text_contains="Done!")
        for method in ("sendMessage", "editMessageText")
    ]
    await customer.press(CONFIRM)
    await _kill_when_held(own_shop, *held)
    [(order_id, status)] = await orders_of(own_shop, customer.user_id)
    assert status == OrderStatus.SUCCEEDED  # booked from KUMQUAT's callback before the bot died

    await own_shop.start_bot()
    done = await customer.wait_until(lambda m: "Done!" in m.text, timeout=RESTART_TIMEOUT)
    assert order_id in done.text
    assert "📶 Airtime 100 KES sent to +254771114118" in done.text
    await customer.settle(quiet=1.0)
    assert sum("Done!" in m.text for m in customer.bot_messages) == 1
    assert await wallet_of(own_shop, customer) == (9_210_000, 0)  # charged once
    assert "ledger OK" in await own_shop.check_ledger()


async def test_an_operators_credit_is_told_once_after_a_crash_before_it(own_shop: Shop) -> None:
    alice = own_shop.customer("Alice")
    await alice.send("/start")
    await alice.wait_for_bot()
    boss = own_shop.admin()
    held = own_shop.emulator.hold("sendMessage", text_contains="The shop added")
    await boss.send(f"/credit {alice.user_id} 5 <b>goodwill</b> for the outage")
    await _kill_when_held(own_shop, held)
    assert await wallet_of(own_shop, alice) == (5 * USDT, 0)  # booked before the bot died

    await own_shop.start_bot()
    told = await alice.wait_until(lambda m: "The shop added" in m.text, timeout=RESTART_TIMEOUT)
    assert "5.00 USDT" in told.text and "<b>goodwill</b> for the outage" in told.text
    await alice.settle(quiet=1.0)
    assert sum("The shop added" in m.text for m in alice.bot_messages) == 1
    assert await wallet_of(own_shop, alice) == (5 * USDT, 0)
    assert "ledger OK" in await own_shop.check_ledger()
