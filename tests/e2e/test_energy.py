"""TRON energy, as a customer sees it: real bot, emulator and the energy simulator."""

from __future__ import annotations

import pytest

from sandbox.energy import ABORT_ADDRESS, BREAK_OFF_ADDRESS, DOCUMENT_ADDRESS, INACTIVE_ADDRESS
from storage.orders import OrderStatus
from tests.e2e.flows import (
    CONFIRM,
    ONE_HOUR,
    USDT,
    energy_address,
    energy_confirmation,
    new_customer,
    orders_of,
    wallet_of,
)
from tests.e2e.flows import (
    ENERGY_CHARGE as CHARGE,
)
from tests.e2e.harness import Shop


async def test_renting_energy(any_shop: Shop) -> None:
    cleo = await new_customer(any_shop, 100 * USDT)
    upstream_before = len(any_shop.energy.orders)
    amounts = await energy_address(cleo, DOCUMENT_ADDRESS)
    assert f"Energy for {DOCUMENT_ADDRESS}" in amounts.text
    assert "type a whole number from 65,000 to 5,000,000" in amounts.text
    assert amounts.labels == ["65,000 energy", "131,000 energy", "⬅️ Back", "✖️ Cancel"]

    await cleo.press("65,000 energy")
    periods = await cleo.wait_for_bot()
    assert "65,000 energy for " + DOCUMENT_ADDRESS in periods.text
    assert periods.labels == [
        ONE_HOUR,
        "1 day · 1.79 USDT",
        "3 days · 4.65 USDT",
        "30 days · 42.90 USDT",
        "⬅️ Back",
        "✖️ Cancel",
    ]

    await cleo.press(ONE_HOUR)
    confirm = await cleo.wait_for_bot()
    assert f"65,000 energy for 1 hour, delegated to {DOCUMENT_ADDRESS}" in confirm.text
    assert "You pay 0.65 USDT from your balance (100.00 USDT available)" in confirm.text
    assert confirm.labels == [CONFIRM, "🏷 Promo code", "⬅️ Back", "✖️ Cancel"]

    await cleo.press(CONFIRM)
    done = await cleo.wait_until(lambda m: "Done!" in m.text)
    assert f"65,000 energy delegated to {DOCUMENT_ADDRESS} for 1 hour" in done.text
    assert await wallet_of(any_shop, cleo) == (100 * USDT - CHARGE, 0)
    [(order_id, status)] = await orders_of(any_shop, cleo.user_id)
    assert status == OrderStatus.SUCCEEDED
    assert len(any_shop.energy.orders) == upstream_before + 1
    [placed] = [o for o in any_shop.energy.orders.values() if o.out_trade_no == order_id]
    assert (placed.energy, placed.period, placed.address) == (65_000, "1H", DOCUMENT_ADDRESS)
    await any_shop.check_ledger()


async def test_a_typed_amount_and_the_way_back(shop: Shop) -> None:
    cleo = await new_customer(shop, 100 * USDT)
    await energy_address(cleo, DOCUMENT_ADDRESS)
    await cleo.send("200,000")
    periods = await cleo.wait_for_bot()
    assert "200,000 energy" in periods.text
    assert "1 day · 5.50 USDT" in periods.labels  # 20 TRX × 0.25 × 1.10
    await cleo.press("1 day · 5.50 USDT")
    await cleo.wait_for_bot()
    await cleo.press("⬅️ Back")
    assert "For how long?" in (await cleo.wait_for_bot()).text
    await cleo.press("⬅️ Back")
    assert "How much energy?" in (await cleo.wait_for_bot()).text
    await cleo.press("⬅️ Back")
    assert "Send the TRON address" in (await cleo.wait_for_bot()).text
    assert await wallet_of(shop, cleo) == (100 * USDT, 0)
    assert [status for _, status in await orders_of(shop, cleo.user_id)] == ["cancelled"]


