"""Cloud recharge, as a customer sees it: real bot, emulator and cloud simulator."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from sandbox.telegram import ChatDriver, ChatMessage
from storage.orders import OrderStatus
from tests.e2e.harness import Shop

USDT = 1_000_000
CONFIRM = "✅ Confirm and pay"


async def _customer(shop: Shop, balance: int, name: str = "Cleo") -> ChatDriver:
    customer = shop.customer(name)
    await customer.send("/start")
    await customer.wait_for_bot()
    if balance:
        await shop.deposit(customer, balance, key=f"cloud-test-{customer.user_id}")
    return customer


async def _account_screen(customer: ChatDriver, cloud: str, uid: str) -> ChatMessage:
    await customer.press("☁️ Cloud recharge")
    await customer.wait_for_bot()
    await customer.press(cloud)
    await customer.wait_for_bot()
    await customer.send(uid)
    return await customer.wait_for_bot()


async def _orders_of(shop: Shop, user_id: int) -> list[tuple[str, str]]:
    rows = await shop.db.fetch_all(
        "SELECT id, status FROM orders WHERE user_id = ? ORDER BY created_at", (user_id,)
    )
    return [(row["id"], row["status"]) for row in rows]


async def _balance(shop: Shop, customer: ChatDriver) -> tuple[int, int]:
    balance = await shop.ledger.balance(customer.user_id)
    return balance.available, balance.held


async def test_a_tencent_recharge(shop: Shop) -> None:
    cleo = await _customer(shop, 100 * USDT)
    agent_before = shop.cloud.agent_balance
    account = await _account_screen(cleo, "Tencent Cloud", "200000000000")
    assert "Tencent Cloud account 200000000000" in account.text
    assert "rate 1.00" in account.text
    assert account.labels[:4] == ["10 USD", "50 USD", "100 USD", "500 USD"]

    await cleo.press("10 USD")
    confirm = await cleo.wait_for_bot()
    assert "receives 10.00 USD (rate 1.00)" in confirm.text
    assert "You pay 10.50 USDT from your balance (100.00 USDT available)" in confirm.text
    assert confirm.labels == [CONFIRM, "⬅️ Back", "✖️ Cancel"]

    await cleo.press(CONFIRM)
    done = await cleo.wait_until(lambda m: "Done!" in m.text)
    assert "10.00 USD added to Tencent Cloud account 200000000000" in done.text
    assert await _balance(shop, cleo) == (89_500_000, 0)
    assert shop.cloud.agent_balance == agent_before - Decimal("10.00")
    [(_, status)] = await _orders_of(shop, cleo.user_id)
    assert status == OrderStatus.SUCCEEDED


async def test_an_alibaba_recharge_by_email_with_a_typed_amount(shop: Shop) -> None:
    cleo = await _customer(shop, 100 * USDT)
    account = await _account_screen(cleo, "Alibaba Cloud", "buyer@example.com")
    assert "rate 0.98" in account.text
    await cleo.send("49")
    confirm = await cleo.wait_for_bot()
    assert "receives 49.00 USD (rate 0.98)" in confirm.text
    assert "You pay 52.50 USDT" in confirm.text
    await cleo.press(CONFIRM)
    await cleo.wait_until(lambda m: "Done!" in m.text)
    assert await _balance(shop, cleo) == (47_500_000, 0)


async def test_a_short_balance_offers_a_top_up_and_charges_nothing(shop: Shop) -> None:
    cleo = await _customer(shop, 5 * USDT)
    await _account_screen(cleo, "Tencent Cloud", "200000000000")
    await cleo.press("10 USD")
    await cleo.wait_for_bot()
    await cleo.press(CONFIRM)
    await cleo.settle()
    assert cleo.callback_answers[-1]["text"] == (
        "⚠️ Your balance is 5.00 USDT; this order costs 10.50 USDT. "
        "Top up at least 5.50 USDT, then confirm again."
    )
    assert await _balance(shop, cleo) == (5 * USDT, 0)
    [(_, status)] = await _orders_of(shop, cleo.user_id)
    assert status == OrderStatus.QUOTED


@pytest.mark.parametrize("uid", ["abc", "１２３４５６７", "<b>12345</b>", "1" * 300, "12 345"])
async def test_a_malformed_uid_gets_a_hint_and_the_prompt_stays(shop: Shop, uid: str) -> None:
    cleo = await _customer(shop, 0)
    reply = await _account_screen(cleo, "Tencent Cloud", uid)
    assert "A Tencent Cloud UID is 5 to 20 digits" in reply.text
    await cleo.send("200000000000")
    assert "Tencent Cloud account 200000000000" in (await cleo.wait_for_bot()).text


async def test_an_unknown_account(shop: Shop) -> None:
    cleo = await _customer(shop, 0)
    reply = await _account_screen(cleo, "Tencent Cloud", "999999")
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
    cleo = await _customer(shop, 100 * USDT)
    await _account_screen(cleo, "Tencent Cloud", "200000000000")
    for text, expected in BAD_AMOUNTS:
        await cleo.send(text)
        reply = await cleo.wait_for_bot()
        assert expected in reply.text, (text[:20], reply.text)
    assert await _orders_of(shop, cleo.user_id) == []
    await cleo.send("12.5")
    assert "receives 12.50 USD" in (await cleo.wait_for_bot()).text


@pytest.mark.parametrize(
    ("uid", "setup", "alert"),
    [
        ("200000000500", None, "upstream owes the shop a refund"),
        ("200000000409", None, "recharge_failed"),
        ("200000000000", "poor agent", "agent_balance_insufficient"),
    ],
)
async def test_upstream_failures_refund_and_alert(
    shop: Shop, uid: str, setup: str | None, alert: str
) -> None:
    operators = shop.admin()
    cleo = await _customer(shop, 100 * USDT)
    saved = shop.cloud.agent_balance
    if setup == "poor agent":
        shop.cloud.agent_balance = Decimal("1")
    try:
        await _account_screen(cleo, "Tencent Cloud", uid)
        await cleo.press("10 USD")
        await cleo.wait_for_bot()
        await cleo.press(CONFIRM)
        failed = await cleo.wait_until(lambda m: "could not be completed" in m.text)
        assert "10.50 USDT went back to your balance" in failed.text
        notice = await operators.wait_until(lambda m: alert in m.text)
        assert (await _orders_of(shop, cleo.user_id))[0][0] in notice.text
    finally:
        shop.cloud.agent_balance = saved
    assert await _balance(shop, cleo) == (100 * USDT, 0)


async def test_a_pay_answer_lost_after_upstream_paid_is_charged_once(shop: Shop) -> None:
    cleo = await _customer(shop, 100 * USDT)
    await _account_screen(cleo, "Tencent Cloud", "200000000000")
    await cleo.press("10 USD")
    await cleo.wait_for_bot()
    shop.cloud.plan.add("drop", path="/api/orders/*/pay")
    await cleo.press(CONFIRM)
    await cleo.wait_until(lambda m: "Done!" in m.text)
    assert await _balance(shop, cleo) == (89_500_000, 0)


async def test_an_expired_quote_is_priced_again(shop: Shop) -> None:
    cleo = await _customer(shop, 100 * USDT)
    await _account_screen(cleo, "Tencent Cloud", "200000000000")
    await cleo.press("50 USD")
    await cleo.wait_for_bot()
    [(old, _)] = await _orders_of(shop, cleo.user_id)
    async with shop.db.write() as tx:
        await tx.execute(
            "UPDATE orders SET quote_expires_at = '2000-01-01T00:00:00Z' WHERE id = ?", (old,)
        )
    await cleo.press(CONFIRM)
    again = await cleo.wait_until(lambda m: "That price expired" in m.text)
    assert "You pay 52.50 USDT" in again.text
    assert await _balance(shop, cleo) == (100 * USDT, 0)
    await cleo.press(CONFIRM)
    await cleo.wait_until(lambda m: "Done!" in m.text)
    assert dict(await _orders_of(shop, cleo.user_id))[old] == OrderStatus.CANCELLED
    assert await _balance(shop, cleo) == (47_500_000, 0)


async def test_a_changed_rate_is_shown_before_charging(shop: Shop) -> None:
    cleo = await _customer(shop, 100 * USDT)
    await _account_screen(cleo, "Tencent Cloud", "200000000001")  # rate 0.95
    await cleo.press("10 USD")
    await cleo.wait_for_bot()
    account = shop.cloud.accounts[("qcloud", "200000000001")]
    account.rate = Decimal("0.90")
    try:
        await cleo.press(CONFIRM)
        changed = await cleo.wait_until(lambda m: "The price changed" in m.text)
        assert "rate 0.90" in changed.text
    finally:
        account.rate = Decimal("0.95")
    assert await _balance(shop, cleo) == (100 * USDT, 0)


async def test_a_double_tapped_confirm_buys_once(shop: Shop) -> None:
    cleo = await _customer(shop, 100 * USDT)
    await _account_screen(cleo, "Tencent Cloud", "200000000000")
    await cleo.press("10 USD")
    confirm = await cleo.wait_for_bot()
    orders_before = len(shop.cloud.orders)
    await cleo.press(CONFIRM, message_id=confirm.message_id)
    await cleo.press(CONFIRM, message_id=confirm.message_id)
    await cleo.wait_until(lambda m: "Done!" in m.text)
    await cleo.settle()
    assert await _balance(shop, cleo) == (89_500_000, 0)
    assert len(shop.cloud.orders) == orders_before + 1
    assert [status for _, status in await _orders_of(shop, cleo.user_id)] == ["succeeded"]


async def test_someone_elses_order_button_changes_nothing(shop: Shop) -> None:
    cleo = await _customer(shop, 100 * USDT, "Cleo")
    mallory = await _customer(shop, 100 * USDT, "Mallory")
    await _account_screen(cleo, "Tencent Cloud", "200000000000")
    await cleo.press("10 USD")
    await cleo.wait_for_bot()
    [(order_id, _)] = await _orders_of(shop, cleo.user_id)
    menu = mallory.last_bot_message
    assert menu is not None
    await mallory.press_data(f"ord:confirm:{order_id}", message_id=menu.message_id)
    await mallory.settle()
    assert (
        mallory.callback_answers[-1]["text"] == "⚠️ That button is not yours. Nothing was changed."
    )
    assert await _balance(shop, cleo) == (100 * USDT, 0)
    assert await _balance(shop, mallory) == (100 * USDT, 0)
    assert await _orders_of(shop, cleo.user_id) == [(order_id, "quoted")]


async def test_back_and_cancel_from_the_confirmation(shop: Shop) -> None:
    cleo = await _customer(shop, 100 * USDT)
    await _account_screen(cleo, "Tencent Cloud", "200000000000")
    await cleo.press("10 USD")
    await cleo.wait_for_bot()
    await cleo.press("⬅️ Back")
    back = await cleo.wait_for_bot()
    assert "Choose how many USD to add" in back.text
    await cleo.press("50 USD")
    await cleo.wait_for_bot()
    await cleo.press("✖️ Cancel")
    cancelled = await cleo.wait_for_bot()
    assert "Cancelled. Nothing was changed." in cancelled.text
    assert [s for _, s in await _orders_of(shop, cleo.user_id)] == ["cancelled", "cancelled"]
    assert await _balance(shop, cleo) == (100 * USDT, 0)
    await asyncio.sleep(0)
