"""Operators and customers in the admin group: /user, /credit, /debit, /ban, /unban."""

from __future__ import annotations

from tests.e2e.flows import USDT, new_customer, wallet_of
from tests.e2e.harness import Shop


async def test_a_credit_reaches_the_wallet_and_the_customer_in_their_language(
    any_shop: Shop,
) -> None:
    boss = any_shop.admin()
    lan = any_shop.customer("Lan", language_code="vi", username="lan_vn")
    await lan.send("/start")
    await lan.wait_for_bot()

    await boss.send("/credit @lan_vn 10.50 paid in cash at the counter")
    done = await boss.wait_for_bot()
    assert "Credited 10.50 USDT to Lan @lan_vn" in done.text
    assert "Available now 10.50 USDT" in done.text
    told = await lan.wait_for_bot()
    assert "Cửa hàng đã cộng 10.50 USDT vào số dư của bạn: paid in cash at the counter" in told.text
    assert await wallet_of(any_shop, lan) == (10_500_000, 0)

    await boss.send(f"/debit {lan.user_id} 0.50 fee")
    assert "Debited 0.50 USDT from Lan" in (await boss.wait_for_bot()).text
    assert "Cửa hàng đã trừ 0.50 USDT" in (await lan.wait_for_bot()).text
    assert await wallet_of(any_shop, lan) == (10 * USDT, 0)

    await boss.send(f"/user {lan.user_id}")
    card = await boss.wait_for_bot()
    assert "Available 10.00 USDT" in card.text
    assert "admin 900001 credit: 0.00 USDT → +10.50 USDT (paid in cash at the counter)" in (
        card.text
    )
    assert "admin 900001 debit: 10.50 USDT → -0.50 USDT (fee)" in card.text
    await any_shop.check_ledger()


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
        ("/credit @nobody_here 5 goodwill", "Not done: no customer @nobody_here"),
        ("/credit <b>x</b> 5 goodwill", "Not done: no customer <b>x</b>"),
        ("/user", "Not done: no customer (none given)"),
        ("/ban 999999999", "Not done: no customer 999999999"),
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


# Every operator command that names a customer (USER).
def _naming(who: str) -> tuple[str, ...]:
    return (
        f"/user {who}",
        f"/credit {who} 5 goodwill",
        f"/debit {who} 5 correction",
        f"/ban {who}",
        f"/unban {who}",
        f"/assign 1 {who}",
    )


async def _what_operators_changed(shop: Shop) -> tuple[int, ...]:
    counts = []
    for table in ("users", "ledger_transactions", "admin_actions", "payments"):
        counts.append(int(await shop.db.fetch_value(f"SELECT COUNT(*) FROM {table}")))
    banned = await shop.db.fetch_value("SELECT COUNT(*) FROM users WHERE banned = 1")
    return (*counts, int(banned))


async def test_an_id_no_telegram_user_can_have_is_explained_and_changes_nothing(
    shop: Shop,
) -> None:
    boss = shop.admin()
    before = await _what_operators_changed(shop)
    # 20 digits, 2**63 (one past SQLite's integers) and 2**52 (one past Telegram's user ids).
    for too_big in ("12345678901234567890", "9223372036854775808", "4503599627370496"):
        for command in _naming(too_big):
            await boss.send(command)
            reply = await boss.wait_for_bot()
            assert f"{too_big} is not a Telegram user id" in reply.text, (command, reply.text)
            assert "at most 4503599627370495" in reply.text, (command, reply.text)
    assert await _what_operators_changed(shop) == before


async def test_a_username_two_customers_share_is_refused_with_both_named(shop: Shop) -> None:
    boss = shop.admin()
    # Telegram lets a username pass from one account to another: both are stored with it.
    handle = f"twin{shop.customer().user_id}"
    ann = shop.customer("Ann", username=handle)
    bob = shop.customer("Bob", username=handle.upper())
    for twin in (ann, bob):
        await twin.send("/start")
        await twin.wait_for_bot()
    before = await _what_operators_changed(shop)

    for command in _naming(f"@{handle}"):
        await boss.send(command)
        reply = await boss.wait_for_bot()
        assert f"2 customers have the username @{handle}" in reply.text, (command, reply.text)
        assert f"Ann ({ann.user_id})" in reply.text and f"Bob ({bob.user_id})" in reply.text
        assert "give the id of the one you mean" in reply.text, (command, reply.text)
    assert await _what_operators_changed(shop) == before
    assert await wallet_of(shop, ann) == await wallet_of(shop, bob) == (0, 0)

    await boss.send(f"/credit {bob.user_id} 1.25 goodwill")  # by id, as the refusal says
    assert "Credited 1.25 USDT to Bob" in (await boss.wait_for_bot()).text
    assert await wallet_of(shop, bob) == (1_250_000, 0)
    await shop.check_ledger()
