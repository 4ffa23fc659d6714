"""A message to someone else (the operators' alert about a customer's order) that Telegram is
slow to take must not hold up the customer's own chat: the handler that recorded it sends it for
a few seconds, then leaves it to go on by itself. Found by the soak: an alert held by Telegram
kept a customer's second tap on Confirm waiting past the time Telegram lets a bot answer it."""

from __future__ import annotations

from bot.telegram.outbox import SEND_NOW_PATIENCE
from tests.e2e.flows import CONFIRM, USDT, cloud_account, new_customer
from tests.e2e.harness import Shop

FAILING_UID = "200000000409"  # upstream fails its recharges: the operators get an alert


async def test_a_slow_alert_to_the_operators_does_not_hold_up_the_customer(shop: Shop) -> None:
    operators = shop.admin()
    cleo = await new_customer(shop, 100 * USDT)
    await cloud_account(cleo, "Tencent Cloud", FAILING_UID)
    await cleo.press("10 USD")
    await cleo.wait_for_bot()
    slow_alert = shop.emulator.hold("sendMessage", text_contains="(recharge_failed)")
    try:
        await cleo.press(CONFIRM)
        failed = await cleo.wait_until(lambda m: "could not be completed" in m.text)
        await slow_alert.reached.wait()
        await cleo.send("/start")
        menu = await cleo.wait_until(
            lambda m: "Main menu" in m.text and m.message_id > failed.message_id,
            timeout=SEND_NOW_PATIENCE + 5,
        )
        assert "Balance: 100.00 USDT" in menu.text
    finally:
        slow_alert.release()
    alert = await operators.wait_until(lambda m: "(recharge_failed)" in m.text)
    assert FAILING_UID in alert.text or "recharge_failed" in alert.text