BAD_ADDRESSES = [
    (DOCUMENT_ADDRESS[:-2], "exactly 34 characters; that one has 32"),
    (DOCUMENT_ADDRESS + "x", "exactly 34 characters; that one has 35"),
    (DOCUMENT_ADDRESS[:-1] + "X", "has a typo: its check characters do not match"),
    ("0x" + "ab" * 20, "starts with a capital T"),
    ("t" + DOCUMENT_ADDRESS[1:], "starts with a capital T"),
    ("<b>TPP5NBKiMX8AjS4fyao2Nj6AhFFCqD</b>", "starts with a capital T"),
    ("T<i>NBKiMX8AjS4fyao2Nj6AhFFCqD</i>", "characters a TRON address never has"),
    ("ＴPP5NBKiMX8AjS4fyao2Nj6AhFFCqDXgWS", "starts with a capital T"),
    ("TPP5NBKiMX8AjS4fyao2Nj6AhFFCqDXgW٣", "characters a TRON address never has"),
    ("T" * 5_000, "exactly 34 characters; that one has 5,000"),
]


async def test_bad_addresses_each_get_their_message_and_the_prompt_stays(shop: Shop) -> None:
    cleo = await new_customer(shop, 100 * USDT)
    await cleo.press("⚡ TRON energy")
    await cleo.wait_for_bot()
    for text, expected in BAD_ADDRESSES:
        await cleo.send(text)
        reply = await cleo.wait_for_bot()
        assert expected in reply.text, (text[:40], reply.text)
        assert reply.labels == ["✖️ Cancel"]
    await cleo.send(DOCUMENT_ADDRESS)
    assert "How much energy?" in (await cleo.wait_for_bot()).text
    assert await orders_of(shop, cleo.user_id) == []


BAD_AMOUNTS = [
    ("1000", "The smallest order is 65,000 energy."),
    ("64999", "The smallest order is 65,000 energy."),
    ("5000001", "The largest order is 5,000,000 energy."),
    ("65000.5", "Send the energy as a whole number, like 65,000."),
    ("-65000", "Send the energy as a whole number"),
    ("６５０００", "Send the energy as a whole number"),
    ("<b>65000</b>", "Send the energy as a whole number"),
    ("1e6", "Send the energy as a whole number"),
    ("9" * 3_000, "Send the energy as a whole number"),
]


async def test_bad_amounts_each_get_their_message_and_leave_no_order(shop: Shop) -> None:
    cleo = await new_customer(shop, 100 * USDT)
    await energy_address(cleo, DOCUMENT_ADDRESS)
    for text, expected in BAD_AMOUNTS:
        await cleo.send(text)
        reply = await cleo.wait_for_bot()
        assert expected in reply.text, (text[:20], reply.text)
    assert await orders_of(shop, cleo.user_id) == []
    await cleo.send("65000")
    assert "65,000 energy for" in (await cleo.wait_for_bot()).text


async def test_an_inactive_address_is_explained_and_refunded(shop: Shop) -> None:
    cleo, _ = await energy_confirmation(shop, 100 * USDT, INACTIVE_ADDRESS)
    await cleo.press(CONFIRM)
    failed = await cleo.wait_until(lambda m: "could not be completed" in m.text)
    assert f"The address {INACTIVE_ADDRESS} is not activated on TRON" in failed.text
    assert "0.65 USDT went back to your balance" in failed.text
    assert await wallet_of(shop, cleo) == (100 * USDT, 0)
    assert [status for _, status in await orders_of(shop, cleo.user_id)] == ["failed"]


async def test_an_aborted_delegation_is_refunded_in_full(shop: Shop) -> None:
    cleo, _ = await energy_confirmation(shop, 100 * USDT, ABORT_ADDRESS)
    await cleo.press(CONFIRM)
    failed = await cleo.wait_until(lambda m: "could not be completed" in m.text, timeout=15)
    assert "The supplier could not delegate the energy." in failed.text
    assert "0.65 USDT went back to your balance" in failed.text
    assert await wallet_of(shop, cleo) == (100 * USDT, 0)
    await shop.check_ledger()


