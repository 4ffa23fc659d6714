"""Ready-made accounts, as a customer sees them: real bot, emulator and account shop simulator.

The simulator's services: 1 "Clone US" (facebook, 300 VND, 850 in stock), 2 "Via VN 2FA"
(facebook, 12,000 VND, 40 in stock, 2 to 20 per order), 3 "Gmail aged" (email, sold out),
4 "Outlook fresh" (email, 800 VND, 500 in stock). 1 VND = 0.000039 USDT, plus a 10% markup.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from sandbox.telegram import ChatDriver, ChatMessage
from storage.orders import OrderStatus
from tests.e2e.flows import CONFIRM, USDT, new_customer, orders_of, wallet_of
from tests.e2e.harness import Shop

ACCOUNTS = "🛒 Accounts"
ORDER_PATH = "/user/api/order.php"


async def open_service(customer: ChatDriver, kind: str, service: str) -> ChatMessage:
    """Open the accounts shop, choose `kind`, press the service whose label starts `service`."""
    await customer.press(ACCOUNTS)
    await customer.wait_for_bot()
    await customer.press(kind)
    await customer.wait_for_bot()
    await customer.press(contains=f"{service} · ")
    return await customer.wait_for_bot()


@contextmanager
def stock(shop: Shop, service_id: int, available: int) -> Iterator[None]:
    """The shop's stock of a service set to `available` for a while (the shop is shared)."""
    service = shop.accounts.services[service_id]
    saved = service.available
    service.available = available
    try:
        yield
    finally:
        service.available = saved


def documents(customer: ChatDriver) -> list[ChatMessage]:
    return [m for m in customer.bot_messages if m.document is not None]


def assert_accounts_only_in_the_file(shop: Shop, customer: ChatDriver, accounts: list[str]) -> None:
    """Neither a chat message's text nor the bot's log shows any of the accounts."""
    assert shop.bot is not None
    for account in accounts:
        password = account.split("|")[1]
        assert password not in shop.bot.log
        for message in customer.transcript:
            assert password not in message.text and password not in (message.html or "")


async def test_a_purchase_delivers_the_accounts_as_a_file(any_shop: Shop) -> None:
    cleo = await new_customer(any_shop, 10 * USDT)
    purchases_before = set(any_shop.accounts.purchases)
    shop_balance = any_shop.accounts.balance

    await cleo.press(ACCOUNTS)
    kinds = await cleo.wait_for_bot()
    assert kinds.labels == ["Facebook", "Email", "⬅️ Back"]
    await cleo.press("Facebook")
    listing = await cleo.wait_for_bot()
    assert "Clone US · 300 VND · 850 left" in listing.labels
    assert "Via VN 2FA · 12,000 VND · 40 left" in listing.labels

    await cleo.press("Clone US · 300 VND · 850 left")
    detail = await cleo.wait_for_bot()
    assert "Clone US" in detail.text and "region: US" in detail.text
    assert "Price: 300 VND per account · in stock: 850" in detail.text
    assert "About 0.0129 USDT per account" in detail.text
    assert "type a whole number from 1 to 850" in detail.text
    assert detail.labels == ["1", "5", "10", "20", "⬅️ Back", "✖️ Cancel"]

    await cleo.press("5")
    confirm = await cleo.wait_for_bot()
    assert "5 × Clone US" in confirm.text
    assert "5 × 300 VND = 1,500 VND" in confirm.text
    # 1,500 VND × 0.000039 × 1.10 = 0.06435 USDT, rounded up to the cent
    assert "You pay 0.07 USDT from your balance (10.00 USDT available)" in confirm.text

    await cleo.press(CONFIRM)
    done = await cleo.wait_until(lambda m: m.document is not None)
    [result] = [m for m in cleo.bot_messages if "Done!" in m.text]
    assert "5 × Clone US; the accounts are in the file" in result.text
    assert result.labels == ["🏠 Main menu"]

    [new_id] = set(any_shop.accounts.purchases) - purchases_before
    [(order_id, status)] = await orders_of(any_shop, cleo.user_id)
    assert new_id == order_id and status == OrderStatus.SUCCEEDED  # our order id as request_id
    accounts = any_shop.accounts.purchases[order_id].accounts
    assert done.document is not None
    assert done.document.file_name == f"accounts-{order_id}.txt"
    assert done.document.data.decode().splitlines() == accounts
    assert len(accounts) == 5 and all(line.count("|") == 2 for line in accounts)
    assert_accounts_only_in_the_file(any_shop, cleo, accounts)

    assert await wallet_of(any_shop, cleo) == (10 * USDT - 70_000, 0)
    assert any_shop.accounts.balance == shop_balance - 1_500
    await any_shop.check_ledger()


