"""A press the bot gets to only after Telegram stopped taking answers for it (its spinner has
already stopped, after about 15 seconds: the bot was busy, restarting, or Telegram unreachable)
still does what the customer pressed for, and is no error."""

from __future__ import annotations

from sandbox.telegram.state import CALLBACK_QUERY_TTL
from tests.e2e.flows import CONFIRM, USDT, cloud_confirmation, orders_of
from tests.e2e.harness import Shop


def age_every_press(shop: Shop) -> None:
    """Every press so far is older than Telegram lets a bot answer it."""
    for record in shop.emulator.bot().callback_queries.values():
        record.created -= CALLBACK_QUERY_TTL + 1


async def test_a_confirm_answered_too_late_still_buys_and_logs_no_error(shop: Shop) -> None:
    assert shop.bot is not None
    customer, confirmation = await cloud_confirmation(shop, 20 * USDT)
    logged_before = len(shop.bot.log_lines)
    late = shop.emulator.hold("answerCallbackQuery")
    await customer.press(CONFIRM, message_id=confirmation.message_id)
    await late.reached.wait()
    age_every_press(shop)
    late.release()

    done = await customer.wait_until(lambda m: "Done!" in m.text, timeout=15)

    assert "10.00 USD added" in done.text
    assert [status for _, status in await orders_of(shop, customer.user_id)] == ["succeeded"]
    logged = shop.bot.log_lines[logged_before:]
    assert not [line for line in logged if "Traceback" in line or " ERROR " in line]
    confirm_press = list(shop.emulator.bot().callback_queries)[-1]
    assert any("answered too late" in line and confirm_press in line for line in logged)
