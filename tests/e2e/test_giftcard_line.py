"""A product line declared by the tests alone (`tests.e2e.giftcard`), bought by a customer through
the real bot against the Telegram emulator, settled after a lost answer by the follow-up job, and
shown to the operators by `/providers` and `/stats`: a line is one unit, nothing else is edited.

The bot runs as its own process, so the line is registered there: `STOREFRONT_EXTRA_MODULES`
makes the bot import `tests.e2e.giftcard.declare`, which registers the line unit and the
conversation unit; they go when the bot stops."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest_asyncio

from bot.wiring.extra import EXTRA_MODULES
from storage.orders import OrderStatus
from tests.e2e.flows import CONFIRM, USDT, new_customer, orders_of, wallet_of
from tests.e2e.giftcard.upstream import API_KEY, GiftcardUpstream
from tests.e2e.harness import Shop, until

MENU = "🎁 Gift cards"


@pytest_asyncio.fixture
async def gifts() -> AsyncIterator[GiftcardUpstream]:
    upstream = GiftcardUpstream()
    await upstream.start()
    yield upstream
    await upstream.stop()


@pytest_asyncio.fixture
async def gift_shop(tmp_path: Path, gifts: GiftcardUpstream) -> AsyncIterator[Shop]:
    """A shop whose bot knows the gift card line, configured against its simulator."""
    env = {
        EXTRA_MODULES: "tests.e2e.giftcard.declare",
        "GIFTCARD_BASE_URL": gifts.url,
        "GIFTCARD_API_KEY": API_KEY,
    }
    running = Shop(tmp_path, extra_env=env)
    await running.start()
    yield running
    await running.stop()


async def test_a_gift_card_is_in_the_menu_and_bought(
    gift_shop: Shop, gifts: GiftcardUpstream
) -> None:
    cleo = gift_shop.customer("Cleo")
    await cleo.send("/start")
    menu = await cleo.wait_for_bot()
    products = menu.labels[: menu.labels.index("📦 My orders")]
    assert products[-1] == MENU  # after the shop's own lines, in the lines' order
    assert "☁️ Cloud recharge" in products

    await gift_shop.deposit(cleo, 20 * USDT, key=f"gift-{cleo.user_id}")
    await cleo.press(MENU)
    cards = await cleo.wait_for_bot()
    assert "Which gift card?" in cards.text
    assert cards.labels == ["5 USD card", "10 USD card", "⬅️ Back", "✖️ Cancel"]
    await cleo.press("5 USD card")
    confirm = await cleo.wait_for_bot()
    assert "A gift card worth 5 USD." in confirm.text
    # its own default markup, 8 %, declared with the line
    assert "You pay 5.40 USDT from your balance (20.00 USDT available)" in confirm.text

    await cleo.press(CONFIRM)
    done = await cleo.wait_until(lambda m: "Done!" in m.text)
    [(order_id, status)] = await orders_of(gift_shop, cleo.user_id)
    assert f"a gift card worth 5 USD, code {gifts.orders[order_id]['code']}" in done.text
    assert status == OrderStatus.SUCCEEDED
    assert await wallet_of(gift_shop, cleo) == (20 * USDT - 5_400_000, 0)
    assert gifts.balance == Decimal(95)
    await gift_shop.check_ledger()


async def test_a_lost_answer_is_settled_by_the_follow_up(
    gift_shop: Shop, gifts: GiftcardUpstream
) -> None:
    cleo = await new_customer(gift_shop, 20 * USDT)
    await cleo.press(MENU)
    await cleo.wait_for_bot()
    await cleo.press("10 USD card")
    await cleo.wait_for_bot()
    gifts.lose_answers = 1  # the card is made, the answer lost on the way
    await cleo.press(CONFIRM)

    done = await cleo.wait_until(lambda m: "Done!" in m.text, timeout=20)
    [(order_id, status)] = await orders_of(gift_shop, cleo.user_id)
    assert f"code {gifts.orders[order_id]['code']}" in done.text
    assert status == OrderStatus.SUCCEEDED
    assert gifts.lose_answers == 0 and gifts.lookups >= 1  # asked, never bought again
    assert list(gifts.orders) == [order_id]
    assert gifts.balance == Decimal(90)
    assert await wallet_of(gift_shop, cleo) == (20 * USDT - 10_800_000, 0)
    await gift_shop.check_ledger()


async def test_operators_see_the_line_in_providers_and_stats(
    gift_shop: Shop, gifts: GiftcardUpstream
) -> None:
    boss = gift_shop.admin()
    gifts.balance = Decimal("12.5")
    await boss.send("/providers")
    shown = await boss.wait_for_bot(timeout=30)
    rows = shown.text.splitlines()
    assert rows[-2].startswith("AceData: ")
    assert rows[-1] == "Gift cards: ✅ answers · balance 12.5 USD · ⚠️ low: alert under 20 USD"

    cleo = await new_customer(gift_shop, 20 * USDT)
    await cleo.press(MENU)
    await cleo.wait_for_bot()
    await cleo.press("5 USD card")
    await cleo.wait_for_bot()
    await cleo.press(CONFIRM)
    await cleo.wait_until(lambda m: "Done!" in m.text)
    await until(lambda: len(gifts.orders) == 1, "the card is bought")

    await boss.send("/stats")
    stats = await boss.wait_for_bot()
    assert (
        "giftcard: 1 placed, 1 delivered · revenue 5.40 USDT · cost 5.00 USDT · "
        "margin 0.40 USDT" in stats.text
    ), stats.text

    await boss.send("/prices")
    prices = await boss.wait_for_bot()
    assert "giftcard: 8 %" in prices.text, prices.text
    await boss.send("/setmarkup giftcard 12")
    changed = await boss.wait_for_bot()
    assert "giftcard" in changed.text and "12" in changed.text, changed.text
