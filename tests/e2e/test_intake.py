"""A flood of updates waits at Telegram, not in the bot's memory, and a customer in the middle of a
flow is still served.

20,000 new customers send /start at once (FLOOD_UPDATES). The bot takes in only as many updates as
it handles at a time, so its resident memory stays flat however long the queue at Telegram is.
The test follows the flood until FLOOD_ANSWERED of them were answered (2,000: well past the point
where a bot that takes in everything has fetched all 20,000); `FLOOD_ANSWERED=20000` follows it to
the end, which takes a minute or two.
"""

from __future__ import annotations

import asyncio
import contextlib
import os

from bot.telegram.intake import PER_CHAT
from tests.e2e.flows import new_customer
from tests.e2e.harness import Shop, until

FLOOD = int(os.environ.get("FLOOD_UPDATES", "20000"))
ANSWERED = min(int(os.environ.get("FLOOD_ANSWERED", "2000")), FLOOD)
MEMORY_LIMIT_MB = 300.0
CUSTOMER_AT = 1000  # the customer in a flow acts after this many of the flood's updates
ANSWERS_PER_SECOND = 50  # far below what the bot does, for the waiting's deadline only


async def test_a_flood_of_new_customers_waits_at_telegram_not_in_memory(own_shop: Shop) -> None:
    assert own_shop.bot is not None
    bot = own_shop.bot
    rae = await new_customer(own_shop, 0, "Rae")
    await rae.press("💰 Wallet")
    await rae.wait_for_bot()
    fans = [own_shop.customer(f"Fan {n}") for n in range(FLOOD)]
    peak = bot.resident_megabytes()

    async def watch_memory() -> None:
        nonlocal peak
        while True:
            peak = max(peak, bot.resident_megabytes())
            await asyncio.sleep(0.05)

    watching = asyncio.create_task(watch_memory())
    try:
        for n, fan in enumerate(fans):
            if n == CUSTOMER_AT:
                await rae.press("⬅️ Back")
            await fan.send("/start")
        answered = await rae.wait_for_bot(timeout=60)
        assert "🏠 Main menu" in answered.text and "💰 Wallet" in answered.labels
        await until(
            lambda: sum(1 for fan in fans if fan.chat.events) >= ANSWERED,
            f"{ANSWERED} of the flood were answered",
            timeout=30 + ANSWERED / ANSWERS_PER_SECOND,
        )
    finally:
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching
    assert peak < MEMORY_LIMIT_MB, f"the bot grew to {peak:.0f} MB under the flood"
    welcomed = [fan for fan in fans if fan.chat.events]
    assert all("Welcome to the shop" in fan.bot_messages[0].text for fan in welcomed[:100])
    await own_shop.check_ledger()


async def test_one_customer_tapping_away_while_served_slowly_does_not_stall_the_others(
    shop: Shop,
) -> None:
    """Ann's /start waits on a Telegram call held back; meanwhile she sends 150 more updates, more
    than the bot takes in at once. Bob, a new customer, is still welcomed while she waits."""
    ann = await new_customer(shop, 0, "Ann")
    stuck = shop.emulator.hold("sendMessage", text_contains="Welcome back")
    try:
        await ann.send("/start")
        await asyncio.wait_for(stuck.reached.wait(), 10)
        for _ in range(150):
            await ann.send("/start")
        bob = shop.customer("Bob")
        await bob.send("/start")
        welcome = await bob.wait_for_bot(timeout=20)
        assert "Welcome to the shop" in welcome.text
    finally:
        stuck.release()
    await until(lambda: len(ann.bot_messages) > 1, "Ann's held answer arrived")
    await ann.settle()
    answered = [m for m in ann.bot_messages if "Welcome back" in m.text]
    assert 1 <= len(answered) <= 1 + PER_CHAT  # the one held, and what waited behind it
    await shop.check_ledger()


async def test_the_operators_group_is_never_skipped_however_busy(shop: Shop) -> None:
    """Operators share one chat: a command waiting behind five others is still answered."""
    boss = shop.admin()
    stuck = shop.emulator.hold("sendMessage", text_contains="Prices for new quotes")
    try:
        await boss.send("/prices")
        await asyncio.wait_for(stuck.reached.wait(), 10)
        for _ in range(PER_CHAT + 3):
            await boss.send("/prices")
    finally:
        stuck.release()
    await until(
        lambda: sum("Prices for new quotes" in m.text for m in boss.bot_messages) == PER_CHAT + 4,
        "every /prices was answered",
    )
