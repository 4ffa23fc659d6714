"""Cloud recharge, as a customer sees it: real bot, emulator and cloud simulator."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from storage.orders import OrderStatus
from tests.e2e.flows import (
    CONFIRM,
    USDT,
    cloud_account,
    cloud_confirmation,
    new_customer,
    orders_of,
    wallet_of,
)
from tests.e2e.harness import Shop


async def test_a_tencent_recharge(any_shop: Shop) -> None:
    cleo = await new_customer(any_shop, 100 * USDT)
    agent_before = any_shop.cloud.agent_balance
    account = await cloud_account(cleo, "Tencent Cloud", "200000000000")
    assert "Tencent Cloud account 200000000000" in account.text
    assert "rate 1.00" in account.text
    assert account.labels[:4] == ["10 USD", "50 USD", "100 USD", "500 USD"]

    await cleo.press("10 USD")
    confirm = await cleo.wait_for_bot()
    assert "receives 10.00 USD (rate 1.00)" in confirm.text
    assert "You pay 10.50 USDT from your balance (100.00 USDT available)" in confirm.text
    assert confirm.labels == [CONFIRM, "🏷 Promo code", "⬅️ Back", "✖️ Cancel"]

    await cleo.press(CONFIRM)
    done = await cleo.wait_until(lambda m: "Done!" in m.text)
    assert "10.00 USD added to Tencent Cloud account 200000000000" in done.text
    assert await wallet_of(any_shop, cleo) == (89_500_000, 0)
    assert any_shop.cloud.agent_balance == agent_before - Decimal("10.00")
    [(_, status)] = await orders_of(any_shop, cleo.user_id)
    assert status == OrderStatus.SUCCEEDED


async def test_an_alibaba_recharge_by_email_with_a_typed_amount(shop: Shop) -> None:
    cleo = await new_customer(shop, 100 * USDT)
    account = await cloud_account(cleo, "Alibaba Cloud", "buyer@example.com")
    assert "rate 0.98" in account.text
    await cleo.send("49")
    confirm = await cleo.wait_for_bot()
    assert "receives 49.00 USD (rate 0.98)" in confirm.text
    assert "You pay 52.50 USDT" in confirm.text
    await cleo.press(CONFIRM)
    await cleo.wait_until(lambda m: "Done!" in m.text)
    assert await wallet_of(shop, cleo) == (47_500_000, 0)


async def test_a_short_balance_offers_a_top_up_and_charges_nothing(shop: Shop) -> None:
    orders_upstream = len(shop.cloud.orders)
    cleo, _ = await cloud_confirmation(shop, 5 * USDT)
    await cleo.press(CONFIRM)
    short = await cleo.wait_for_bot()
    assert (
        "⚠️ Your balance is 5.00 USDT; this order costs 10.50 USDT. "
        "Top up at least 5.50 USDT, then confirm again." in short.text
    )
    assert short.labels == [CONFIRM, "🏷 Promo code", "💰 Top up", "⬅️ Back", "✖️ Cancel"]
    assert await wallet_of(shop, cleo) == (5 * USDT, 0)
    assert len(shop.cloud.orders) == orders_upstream
    [(_, status)] = await orders_of(shop, cleo.user_id)
    assert status == OrderStatus.QUOTED

    await cleo.press("💰 Top up")
    ways = await cleo.wait_for_bot()
    assert "Your balance is short of 5.50 USDT" in ways.text
    assert ways.labels == [
        "💵 USDT (TRC20)",
        "🧾 I already sent USDT",
        "⭐ Telegram Stars",
        "⬅️ Back",
    ]


async def test_after_a_top_up_the_same_quote_can_be_confirmed(shop: Shop) -> None:
    cleo, _ = await cloud_confirmation(shop, 5 * USDT)
    await cleo.press(CONFIRM)
    await cleo.wait_for_bot()
    await shop.deposit(cleo, 10 * USDT, key=f"top-up-{cleo.user_id}")
    await cleo.press(CONFIRM)
    await cleo.wait_until(lambda m: "Done!" in m.text)
    assert await wallet_of(shop, cleo) == (4_500_000, 0)


@pytest.mark.parametrize("uid", ["abc", "１２３４５６７", "<b>12345</b>", "1" * 300, "12 345"])
async def test_a_malformed_uid_gets_a_hint_and_the_prompt_stays(shop: Shop, uid: str) -> None:
    cleo = await new_customer(shop, 0)
    reply = await cloud_account(cleo, "Tencent Cloud", uid)
    assert "A Tencent Cloud UID is 5 to 20 digits" in reply.text
    await cleo.send("200000000000")
    assert "Tencent Cloud account 200000000000" in (await cleo.wait_for_bot()).text


async def test_an_unknown_account(shop: Shop) -> None:
    cleo = await new_customer(shop, 0)
    reply = await cloud_account(cleo, "Tencent Cloud", "999999")
    assert "No Tencent Cloud account 999999 was found" in reply.text


BAD_AMOUNTS = [
    ("0", "must be more than zero"),
    ("-5", "must be more than zero"),
    ("0.001", "At most 2 decimals"),
    ("1e3", "That is not an amount"),
    ("NaN", "That is not an amount"),
    ("１００", "That is not an amount"),
    ("9" * 10_000, "too long for an amount"),
    ("<b>5</b>", "That is not an amount"),
    ("0.5", "The smallest amount is 1 USD"),
    ("10001", "The largest amount is 10,000.00 USD"),
]


async def test_bad_amounts_each_get_their_message_and_leave_no_order(shop: Shop) -> None:
    cleo = await new_customer(shop, 100 * USDT)
    await cloud_account(cleo, "Tencent Cloud", "200000000000")
    for text, expected in BAD_AMOUNTS:
        await cleo.send(text)
        reply = await cleo.wait_for_bot()
        assert expected in reply.text, (text[:20], reply.text)
    assert await orders_of(shop, cleo.user_id) == []
    await cleo.send("12.5")
    assert "receives 12.50 USD" in (await cleo.wait_for_bot()).text


REFUSED_AMOUNT = {"code": 422, "message": "Invalid amount format", "data": None}
REFUNDED = {"code": 409, "message": "Order has been refunded and cannot be paid", "data": None}


@pytest.mark.parametrize(
    ("uid", "setup", "customer_hears", "operators_hear"),
    [
        (
            "200000000500",
            None,
            "The supplier could not deliver it.",
            "upstream owes the shop a refund",
        ),
        ("200000000409", None, "The supplier could not deliver it.", "(recharge_failed)"),
        (
            "200000000000",
            "poor agent",
            "The supplier cannot take this order right now",
            "(agent_balance_insufficient)",
        ),
        ("200000000000", "amount refused", "The supplier refused that amount.", "(invalid_amount)"),
        ("200000000000", "refunded", "The supplier could not deliver it.", "(refunded)"),
    ],
)
async def test_upstream_failures_refund_and_alert(
    shop: Shop, uid: str, setup: str | None, customer_hears: str, operators_hear: str
) -> None:
    operators = shop.admin()
    cleo = await new_customer(shop, 100 * USDT)
    saved = shop.cloud.agent_balance
    try:
        await cloud_account(cleo, "Tencent Cloud", uid)
        await cleo.press("10 USD")
        await cleo.wait_for_bot()
        if setup == "poor agent":
            shop.cloud.agent_balance = Decimal("1")
        elif setup == "amount refused":
            shop.cloud.plan.add("answer", path="/api/orders", status=422, body=REFUSED_AMOUNT)
        elif setup == "refunded":
            shop.cloud.plan.add("answer", path="/api/orders/*/pay", status=409, body=REFUNDED)
        await cleo.press(CONFIRM)
        failed = await cleo.wait_until(lambda m: "could not be completed" in m.text)
        assert customer_hears in failed.text
        assert "10.50 USDT went back to your balance" in failed.text
        notice = await operators.wait_until(lambda m: operators_hear in m.text)
        assert (await orders_of(shop, cleo.user_id))[0][0] in notice.text
    finally:
        shop.cloud.agent_balance = saved
    assert await wallet_of(shop, cleo) == (100 * USDT, 0)


async def test_a_pay_answer_lost_after_upstream_paid_is_charged_once(shop: Shop) -> None:
    cleo, _ = await cloud_confirmation(shop, 100 * USDT)
    shop.cloud.plan.add("drop", path="/api/orders/*/pay")
    await cleo.press(CONFIRM)
    await cleo.wait_until(lambda m: "Done!" in m.text)
    assert await wallet_of(shop, cleo) == (89_500_000, 0)


async def test_a_pay_that_timed_out_before_upstream_acted_is_paid_again(shop: Shop) -> None:
    cleo, _ = await cloud_confirmation(shop, 100 * USDT)
    agent_before = shop.cloud.agent_balance
    shop.cloud.plan.add("hang", path="/api/orders/*/pay", seconds=4)
    await cleo.press(CONFIRM)
    waiting = await cleo.wait_until(lambda m: "still being processed" in m.text)
    assert "10.50 USDT is held meanwhile" in waiting.text
    assert await wallet_of(shop, cleo) == (89_500_000, 10_500_000)

    done = await cleo.wait_until(lambda m: "Done!" in m.text, timeout=15)
    assert done.labels == ["🏠 Main menu"]
    assert await wallet_of(shop, cleo) == (89_500_000, 0)
    assert shop.cloud.agent_balance == agent_before - Decimal("10.00")  # paid once
    assert [status for _, status in await orders_of(shop, cleo.user_id)] == ["succeeded"]


async def test_a_timed_out_pay_that_upstream_then_refuses_is_refunded(shop: Shop) -> None:
    cleo, _ = await cloud_confirmation(shop, 100 * USDT)
    operators = shop.admin()
    saved = shop.cloud.agent_balance
    shop.cloud.plan.add("hang", path="/api/orders/*/pay", seconds=4)
    try:
        await cleo.press(CONFIRM)
        await cleo.wait_until(lambda m: "still being processed" in m.text)
        shop.cloud.agent_balance = Decimal("1")  # paying again: "Insufficient agent balance"
        refunded = await cleo.wait_until(lambda m: "could not be completed" in m.text, timeout=15)
    finally:
        shop.cloud.agent_balance = saved
    assert "10.50 USDT went back to your balance" in refunded.text
    await operators.wait_until(lambda m: "agent_balance_insufficient" in m.text)
    assert await wallet_of(shop, cleo) == (100 * USDT, 0)
    assert [status for _, status in await orders_of(shop, cleo.user_id)] == ["failed"]


async def test_cancel_leaves_no_quote_that_could_still_be_confirmed(shop: Shop) -> None:
    cleo, confirm = await cloud_confirmation(shop, 100 * USDT)
    await cleo.send("/cancel")
    assert "Cancelled. Nothing was changed." in (await cleo.wait_for_bot()).text
    await cleo.press(CONFIRM, message_id=confirm.message_id)
    shown = await cleo.wait_for_bot()
    assert "was cancelled. Nothing was charged." in shown.text
    assert await wallet_of(shop, cleo) == (100 * USDT, 0)
    assert [status for _, status in await orders_of(shop, cleo.user_id)] == ["cancelled"]


async def test_a_slow_recharge_is_followed_until_it_is_done(shop: Shop) -> None:
    cleo, _ = await cloud_confirmation(shop, 100 * USDT)
    shop.cloud.pay_seconds = 4  # upstream says "processing" meanwhile; the pay call times out
    try:
        await cleo.press(CONFIRM)
        await cleo.wait_until(lambda m: "still being processed" in m.text)
    finally:
        shop.cloud.pay_seconds = 0
    done = await cleo.wait_until(lambda m: "Done!" in m.text, timeout=15)
    assert "10.00 USD added to Tencent Cloud account 200000000000" in done.text
    assert await wallet_of(shop, cleo) == (89_500_000, 0)


async def test_an_expired_quote_is_priced_again(shop: Shop) -> None:
    cleo, _ = await cloud_confirmation(shop, 100 * USDT, amount="50 USD")
    [(old, _)] = await orders_of(shop, cleo.user_id)
    async with shop.db.write() as tx:
        await tx.execute(
            "UPDATE orders SET quote_expires_at = '2000-01-01T00:00:00Z' WHERE id = ?", (old,)
        )
    await cleo.press(CONFIRM)
    again = await cleo.wait_until(lambda m: "That price expired" in m.text)
    assert "You pay 52.50 USDT" in again.text
    assert await wallet_of(shop, cleo) == (100 * USDT, 0)
    await cleo.press(CONFIRM)
    await cleo.wait_until(lambda m: "Done!" in m.text)
    assert dict(await orders_of(shop, cleo.user_id))[old] == OrderStatus.CANCELLED
    assert await wallet_of(shop, cleo) == (47_500_000, 0)


async def test_an_expired_quote_the_supplier_cannot_price_now_charges_nothing(shop: Shop) -> None:
    cleo, _ = await cloud_confirmation(shop, 100 * USDT, amount="50 USD")
    [(old, _)] = await orders_of(shop, cleo.user_id)
    async with shop.db.write() as tx:
        await tx.execute(
            "UPDATE orders SET quote_expires_at = '2000-01-01T00:00:00Z' WHERE id = ?", (old,)
        )
    shop.cloud.plan.add("5xx", path="/api/uid", status=503, times=100)
    try:
        await cleo.press(CONFIRM)
        await cleo.wait_until(lambda m: "The supplier is not answering right now" in m.text)
    finally:
        shop.cloud.plan.clear()
    assert await wallet_of(shop, cleo) == (100 * USDT, 0)
    assert await orders_of(shop, cleo.user_id) == [(old, "cancelled")]


async def test_a_valid_quote_is_bought_at_its_price_while_the_supplier_cannot_price_it(
    shop: Shop,
) -> None:
    cleo, _ = await cloud_confirmation(shop, 100 * USDT)
    shop.cloud.plan.add("5xx", path="/api/uid", status=503, times=100)
    try:
        await cleo.press(CONFIRM)
        await cleo.wait_until(lambda m: "Done!" in m.text)
    finally:
        shop.cloud.plan.clear()
    assert await wallet_of(shop, cleo) == (89_500_000, 0)


async def test_a_changed_rate_is_shown_before_charging(shop: Shop) -> None:
    cleo, _ = await cloud_confirmation(shop, 100 * USDT, uid="200000000001")  # rate 0.95
    account = shop.cloud.accounts[("qcloud", "200000000001")]
    account.rate = Decimal("0.90")
    try:
        await cleo.press(CONFIRM)
        changed = await cleo.wait_until(lambda m: "The price changed" in m.text)
        assert "rate 0.90" in changed.text
    finally:
        account.rate = Decimal("0.95")
    assert await wallet_of(shop, cleo) == (100 * USDT, 0)


async def test_a_double_tapped_confirm_buys_once(any_shop: Shop) -> None:
    cleo, confirm = await cloud_confirmation(any_shop, 100 * USDT)
    orders_before = len(any_shop.cloud.orders)
    await cleo.press(CONFIRM, message_id=confirm.message_id)
    await cleo.press(CONFIRM, message_id=confirm.message_id)
    await cleo.wait_until(lambda m: "Done!" in m.text)
    await cleo.settle()
    assert await wallet_of(any_shop, cleo) == (89_500_000, 0)
    assert len(any_shop.cloud.orders) == orders_before + 1
    assert [status for _, status in await orders_of(any_shop, cleo.user_id)] == ["succeeded"]


async def test_a_stale_confirm_after_the_order_finished_changes_nothing(shop: Shop) -> None:
    cleo, confirm = await cloud_confirmation(shop, 100 * USDT)
    stale = confirm.buttons[0][0].callback_data
    assert stale is not None
    await cleo.press(CONFIRM)
    await cleo.wait_until(lambda m: "Done!" in m.text)
    orders_before = len(shop.cloud.orders)

    await cleo.press_data(stale, message_id=confirm.message_id)
    await cleo.settle()
    assert cleo.callback_answers[-1]["text"] == (
        "ℹ️ That order was already decided; nothing new was charged. Here is where it stands."
    )
    assert cleo.last_bot_message is not None and "Done!" in cleo.last_bot_message.text
    assert await wallet_of(shop, cleo) == (89_500_000, 0)
    assert len(shop.cloud.orders) == orders_before


async def test_someone_elses_order_button_changes_nothing(shop: Shop) -> None:
    cleo = await new_customer(shop, 100 * USDT, "Cleo")
    mallory = await new_customer(shop, 100 * USDT, "Mallory")
    await cloud_account(cleo, "Tencent Cloud", "200000000000")
    await cleo.press("10 USD")
    await cleo.wait_for_bot()
    [(order_id, _)] = await orders_of(shop, cleo.user_id)
    menu = mallory.last_bot_message
    assert menu is not None
    await mallory.press_data(f"ord:confirm:{order_id}", message_id=menu.message_id)
    await mallory.settle()
    # As for a button naming no order at all: it tells nothing of Cleo's.
    assert mallory.callback_answers[-1]["text"] == (
        "⚠️ That button is out of date. Send /start for a fresh menu."
    )
    assert await wallet_of(shop, cleo) == (100 * USDT, 0)
    assert await wallet_of(shop, mallory) == (100 * USDT, 0)
    assert await orders_of(shop, cleo.user_id) == [(order_id, "quoted")]


async def test_a_forged_button_tells_nothing_of_someone_elses_order(shop: Shop) -> None:
    """A button naming another customer's order reads exactly as one naming no order at all:
    whoever forges an order id learns nothing of whether it exists, and nothing changes."""
    cleo = await new_customer(shop, 100 * USDT, "Cleo")
    mallory = await new_customer(shop, 100 * USDT, "Mallory")
    await cloud_account(cleo, "Tencent Cloud", "200000000000")
    await cleo.press("10 USD")
    await cleo.wait_for_bot()
    [(order_id, _)] = await orders_of(shop, cleo.user_id)
    missing = "9" * len(order_id)
    menu = mallory.last_bot_message
    assert menu is not None
    for button in ("ord:confirm:{}", "ord:back:{}", "ord:cancel:{}", "backord:{}", "topupfor:{}"):
        answers = []
        for forged in (order_id, missing):
            await mallory.press_data(button.format(forged), message_id=menu.message_id)
            await mallory.settle()
            answers.append(mallory.callback_answers[-1]["text"])
        assert answers[0] == answers[1], (button, answers)
        assert answers[0].startswith("⚠️"), (button, answers)
    assert mallory.chat.messages[menu.message_id].text == menu.text
    assert await wallet_of(shop, cleo) == (100 * USDT, 0)
    assert await wallet_of(shop, mallory) == (100 * USDT, 0)
    assert await orders_of(shop, cleo.user_id) == [(order_id, "quoted")]
    assert await orders_of(shop, mallory.user_id) == []


async def test_back_and_cancel_from_the_confirmation(shop: Shop) -> None:
    cleo, _ = await cloud_confirmation(shop, 100 * USDT)
    await cleo.press("⬅️ Back")
    back = await cleo.wait_for_bot()
    assert "Choose how many USD to add" in back.text
    await cleo.press("50 USD")
    await cleo.wait_for_bot()
    await cleo.press("✖️ Cancel")
    cancelled = await cleo.wait_for_bot()
    assert "Cancelled. Nothing was changed." in cancelled.text
    assert [s for _, s in await orders_of(shop, cleo.user_id)] == ["cancelled", "cancelled"]
    assert await wallet_of(shop, cleo) == (100 * USDT, 0)
    await asyncio.sleep(0)