async def test_stock_running_out_before_the_purchase_refunds_and_buys_nothing(
    shop: Shop,
) -> None:
    cleo = await new_customer(shop, 10 * USDT)
    detail = await open_service(cleo, "Email", "Outlook fresh")
    assert "in stock: 500" in detail.text
    purchases_before = len(shop.accounts.purchases)
    with stock(shop, 4, 0):  # sold out while the customer was choosing
        await cleo.send("3")
        confirm = await cleo.wait_for_bot()
        assert "You pay 0.11 USDT" in confirm.text  # 2,400 VND
        await cleo.press(CONFIRM)
        failed = await cleo.wait_until(lambda m: "could not be completed" in m.text)
    assert "The shop ran out of this item before your order; nothing was bought." in failed.text
    assert "0.11 USDT went back to your balance" in failed.text
    assert documents(cleo) == []
    assert len(shop.accounts.purchases) == purchases_before
    assert await wallet_of(shop, cleo) == (10 * USDT, 0)
    assert [status for _, status in await orders_of(shop, cleo.user_id)] == ["failed"]
    await shop.check_ledger()


async def test_limits_changed_before_the_purchase_refund_with_their_own_words(
    shop: Shop,
) -> None:
    cleo = await new_customer(shop, 10 * USDT)
    await open_service(cleo, "Facebook", "Via VN 2FA")
    await cleo.send("15")
    await cleo.wait_for_bot()
    service = shop.accounts.services[2]
    service.max_value = 10  # the shop lowered its limit meanwhile
    try:
        await cleo.press(CONFIRM)
        failed = await cleo.wait_until(lambda m: "could not be completed" in m.text)
    finally:
        service.max_value = 20
    assert "no longer sells this item in that quantity; nothing was bought." in failed.text
    assert "7.73 USDT went back to your balance" in failed.text  # 180,000 VND
    assert await wallet_of(shop, cleo) == (10 * USDT, 0)
    assert [status for _, status in await orders_of(shop, cleo.user_id)] == ["failed"]


async def test_a_sold_out_service_is_shown_but_cannot_be_bought(shop: Shop) -> None:
    cleo = await new_customer(shop, 10 * USDT)
    await cleo.press(ACCOUNTS)
    await cleo.wait_for_bot()
    await cleo.press("Email")
    listing = await cleo.wait_for_bot()
    assert "Gmail aged · 4,500 VND · sold out" in listing.labels

    await cleo.press("Gmail aged · 4,500 VND · sold out")
    await cleo.settle()
    assert cleo.callback_answers[-1]["text"] == (
        "⚠️ This item is sold out right now. Nothing was changed."
    )
    assert cleo.last_bot_message is not None
    assert cleo.last_bot_message.labels == listing.labels  # still the list
    await cleo.send("1")  # no quantity is being asked for
    assert "Please confirm" not in (await cleo.wait_for_bot()).text
    assert await orders_of(shop, cleo.user_id) == []


BAD_QUANTITIES = [
    ("1", "The smallest amount is 2 accounts"),
    ("21", "The largest amount is 20 accounts"),
    ("abc", "Send a whole number of accounts"),
    ("2.5", "Send a whole number of accounts"),
    ("１０", "Send a whole number of accounts"),
    ("<b>5</b>", "Send a whole number of accounts"),
    ("0", "must be more than zero"),
    ("-3", "must be more than zero"),
    ("9" * 10_000, "too long for an amount"),
]


async def test_bad_quantities_each_get_their_message_and_leave_no_order(shop: Shop) -> None:
    cleo = await new_customer(shop, 10 * USDT)
    detail = await open_service(cleo, "Facebook", "Via VN 2FA")
    assert "Verified, 2FA enabled" in detail.text
    assert "type a whole number from 2 to 20" in detail.text
    assert detail.labels[:4] == ["2", "5", "10", "20"]
    for text, expected in BAD_QUANTITIES:
        await cleo.send(text)
        reply = await cleo.wait_for_bot()
        assert expected in reply.text, (text[:20], reply.text)
        assert "type a whole number from 2 to 20" in reply.text  # the prompt stays
    assert await orders_of(shop, cleo.user_id) == []
    await cleo.send("3")
    confirm = await cleo.wait_for_bot()
    assert "3 × 12,000 VND = 36,000 VND" in confirm.text
    assert "You pay 1.55 USDT" in confirm.text  # 36,000 × 0.000039 × 1.10 = 1.5444


async def test_the_stock_limits_the_quantity(shop: Shop) -> None:
    cleo = await new_customer(shop, 10 * USDT)
    with stock(shop, 2, 7):
        detail = await open_service(cleo, "Facebook", "Via VN 2FA")
    assert "type a whole number from 2 to 7" in detail.text
    assert detail.labels[:2] == ["2", "5"] and "10" not in detail.labels
    await cleo.send("8")
    assert "The largest amount is 7 accounts" in (await cleo.wait_for_bot()).text


