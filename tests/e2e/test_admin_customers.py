"""Operators and customers in the admin group: /user, /credit, /debit, /ban, /unban."""

from __future__ import annotations

from tests.e2e.flows import USDT, new_customer, wallet_of
from tests.e2e.harness import Shop


async def test_a_credit_reaches_the_wallet_and_the_customer_in_their_language(shop: Shop) -> None:
    boss = shop.admin()
    lan = shop.customer("Lan", language_code="vi", username="lan_vn")
    await lan.send("/start")
    await lan.wait_for_bot()

    await boss.send("/credit @lan_vn 10.50 paid in cash at the counter")
    done = await boss.wait_for_bot()
    assert "Credited 10.50 USDT to Lan @lan_vn" in done.text
    assert "Available now 10.50 USDT" in done.text
    told = await lan.wait_for_bot()
    assert "Cửa hàng đã cộng 10.50 USDT vào số dư của bạn: paid in cash at the counter" in told.text
    assert await wallet_of(shop, lan) == (10_500_000, 0)

    await boss.send(f"/debit {lan.user_id} 0.50 fee")
    assert "Debited 0.50 USDT from Lan" in (await boss.wait_for_bot()).text
    assert "Cửa hàng đã trừ 0.50 USDT" in (await lan.wait_for_bot()).text
    assert await wallet_of(shop, lan) == (10 * USDT, 0)

    await boss.send(f"/user {lan.user_id}")
    card = await boss.wait_for_bot()
    assert "Available 10.00 USDT" in card.text
    assert "admin 900001 credit: 0.00 USDT → +10.50 USDT (paid in cash at the counter)" in (
        card.text
    )
    assert "admin 900001 debit: 10.50 USDT → -0.50 USDT (fee)" in card.text
    await shop.check_ledger()


async def test_a_debit_never_takes_a_wallet_below_zero(shop: Shop) -> None:
    boss = shop.admin()
    mo = await new_customer(shop, 3 * USDT, "Mo")
    await boss.send(f"/debit {mo.user_id} 5 correction")
    refused = await boss.wait_for_bot()
    assert "Not done: debiting 5.00 USDT would take Mo" in refused.text
    assert "below zero (available 3.00 USDT)" in refused.text
    assert await wallet_of(shop, mo) == (3 * USDT, 0)


async def test_bad_arguments_are_explained_and_change_nothing(shop: Shop) -> None:
    boss = shop.admin()
    ivy = await new_customer(shop, 0, "Ivy")
    for command, expected in (
        ("/credit", "Not done: give the customer, the amount and a reason"),
        (f"/credit {ivy.user_id} 5", "Not done: give the customer, the amount and a reason"),
        (f"/credit {ivy.user_id} abc goodwill", "the amount abc is not a number"),
        (f"/credit {ivy.user_id} 0 goodwill", "the amount 0 is not positive"),
        (f"/credit {ivy.user_id} 1.005 goodwill", "the amount 1.005 is too many decimals"),
        (f"/credit {ivy.user_id} 100001 goodwill", "the amount 100001 is above maximum"),
        ("/credit @nobody_here 5 goodwill", "No customer @nobody_here"),
        ("/credit <b>x</b> 5 goodwill", "No customer <b>x</b>"),
        ("/user", "No customer (none given)"),
        ("/ban 999999999", "No customer 999999999"),
    ):
        await boss.send(command)
        reply = await boss.wait_for_bot()
        assert expected in reply.text, (command, reply.text)
    assert await wallet_of(shop, ivy) == (0, 0)


async def test_a_banned_customer_is_stopped_until_unbanned(shop: Shop) -> None:
    boss = shop.admin()
    zed = await new_customer(shop, 0, "Zed")
    await boss.send(f"/user {zed.user_id}")
    card = await boss.wait_for_bot()
    await boss.press("🚫 Ban", message_id=card.message_id)
    await boss.settle()
    assert boss.callback_answers[-1]["text"] == "Now banned."
    assert "🚫 banned" in boss.chat.messages[card.message_id].text
    await zed.send("/start")
    assert "can no longer use the shop" in (await zed.wait_for_bot()).text

    await boss.send(f"/ban {zed.user_id}")
    assert "was already banned" in (await boss.wait_for_bot()).text
    await boss.send(f"/unban {zed.user_id}")
    assert "is now not banned" in (await boss.wait_for_bot()).text
    await zed.send("/start")
    assert "Welcome back" in (await zed.wait_for_bot()).text


async def test_money_commands_from_anyone_else_do_nothing(shop: Shop) -> None:
    visitor = shop.group_visitor()
    ann = await new_customer(shop, 0, "Ann")
    seen = len(visitor.bot_messages)
    await visitor.send(f"/credit {ann.user_id} 50 free money")
    await visitor.settle()
    assert len(visitor.bot_messages) == seen
    await ann.send(f"/credit {ann.user_id} 50 free money")  # in her own private chat
    assert "I didn't understand that" in (await ann.wait_for_bot()).text
    assert await wallet_of(shop, ann) == (0, 0)
