"""AceData credits, as a customer sees them: real bot, emulator and AceData simulator. The customer
pays AceData through a pay link; the shop's ledger never moves."""

from __future__ import annotations

import pytest

from sandbox.acedata import DEMO_APPLICATION
from sandbox.telegram import ChatDriver, ChatMessage
from tests.e2e.flows import CONFIRM, USDT, new_customer, orders_of, wallet_of
from tests.e2e.harness import Shop

MENU = "🤖 AceData credits"
CHAT_500 = "ChatGPT API · 500 credits · 49.99 USD"
STRIPE = "💳 Card (Stripe, USD)"


async def packages(
    shop: Shop, application: str = DEMO_APPLICATION
) -> tuple[ChatDriver, ChatMessage]:
    """A new customer with 100 USDT who sent `application` and sees the packages."""
    dora = await new_customer(shop, 100 * USDT, "Dora")
    await dora.press(MENU)
    await dora.wait_for_bot()
    await dora.send(application)
    return dora, await dora.wait_for_bot()


async def pay_link(
    shop: Shop, application: str = DEMO_APPLICATION
) -> tuple[ChatDriver, ChatMessage]:
    """A customer who bought the 500-credit package by Stripe, at the screen that follows."""
    dora, _ = await packages(shop, application)
    await dora.press(CHAT_500)
    await dora.wait_for_bot()
    await dora.press(STRIPE)
    await dora.wait_for_bot()
    await dora.press(CONFIRM)
    return dora, await dora.wait_until(lambda m: m.text.startswith(("💳", "❌")))


async def upstream_id(shop: Shop, dora: ChatDriver) -> str:
    [(order_id, _)] = await orders_of(shop, dora.user_id)
    row = await shop.db.fetch_one("SELECT upstream_ref FROM orders WHERE id = ?", (order_id,))
    assert row is not None and row["upstream_ref"] in shop.acedata.orders
    return str(row["upstream_ref"])


async def test_a_package_paid_at_acedata_finishes_and_the_balance_never_moves(
    any_shop: Shop,
) -> None:
    dora, listing = await packages(any_shop)
    assert f"Application {DEMO_APPLICATION}" in listing.text
    assert listing.labels == [
        CHAT_500,
        "ChatGPT API · 100 credits · 10.99 USD",
        "Midjourney API · 200 credits · 19.90 USD",
        "⬅️ Back",
        "✖️ Cancel",
    ]  # the custom-amount package is not sold

    await dora.press(CHAT_500)
    ways = await dora.wait_for_bot()
    assert "500 credits for 49.99 USD" in ways.text
    assert ways.labels == [
        STRIPE,
        "WeChat Pay (CNY)",
        "Alipay (CNY)",
        "🪙 Crypto (X402, USDC)",
        "⬅️ Back",
        "✖️ Cancel",
    ]

    await dora.press(STRIPE)
    confirm = await dora.wait_for_bot()
    assert (
        f"AceData application {DEMO_APPLICATION} gets 500 credits (ChatGPT API · 500 credits) "
        "for 49.99 USD, paid with 💳 Card (Stripe, USD)." in confirm.text
    )
    assert "directly to AceData" in confirm.text
    assert "Nothing is taken from your balance." in confirm.text
    assert "from your balance (" not in confirm.text  # no charge to the balance is announced

    await dora.press(CONFIRM)
    waiting = await dora.wait_until(lambda m: "on AceData's page" in m.text)
    assert "pay 49.99 USD with 💳 Card (Stripe, USD) on AceData's page" in waiting.text
    assert "not from your balance" in waiting.text
    link = waiting.buttons[0][0]
    assert link.text == "💳 Pay 49.99 USD at AceData"
    assert link.callback_data is None
    ace_id = await upstream_id(any_shop, dora)
    assert link.url is not None and link.url.endswith(f"/_sandbox/pay/{ace_id}")
    assert await wallet_of(any_shop, dora) == (100 * USDT, 0)
    assert [status for _, status in await orders_of(any_shop, dora.user_id)] == ["submitted"]

    any_shop.acedata.pay(ace_id)  # the customer paid on AceData's page
    done = await dora.wait_until(lambda m: "Done!" in m.text)
    assert f"500 credits added to AceData application {DEMO_APPLICATION}" in done.text
    assert all(button.url is None for row in done.buttons for button in row)
    assert await wallet_of(any_shop, dora) == (100 * USDT, 0)
    assert [status for _, status in await orders_of(any_shop, dora.user_id)] == ["succeeded"]
    await any_shop.check_ledger()


async def test_an_unpaid_link_expires_and_the_customer_is_told(shop: Shop) -> None:
    dora, waiting = await pay_link(shop)
    assert waiting.buttons[0][0].url is not None
    ace_id = await upstream_id(shop, dora)
    shop.acedata.orders[ace_id].created -= shop.acedata.expire_seconds + 1  # nobody paid in time

    expired = await dora.wait_until(lambda m: "did not go through" in m.text)
    assert "The payment link expired before it was paid; nothing was paid." in expired.text
    assert all(button.url is None for row in expired.buttons for button in row)
    assert await wallet_of(shop, dora) == (100 * USDT, 0)
    assert [status for _, status in await orders_of(shop, dora.user_id)] == ["failed"]