async def test_forged_buttons_change_nothing(shop: Shop) -> None:
    cleo = await new_customer(shop, 10 * USDT)
    menu = cleo.last_bot_message
    assert menu is not None
    for forged in ("accs:999999", "accs:5", "accs:-1"):  # none, locked, nonsense
        await cleo.press_data(forged, message_id=menu.message_id)
        await cleo.settle()
        assert cleo.callback_answers[-1]["text"] == (
            "⚠️ That item is not for sale. Nothing was changed."
        )
    await cleo.press_data("acck:twitter:0", message_id=menu.message_id)
    await cleo.settle()
    assert "out of date" in cleo.callback_answers[-1]["text"]

    detail = await open_service(cleo, "Facebook", "Via VN 2FA")
    for forged in ("accq:500", "accq:1", "accq:x"):  # beyond the limits, or not a number
        await cleo.press_data(forged, message_id=detail.message_id)
        await cleo.settle()
        assert "out of date" in cleo.callback_answers[-1]["text"]
    assert cleo.last_bot_message is not None and cleo.last_bot_message.text == detail.text
    assert await orders_of(shop, cleo.user_id) == []
    assert await wallet_of(shop, cleo) == (10 * USDT, 0)


async def test_back_returns_to_the_service_and_cancel_leaves_nothing(shop: Shop) -> None:
    cleo = await new_customer(shop, 10 * USDT)
    await open_service(cleo, "Email", "Outlook fresh")
    await cleo.press("5")
    await cleo.wait_for_bot()
    await cleo.press("⬅️ Back")
    back = await cleo.wait_for_bot()
    assert "Outlook fresh" in back.text and "How many?" in back.text
    await cleo.press("✖️ Cancel")
    assert "Cancelled. Nothing was changed." in (await cleo.wait_for_bot()).text
    await open_service(cleo, "Email", "Outlook fresh")
    await cleo.press("⬅️ Back")
    assert "Outlook fresh · 800 VND" in " ".join((await cleo.wait_for_bot()).labels)
    assert [status for _, status in await orders_of(shop, cleo.user_id)] == ["cancelled"]
    assert await wallet_of(shop, cleo) == (10 * USDT, 0)


@pytest.mark.parametrize("code", [9000, 9001])
async def test_a_shop_error_is_followed_up_and_bought_once(shop: Shop, code: int) -> None:
    cleo = await new_customer(shop, 10 * USDT)
    await open_service(cleo, "Email", "Outlook fresh")
    await cleo.press("1")
    await cleo.wait_for_bot()
    failure = {"success": False, "code": code, "message": "Database error."}
    shop.accounts.plan.add("answer", path=ORDER_PATH, body=failure)
    await cleo.press(CONFIRM)
    done = await cleo.wait_until(lambda m: m.document is not None, timeout=15)
    [(order_id, status)] = await orders_of(shop, cleo.user_id)
    assert status == OrderStatus.SUCCEEDED
    assert done.document is not None
    assert done.document.data.decode().splitlines() == shop.accounts.purchases[order_id].accounts
    assert any("Done!" in m.text for m in cleo.bot_messages)
    assert await wallet_of(shop, cleo) == (10 * USDT - 40_000, 0)  # 800 VND: 0.03432 USDT


async def test_a_lost_answer_after_the_shop_sold_is_charged_and_bought_once(shop: Shop) -> None:
    cleo = await new_customer(shop, 10 * USDT)
    await open_service(cleo, "Email", "Outlook fresh")
    await cleo.press("5")
    await cleo.wait_for_bot()
    before = shop.accounts.services[4].available
    shop.accounts.plan.add("drop", path=ORDER_PATH)  # sold, then the answer is lost
    await cleo.press(CONFIRM)
    done = await cleo.wait_until(lambda m: m.document is not None, timeout=15)
    assert done.document is not None and len(done.document.data.decode().splitlines()) == 5
    assert shop.accounts.services[4].available == before - 5
    assert [status for _, status in await orders_of(shop, cleo.user_id)] == ["succeeded"]
    assert await wallet_of(shop, cleo) == (10 * USDT - 180_000, 0)  # 4,000 VND: 0.1716
    await shop.check_ledger()


async def test_the_shops_text_is_shown_as_text(shop: Shop) -> None:
    service = shop.accounts.services[4]
    saved = service.name, service.description
    service.name, service.description = "<b>Outlook</b> & co", "<i>fresh" + " x" * 3000
    try:
        cleo = await new_customer(shop, 10 * USDT)
        await cleo.press(ACCOUNTS)
        await cleo.wait_for_bot()
        await cleo.press("Email")
        await cleo.wait_for_bot()
        await cleo.press(contains=" · 800 VND · ")  # the list may still show the old name
        detail = await cleo.wait_for_bot()  # the detail is fresh: the new name and text
    finally:
        service.name, service.description = saved
    assert "<b>Outlook</b> & co" in detail.text and "<i>fresh x x" in detail.text
    assert "&lt;b&gt;" in (detail.html or "") and len(detail.text) < 4096
