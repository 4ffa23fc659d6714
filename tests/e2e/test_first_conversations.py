"""A customer's first minutes with the shop, through the real bot polling the emulator."""

from __future__ import annotations

import re

from storage.ledger import Kind
from storage.orders import OrderStatus, OrderStore
from tests.e2e.harness import BOT_TOKEN, Shop

USDT = 1_000_000
HISTORY_LINE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}  ")


async def test_a_new_customer_is_welcomed_and_registered(shop: Shop) -> None:
    alice = shop.customer("Alice")
    await alice.send("/start")
    menu = await alice.wait_for_bot()

    assert "Welcome to the shop, Alice!" in menu.text
    assert "Balance: 0.00 USDT" in menu.text
    assert menu.labels[0] == "☁️ Cloud recharge"  # then every other configured product line
    assert menu.labels[-5:] == [
        "💰 Wallet",
        "👥 Invite friends",
        "🌐 Language",
        "❓ Help",
        "💬 Contact support",
    ]
    customer = await shop.customers.get(alice.user_id)
    assert customer is not None
    assert (customer.first_name, customer.language, customer.banned) == ("Alice", "en", False)


async def test_a_returning_customer_is_welcomed_back_with_their_balance(shop: Shop) -> None:
    bob = shop.customer("Bob")
    await bob.send("/start")
    await bob.wait_for_bot()
    await shop.deposit(bob, 25 * USDT + 500_000, key=f"returning-{bob.user_id}")

    await bob.send("/start")
    menu = await bob.wait_for_bot()

    assert "Welcome back, Bob." in menu.text
    assert "Welcome to the shop" not in menu.text
    assert "Balance: 25.50 USDT" in menu.text


async def test_names_are_shown_as_written_never_as_markup(shop: Shop) -> None:
    mallory = shop.customer('<b>Mal</b> & "Co" <a href="x">')
    await mallory.send("/start")
    menu = await mallory.wait_for_bot()
    assert 'Welcome to the shop, <b>Mal</b> & "Co" <a href="x">!' in menu.text


async def test_the_language_comes_from_telegram_with_english_as_fallback(shop: Shop) -> None:
    expectations = {
        "zh-hans": ("欢迎光临", "💰 钱包"),
        "vi": ("Chào mừng bạn đến cửa hàng", "💰 Ví"),
        "de": ("Welcome to the shop", "💰 Wallet"),
        None: ("Welcome to the shop", "💰 Wallet"),
    }
    for language_code, (greeting, wallet_label) in expectations.items():
        customer = shop.customer("Lan", language_code=language_code)
        await customer.send("/start")
        menu = await customer.wait_for_bot()
        assert greeting in menu.text, language_code
        assert wallet_label in menu.labels, language_code


async def test_an_empty_wallet_and_back_to_the_menu_in_the_same_message(shop: Shop) -> None:
    carol = shop.customer("Carol")
    await carol.send("/start")
    menu = await carol.wait_for_bot()

    await carol.press("💰 Wallet")
    wallet = await carol.wait_for_bot()
    assert wallet.message_id == menu.message_id
    assert "Available: 0.00 USDT" in wallet.text
    assert "No movements yet." in wallet.text
    assert "Held for orders" not in wallet.text
    assert wallet.labels == ["💰 Top up", "💬 Contact support", "⬅️ Back"]

    await carol.press("⬅️ Back")
    again = await carol.wait_for_bot()
    assert again.message_id == menu.message_id
    assert "Main menu" in again.text