async def test_a_delegation_broken_off_is_refunded_in_part(shop: Shop) -> None:
    cleo, _ = await energy_confirmation(shop, 100 * USDT, BREAK_OFF_ADDRESS)
    await cleo.press(CONFIRM)
    failed = await cleo.wait_until(lambda m: "could not be completed" in m.text, timeout=15)
    assert "stopped delegating the energy before the end of the period" in failed.text
    # Upstream gave back half of what it took: so does the shop, of what the customer paid.
    # Half of 0.65 USDT, in whole cents: what the customer reads is what the ledger holds.
    assert "The supplier delivered part of it: 0.32 USDT of 0.65 USDT went back" in failed.text
    assert await wallet_of(shop, cleo) == (100 * USDT - CHARGE + 320_000, 0)
    assert [status for _, status in await orders_of(shop, cleo.user_id)] == ["failed"]
    await shop.check_ledger()


async def test_a_short_upstream_balance_refunds_and_alerts_the_operators(shop: Shop) -> None:
    operators = shop.admin()
    cleo, _ = await energy_confirmation(shop, 100 * USDT)
    saved = shop.energy.balance
    shop.energy.balance = 1_000  # sun: 600005 for any order
    try:
        await cleo.press(CONFIRM)
        failed = await cleo.wait_until(lambda m: "could not be completed" in m.text)
    finally:
        shop.energy.balance = saved
    assert "The supplier cannot take this order right now; the shop has been told." in failed.text
    assert "0.65 USDT went back to your balance" in failed.text
    [(order_id, _)] = await orders_of(shop, cleo.user_id)
    notice = await operators.wait_until(lambda m: order_id in m.text)
    assert "upstream_balance_insufficient" in notice.text
    assert "top up the energy account" in notice.text
    assert await wallet_of(shop, cleo) == (100 * USDT, 0)


@pytest.mark.parametrize(
    ("code", "message", "customer_hears"),
    [
        (600003, "不支持的租赁周期", "no longer offers that period"),
        (600006, "资源不足", "has no free energy right now"),
    ],
)
async def test_other_refusals_are_explained(
    shop: Shop, code: int, message: str, customer_hears: str
) -> None:
    cleo, _ = await energy_confirmation(shop, 100 * USDT)
    shop.energy.plan.add("answer", path="/v1/order", body={"code": code, "msg": message})
    await cleo.press(CONFIRM)
    failed = await cleo.wait_until(lambda m: "could not be completed" in m.text)
    assert customer_hears in failed.text
    assert "0.65 USDT went back to your balance" in failed.text
    assert await wallet_of(shop, cleo) == (100 * USDT, 0)


async def test_a_double_tapped_confirm_buys_once(shop: Shop) -> None:
    cleo, confirm = await energy_confirmation(shop, 100 * USDT)
    upstream_before = len(shop.energy.orders)
    await cleo.press(CONFIRM, message_id=confirm.message_id)
    await cleo.press(CONFIRM, message_id=confirm.message_id)
    await cleo.wait_until(lambda m: "Done!" in m.text)
    await cleo.settle()
    assert await wallet_of(shop, cleo) == (100 * USDT - CHARGE, 0)
    assert len(shop.energy.orders) == upstream_before + 1
    assert [status for _, status in await orders_of(shop, cleo.user_id)] == ["succeeded"]


async def test_a_lost_order_answer_is_never_placed_twice_and_goes_to_review(shop: Shop) -> None:
    # Upstream takes the order and the answer is lost; the retry meets 600004 (outTradeNo used),
    # and the energy API cannot look an order up by our number: the operators must check it.
    operators = shop.admin()
    cleo, _ = await energy_confirmation(shop, 100 * USDT)
    upstream_before = len(shop.energy.orders)
    shop.energy.plan.add("drop", path="/v1/order")
    await cleo.press(CONFIRM)
    review = await cleo.wait_until(lambda m: "being checked by the shop" in m.text)
    assert "0.65 USDT is held meanwhile" in review.text
    [(order_id, status)] = await orders_of(shop, cleo.user_id)
    assert (order_id in review.text, status) == (True, OrderStatus.NEEDS_REVIEW)
    notice = await operators.wait_until(lambda m: order_id in m.text)
    assert "orderNo is unknown" in notice.text
    placed = [o.out_trade_no for o in list(shop.energy.orders.values())[upstream_before:]]
    assert placed == [order_id]
    assert await wallet_of(shop, cleo) == (100 * USDT - CHARGE, CHARGE)
