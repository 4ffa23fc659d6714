"""Stopping while a handler waits on a call Telegram does not answer: after the bounded wait the
updates still in hand are cut short, rather than run on against a shop that is closing (its
translations unloaded, its database closed)."""

from __future__ import annotations

import asyncio

from tests.e2e.harness import Shop


async def test_updates_waiting_behind_a_call_telegram_holds_end_without_an_error(
    own_shop: Shop,
) -> None:
    assert own_shop.bot is not None
    customer = own_shop.customer("Hana")
    held = own_shop.emulator.hold("sendMessage", text_contains="Welcome")
    await customer.send("/start")
    await held.reached.wait()
    await customer.send("/start")  # waits for the first: one update of a chat at a time
    await customer.send("/help")
    await asyncio.sleep(0.5)

    stopping = own_shop.bot
    await stopping.stop()
    held.drop()

    assert stopping.log_lines, "the bot logged nothing"
    assert not [line for line in stopping.log_lines if "Traceback" in line or " ERROR " in line]
    # The three /start, /start, /help: the first waiting on Telegram, the others on their turn.
    assert any("cancelled 3 handlers still running" in line for line in stopping.log_lines)