async def test_the_wallet_history_is_paged_newest_first(shop: Shop) -> None:
    dave = shop.customer("Dave")
    await dave.send("/start")
    await dave.wait_for_bot()
    orders = OrderStore(shop.db)
    for number in range(1, 8):
        await shop.ledger.credit(dave.user_id, number * USDT, key=f"dave-{dave.user_id}-{number}")
    await shop.ledger.credit(
        dave.user_id,
        3 * USDT,
        key=f"dave-{dave.user_id}-gift",
        kind=Kind.ADJUSTMENT,
        memo="sorry for the wait",
        actor="admin:1",
    )
    sold = f"T{dave.user_id}A"
    await orders.create(sold, user_id=dave.user_id, product="cloud", charge=4 * USDT)
    hold = await shop.ledger.hold(dave.user_id, 4 * USDT, order_id=sold)
    await shop.ledger.post(hold.id)
    await orders.move(sold, OrderStatus.QUOTED, OrderStatus.SUCCEEDED, reason="test")
    returned = f"T{dave.user_id}B"
    await orders.create(returned, user_id=dave.user_id, product="cloud", charge=2 * USDT)
    hold = await shop.ledger.hold(dave.user_id, 2 * USDT, order_id=returned)
    await shop.ledger.void(hold.id)
    await orders.move(returned, OrderStatus.QUOTED, OrderStatus.FAILED, reason="test")
    pending = f"T{dave.user_id}C"
    await orders.create(pending, user_id=dave.user_id, product="cloud", charge=1 * USDT)
    await shop.ledger.hold(dave.user_id, 1 * USDT, order_id=pending)
    # 7 deposits + 1 correction + 3 holds + 1 void = 12 lines: pages of 5, 5 and 2.

    await dave.press("💰 Wallet")
    first = await dave.wait_for_bot()
    available = 28 + 3 - 4 - 1
    assert f"Available: {available}.00 USDT" in first.text
    assert "Held for orders in progress: 1.00 USDT" in first.text
    assert "History, page 1 of 3:" in first.text
    lines = [line for line in first.text.splitlines() if HISTORY_LINE.match(line)]
    assert len(lines) == 5
    assert f"Reserved for order {pending}  −1.00 USDT" in lines[0]
    assert f"Returned from order {returned}  +2.00 USDT" in lines[1]
    assert f"Reserved for order {returned}  −2.00 USDT" in lines[2]
    assert f"Reserved for order {sold}  −4.00 USDT" in lines[3]
    assert "Correction by the shop: sorry for the wait  +3.00 USDT" in lines[4]
    assert first.labels == ["Older ▶️", "💰 Top up", "💬 Contact support", "⬅️ Back"]

    await dave.press("Older ▶️")
    second = await dave.wait_for_bot()
    assert "History, page 2 of 3:" in second.text
    assert "Deposit  +7.00 USDT" in second.text
    assert "Deposit  +3.00 USDT" in second.text
    assert "Deposit  +2.00 USDT" not in second.text
    assert second.labels == ["◀️ Newer", "Older ▶️", "💰 Top up", "💬 Contact support", "⬅️ Back"]

    await dave.press("Older ▶️")
    third = await dave.wait_for_bot()
    assert "History, page 3 of 3:" in third.text
    assert "Deposit  +2.00 USDT" in third.text
    assert "Deposit  +1.00 USDT" in third.text
    assert third.labels == ["◀️ Newer", "💰 Top up", "💬 Contact support", "⬅️ Back"]

    await dave.press("◀️ Newer")
    assert "History, page 2 of 3:" in (await dave.wait_for_bot()).text


async def test_switching_between_all_three_languages(shop: Shop) -> None:
    erin = shop.customer("Erin")
    await erin.send("/start")
    await erin.wait_for_bot()

    await erin.press("🌐 Language")
    choices = await erin.wait_for_bot()
    assert choices.labels == ["✓ English", "简体中文", "Tiếng Việt", "⬅️ Back"]

    await erin.press("简体中文")
    chinese = await erin.wait_for_bot()
    assert "语言已切换为简体中文" in chinese.text
    assert "主菜单" in chinese.text
    await erin.press("💰 钱包")
    assert "暂无记录" in (await erin.wait_for_bot()).text
    await erin.press("⬅️ 返回")
    await erin.wait_for_bot()

    await erin.press("🌐 语言")
    assert (await erin.wait_for_bot()).labels[1] == "✓ 简体中文"
    await erin.press("Tiếng Việt")
    vietnamese = await erin.wait_for_bot()
    assert "Đã chuyển sang tiếng Việt" in vietnamese.text
    assert "💰 Ví" in vietnamese.labels

    await erin.send("/start")
    assert "Chào mừng bạn quay lại" in (await erin.wait_for_bot()).text
    customer = await shop.customers.get(erin.user_id)
    assert customer is not None and customer.language == "vi"

    await erin.press("🌐 Ngôn ngữ")
    await erin.wait_for_bot()
    await erin.press("English")
    assert "Language set to English" in (await erin.wait_for_bot()).text