@pytest.mark.parametrize(
    "application",
    [
        "abc",
        "107f8d0f-e465-4a7e-a49e-d633d26f7aa",  # one character short
        "107f8d0fe4654a7ea49ed633d26f7aa2",  # no dashes
        "107f8d0f-e465-4a7e-a49e-d633d26f7aaz",
        "１０７f8d0f-e465-4a7e-a49e-d633d26f7aa2",  # full-width digits
        "<b>107f8d0f-e465-4a7e-a49e-d633d26f7aa2</b>",
        "1" * 5000,
    ],
)
async def test_a_bad_application_id_gets_its_hint_and_the_prompt_stays(
    shop: Shop, application: str
) -> None:
    dora, reply = await packages(shop, application)
    assert "An AceData application id looks like" in reply.text
    assert reply.labels == ["✖️ Cancel"]
    await dora.send(DEMO_APPLICATION.upper())  # copied in capitals: the same id
    listing = await dora.wait_for_bot()
    assert f"Application {DEMO_APPLICATION}" in listing.text
    assert await orders_of(shop, dora.user_id) == []


async def test_forged_package_and_pay_way_buttons_change_nothing(shop: Shop) -> None:
    dora, listing = await packages(shop)
    upstream_before = len(shop.acedata.orders)
    await dora.press_data("acepkg:pkg-does-not-exist", message_id=listing.message_id)
    await dora.settle()
    assert (
        dora.callback_answers[-1]["text"] == "⚠️ That package is not offered. Nothing was changed."
    )
    assert dora.last_bot_message is not None and dora.last_bot_message.labels == listing.labels

    await dora.press(CHAT_500)
    ways = await dora.wait_for_bot()
    await dora.press_data("aceway:Cash", message_id=ways.message_id)
    await dora.settle()
    assert dora.callback_answers[-1]["show_alert"] is True
    assert await orders_of(shop, dora.user_id) == []
    assert len(shop.acedata.orders) == upstream_before

    await dora.press(STRIPE)  # the real buttons still work
    assert "gets 500 credits" in (await dora.wait_for_bot()).text


async def test_an_application_acedata_does_not_know(shop: Shop) -> None:
    stranger = "00000000-0000-4000-8000-000000000000"
    dora, result = await pay_link(shop, stranger)
    assert f"did not go through. AceData has no application {stranger}." in result.text
    assert await wallet_of(shop, dora) == (100 * USDT, 0)
    assert [status for _, status in await orders_of(shop, dora.user_id)] == ["failed"]


async def test_a_lost_create_answer_shows_no_link_and_is_not_sent_again(shop: Shop) -> None:
    before = len(shop.acedata.orders)
    shop.acedata.plan.add("drop", path="/api/v1/orders/")  # created upstream, answer lost
    dora, result = await pay_link(shop)
    assert "AceData did not answer, so no payment link was made for you" in result.text
    assert all(button.url is None for row in result.buttons for button in row)
    await dora.settle(quiet=1.5)  # reconciliation runs meanwhile and sends nothing
    assert len(shop.acedata.orders) == before + 1
    assert [status for _, status in await orders_of(shop, dora.user_id)] == ["failed"]
    assert await wallet_of(shop, dora) == (100 * USDT, 0)


async def test_back_and_cancel_through_the_steps(shop: Shop) -> None:
    dora, _ = await packages(shop)
    upstream_before = len(shop.acedata.orders)
    await dora.press(CHAT_500)
    await dora.wait_for_bot()
    await dora.press(STRIPE)
    await dora.wait_for_bot()
    await dora.press("⬅️ Back")  # from the confirmation: the pay ways again
    assert "How do you want to pay AceData?" in (await dora.wait_for_bot()).text
    await dora.press("⬅️ Back")
    assert "Choose a package" in (await dora.wait_for_bot()).text
    await dora.press("⬅️ Back")
    assert "Send the id of the AceData application" in (await dora.wait_for_bot()).text
    await dora.send(DEMO_APPLICATION)
    await dora.wait_for_bot()
    await dora.press("✖️ Cancel")
    assert "Cancelled. Nothing was changed." in (await dora.wait_for_bot()).text
    assert [status for _, status in await orders_of(shop, dora.user_id)] == ["cancelled"]
    assert len(shop.acedata.orders) == upstream_before


async def test_a_package_of_another_service_is_refused_by_acedata(shop: Shop) -> None:
    dora, _ = await packages(shop)
    await dora.press("Midjourney API · 200 credits · 19.90 USD")
    await dora.wait_for_bot()
    await dora.press("Alipay (CNY)")
    confirm = await dora.wait_for_bot()
    assert "paid with Alipay (CNY)" in confirm.text
    await dora.press(CONFIRM)
    refused = await dora.wait_until(lambda m: "did not go through" in m.text)
    assert "AceData refused this order; the package may not be one of this application's" in (
        refused.text
    )
    assert await wallet_of(shop, dora) == (100 * USDT, 0)
