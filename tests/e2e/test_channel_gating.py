"""REQUIRED_CHANNEL, end to end: a customer must join the shop's channel first; one who bought
before, or is in the middle of a purchase, is never locked out; a bot that is no administrator of
the channel does not start, and says why in one line."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from sandbox.telegram.state import Chat
from tests.e2e.flows import CONFIRM, USDT, cloud_account
from tests.e2e.harness import Shop

CHANNEL_ID = -1009988776655
JOIN = "📢 To use the shop, join our channel @shop_news first"


def _channel(shop: Shop) -> Chat:
    return shop.emulator.channel(CHANNEL_ID, "shop_news", "Shop news")


@pytest_asyncio.fixture
async def gated(tmp_path: Path) -> AsyncIterator[tuple[Shop, Chat]]:
    shop = Shop(tmp_path, {"REQUIRED_CHANNEL": "@shop_news"})
    channel = _channel(shop)
    channel.statuses[shop.emulator.bot().user.id] = "administrator"
    await shop.start()
    yield shop, channel
    await shop.stop()


async def test_a_customer_joins_the_channel_before_using_the_shop(
    gated: tuple[Shop, Chat],
) -> None:
    shop, channel = gated
    jo = shop.customer("Jo")
    channel.statuses[jo.user_id] = "member"
    await jo.send("/start")
    await jo.wait_for_bot()
    await jo.press("👥 Invite friends")
    link = (await jo.wait_for_bot()).text
    invitation = link[link.index("?start=") + len("?start=") :].split()[0]

    kim = shop.customer("Kim")
    await kim.send(f"/start {invitation}")  # a friend's link: taken though the gate stops her
    asked = await kim.wait_for_bot()
    assert JOIN in asked.text
    assert asked.labels == ["📢 Open the channel", "✅ I've joined"]
    assert asked.buttons[0][0].url == "https://t.me/shop_news"

    await kim.press("✅ I've joined")  # not yet
    await kim.settle()
    assert kim.callback_answers[-1]["text"] == (
        "You are not in the channel yet: join it, then press “I've joined” again."
    )
    assert kim.callback_answers[-1].get("show_alert") in (True, "true")
    channel.statuses[kim.user_id] = "member"
    await kim.press("✅ I've joined")
    menu = await kim.wait_until(lambda m: "Main menu" in m.text)
    assert "☁️ Cloud recharge" in menu.labels
    referrer = await shop.db.fetch_value(
        "SELECT referrer_id FROM referrals WHERE user_id = ?", (kim.user_id,)
    )
    assert referrer == jo.user_id
    await shop.check_ledger()


async def test_a_paying_customer_is_never_locked_out(gated: tuple[Shop, Chat]) -> None:
    shop, channel = gated
    lee = shop.customer("Lee")
    channel.statuses[lee.user_id] = "member"
    await lee.send("/start")
    await lee.wait_for_bot()
    await shop.deposit(lee, 100 * USDT, key=f"e2e-deposit-{lee.user_id}")
    await cloud_account(lee, "Tencent Cloud", "200000000000")
    channel.statuses[lee.user_id] = "left"  # mid-purchase: still let in
    await lee.press("10 USD")
    await lee.wait_for_bot()
    await lee.press(CONFIRM)
    await lee.wait_until(lambda m: "Done!" in m.text)

    # Bought before: let in, although no longer in the channel.
    await lee.send("/start")
    assert "Main menu" in (await lee.wait_for_bot()).text
    await lee.press("📦 My orders")
    assert "page 1 of 1" in (await lee.wait_for_bot()).text

    # Money with the shop and nothing bought yet (a deposit, a gift): let in too.
    max_ = shop.customer("Max")
    await max_.send("/start")
    assert JOIN in (await max_.wait_for_bot()).text
    await shop.deposit(max_, 5 * USDT, key=f"e2e-deposit-{max_.user_id}")
    await max_.send("/start")
    assert "Balance: 5.00 USDT" in (await max_.wait_for_bot()).text
    await shop.check_ledger()


async def test_telegram_in_trouble_at_start_up_does_not_stop_the_shop(tmp_path: Path) -> None:
    shop = Shop(tmp_path, {"REQUIRED_CHANNEL": "@shop_news"})
    channel = _channel(shop)
    channel.statuses[shop.emulator.bot().user.id] = "administrator"
    shop.emulator.fail_through_gateway("getChatMember")  # the start-up check's call
    await shop.start()
    try:
        assert shop.bot is not None
        assert "cannot check the bot's place in @shop_news now" in shop.bot.log
        ned = shop.customer("Ned")
        await ned.send("/start")
        assert JOIN in (await ned.wait_for_bot()).text  # the gate works all the same
    finally:
        await shop.stop()


async def test_a_bot_that_is_no_admin_of_the_channel_does_not_start(tmp_path: Path) -> None:
    shop = Shop(tmp_path, {"REQUIRED_CHANNEL": "@shop_news"})
    _channel(shop)  # the bot is not one of its administrators
    await shop.emulator.start(host="127.0.0.1", port=0)
    await shop.upstreams.start()
    try:
        code, said = await shop.run_command("run")
    finally:
        await shop.stop()
    assert code == 2, said
    assert said.strip().splitlines()[-1] == (
        "configuration error: REQUIRED_CHANNEL is invalid: the bot is not an administrator of "
        "@shop_news; make it one (it needs no rights), or leave REQUIRED_CHANNEL empty"
    )
    assert "Traceback" not in said