async def test_help_explains_the_shop(shop: Shop) -> None:
    frank = shop.customer("Frank")
    await frank.send("/help")
    help_text = await frank.wait_for_bot()
    assert "How this shop works" in help_text.text
    assert "/cancel" in help_text.text
    assert help_text.labels == ["⬅️ Back"]


async def test_a_support_question_reaches_the_operators(shop: Shop) -> None:
    grace = shop.customer("Grace <3", username="grace_g")
    operators = shop.admin()
    await grace.send("/start")
    await grace.wait_for_bot()

    await grace.press("💬 Contact support")
    prompt = await grace.wait_for_bot()
    assert "at most 1,000 characters" in prompt.text
    assert prompt.labels == ["✖️ Cancel"]

    await grace.send("x" * 1001)
    too_long = await grace.wait_for_bot()
    assert "That is 1,001 characters" in too_long.text

    await grace.send("Where is my <order>? & thanks")
    card = await operators.wait_for_bot()
    assert "Support request from Grace <3 @grace_g" in card.text
    assert f"id {grace.user_id}" in card.text
    assert "Where is my <order>? & thanks" in card.text
    done = await grace.wait_for_bot()
    assert "went to the shop's operators" in done.text


async def test_cancel_mid_flow_leaves_nothing_behind(shop: Shop) -> None:
    heidi = shop.customer("Heidi")
    operators = shop.admin()
    await heidi.send("/cancel")
    assert "Nothing to cancel." in (await heidi.wait_for_bot()).text

    await heidi.press("💬 Contact support")
    await heidi.wait_for_bot()
    await heidi.send("/cancel")
    cancelled = await heidi.wait_for_bot()
    assert "Cancelled. Nothing was changed." in cancelled.text
    assert "Main menu" in cancelled.text

    cards_before = len(operators.bot_messages)
    await heidi.send("this is not a question any more")
    reply = await heidi.wait_for_bot()
    assert "I didn't understand that" in reply.text
    await heidi.settle()
    assert len(operators.bot_messages) == cards_before

    await heidi.press("🏠 Main menu")
    await heidi.wait_for_bot()
    await heidi.press("💬 Contact support")
    await heidi.wait_for_bot()
    await heidi.press("✖️ Cancel")
    assert "Cancelled. Nothing was changed." in (await heidi.wait_for_bot()).text


async def test_two_fast_messages_are_handled_in_order(shop: Shop) -> None:
    ivan = shop.customer("Ivan")
    operators = shop.admin()
    await ivan.send("/start")
    await ivan.wait_for_bot()
    await ivan.press("💬 Contact support")
    await ivan.wait_for_bot()
    cards_before = len(operators.bot_messages)

    await ivan.send("first: the question")
    await ivan.send("second: after the question was sent")
    await ivan.settle()

    cards = operators.bot_messages[cards_before:]
    assert [card.text.splitlines()[-1] for card in cards] == ["first: the question"]
    replies = [message.text for message in ivan.bot_messages[-2:]]
    assert "went to the shop's operators" in replies[0]
    assert "I didn't understand that" in replies[1]


async def test_forged_and_stale_buttons_change_nothing(shop: Shop) -> None:
    judy = shop.customer("Judy")
    await judy.send("/start")
    menu = await judy.wait_for_bot()

    for forged in ("open:admin", "lang:xx", "wallet:notanumber", "nonsense", "cancel:extra:x"):
        await judy.press_data(forged, message_id=menu.message_id)
        await judy.settle()
        assert judy.callback_answers[-1]["text"] == (
            "⚠️ That button is out of date. Send /start for a fresh menu."
        )
        current = judy.last_bot_message
        assert current is not None and current.text == menu.text

    await judy.press_data("wallet:999", message_id=menu.message_id)
    wallet = await judy.wait_for_bot()
    assert "No movements yet." in wallet.text


async def test_a_product_button_of_an_older_version_is_out_of_date(shop: Shop) -> None:
    """The product lines used to open on `open:<line>`; such a button, still under an old menu in
    the chat, changes nothing, and the customer is told to take a fresh menu."""
    kit = shop.customer("Kit")
    await kit.send("/start")
    menu = await kit.wait_for_bot()

    for old in ("open:cloud", "open:energy", "open:topup", "open:accounts", "open:acedata"):
        await kit.press_data(old, message_id=menu.message_id)
        await kit.settle()
        assert kit.callback_answers[-1]["text"] == (
            "⚠️ That button is out of date. Send /start for a fresh menu."
        )
        current = kit.last_bot_message
        assert current is not None and current.text == menu.text


async def test_unknown_text_points_to_the_menu(shop: Shop) -> None:
    ken = shop.customer("Ken")
    await ken.send("hello?")
    reply = await ken.wait_for_bot()
    assert "I didn't understand that" in reply.text
    assert reply.labels == ["🏠 Main menu"]


async def test_a_banned_customer_gets_one_polite_line(shop: Shop) -> None:
    leo = shop.customer("Leo")
    await leo.send("/start")
    menu = await leo.wait_for_bot()
    await shop.customers.set_banned(leo.user_id, True)

    await leo.send("/start")
    reply = await leo.wait_for_bot()
    assert reply.text == (
        "Sorry, this account can no longer use the shop. "
        "If you think this is a mistake, please contact the shop's owner."
    )
    assert reply.labels == []
    await leo.settle()
    assert len(leo.bot_messages) == 2

    await leo.press("💰 Wallet", message_id=menu.message_id)
    await leo.settle()
    assert leo.callback_answers[-1]["text"].startswith("Sorry, this account")
    assert leo.callback_answers[-1]["show_alert"] is True
    assert len(leo.bot_messages) == 2


async def test_group_members_are_not_customers(shop: Shop) -> None:
    stranger = shop.admin_group.as_user(user_id=777_777, first_name="Stranger")
    await stranger.send("/start")
    await stranger.settle()
    assert await shop.customers.get(777_777) is None
    assert stranger.bot_messages == [] or all(
        "Welcome" not in message.text for message in stranger.bot_messages
    )


async def test_the_token_never_reaches_the_log(shop: Shop) -> None:
    assert shop.bot is not None
    assert shop.bot.log_lines, "the bot logged nothing at all"
    secret = BOT_TOKEN.split(":")[1]
    assert secret not in shop.bot.log
    assert "Traceback" not in shop.bot.log


async def test_a_screen_telegram_drew_but_answered_with_a_gateway_page_is_no_error(
    shop: Shop,
) -> None:
    """Telegram carries out the welcome, then a gateway's 502 page stands in for its answer: the
    customer sees the welcome and nothing else, the next tap works, and the log has no
    traceback."""
    assert shop.bot is not None
    logged_before = len(shop.bot.log_lines)
    dora = shop.customer("Dora")
    shop.emulator.fail_through_gateway("sendMessage")
    await dora.send("/start")
    welcome = await dora.wait_for_bot()
    assert "Welcome to the shop" in welcome.text
    await dora.settle(quiet=1.0)
    assert [m.text for m in dora.bot_messages] == [welcome.text]  # no "Something went wrong"
    await dora.send("/start")
    assert "🏠 Main menu" in (await dora.wait_for_bot()).text
    logged = shop.bot.log_lines[logged_before:]
    assert not [line for line in logged if "Traceback" in line or " ERROR " in line]
    assert any("Telegram did not answer a call" in line for line in logged)
