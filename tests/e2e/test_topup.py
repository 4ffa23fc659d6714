"""Mobile top-up, as a customer sees it: real bot, emulator and KUMQUAT simulator, whose callbacks
really reach the bot's web server over HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from sandbox import kumquat
from sandbox.telegram import ChatDriver, ChatMessage
from storage.orders import OrderStatus
from tests.e2e.flows import CONFIRM, USDT, new_customer, orders_of, wallet_of
from tests.e2e.harness import Shop

TOPUP = "📱 Mobile top-up"
AIRTIME = "📶 Airtime"
DATA = "🌐 Data"


@pytest.fixture(autouse=True)
def quick_upstream(shop: Shop) -> None:
    """KUMQUAT finishes an order and calls back within a few hundredths of a second."""
    shop.topup.process_seconds = 0.02
    shop.topup.callback_delay = 0.02


async def number_screen(customer: ChatDriver, number: str) -> ChatMessage:
    await customer.press(TOPUP)
    await customer.wait_for_bot()
    await customer.send(number)
    return await customer.wait_for_bot()


async def confirmation(
    shop: Shop, number: str, product: str, *, balance: int = 10 * USDT, kind: str = AIRTIME
) -> tuple[ChatDriver, ChatMessage]:
    """A new customer at the confirmation of `product` (its button's label) for `number`."""
    customer = await new_customer(shop, balance)
    await number_screen(customer, number)
    await customer.press(kind)
    await customer.wait_for_bot()
    await customer.press(product)
    return customer, await customer.wait_for_bot()


async def bought(shop: Shop, number: str, product: str) -> tuple[ChatDriver, str]:
    """A customer who confirmed a top-up that then settled; with the order id."""
    customer, _ = await confirmation(shop, number, product)
    await customer.press(CONFIRM)
    await customer.wait_until(lambda m: "Done!" in m.text or "could not be completed" in m.text)
    [(order_id, _)] = await orders_of(shop, customer.user_id)
    return customer, order_id


async def post_callback(shop: Shop, payload: dict[str, Any]) -> tuple[int, str]:
    """Post a callback to the bot's web server, as KUMQUAT (or a forger) does."""
    url = f"http://127.0.0.1:{shop.web_port}/callbacks/kumquat"
    async with aiohttp.ClientSession() as session, session.post(url, json=payload) as answer:
        return answer.status, await answer.text()


async def callbacks_answered(shop: Shop, order_id: str, count: int = 1) -> list[dict[str, Any]]:
    """The callbacks the simulator sent for an order, once `count` of them were answered."""
    sent = shop.topup.orders[order_id].callbacks
    for _ in range(500):
        if len(sent) >= count:
            break
        await asyncio.sleep(0.01)
    return sent


async def callback_sent(shop: Shop, order_id: str, count: int = 1) -> dict[str, Any]:
    """The last callback the simulator sent for an order, as it was signed."""
    sent = (await callbacks_answered(shop, order_id, count))[-1]
    return {name: value for name, value in sent.items() if name not in ("attempt", "answer")}


async def test_a_successful_airtime_top_up(any_shop: Shop) -> None:
    cleo = await new_customer(any_shop, 10 * USDT)
    target = await number_screen(cleo, "+254771114118")
    assert "Number +254771114118" in target.text
    assert "Country: Kenya · carrier: Safaricom" in target.text
    assert target.labels == [AIRTIME, DATA, "🌍 Change country or carrier", "⬅️ Back", "✖️ Cancel"]

    await cleo.press(AIRTIME)
    offers = await cleo.wait_for_bot()
    assert "Airtime for +254771114118 (Safaricom)" in offers.text
    assert offers.labels == ["100 KES · 0.79 USDT", "500 KES · 3.92 USDT", "⬅️ Back", "✖️ Cancel"]

    await cleo.press("100 KES · 0.79 USDT")
    confirm = await cleo.wait_for_bot()
    assert "📶 Airtime 100 KES (Safaricom Airtime 100 KES) for +254771114118" in confirm.text
    assert "You pay 0.79 USDT from your balance (10.00 USDT available)" in confirm.text

    await cleo.press(CONFIRM)
    done = await cleo.wait_until(lambda m: "Done!" in m.text)
    assert "📶 Airtime 100 KES sent to +254771114118" in done.text
    assert await wallet_of(any_shop, cleo) == (9_210_000, 0)
    [(order_id, status)] = await orders_of(any_shop, cleo.user_id)
    assert status == OrderStatus.SUCCEEDED

    upstream = any_shop.topup.orders[order_id]  # request_no is our order id
    assert upstream.account == "254771114118"
    assert upstream.callback_url == f"http://127.0.0.1:{any_shop.web_port}/callbacks/kumquat"
    assert [c["answer"] for c in await callbacks_answered(any_shop, order_id)] == ["SUCCESS"]
    await any_shop.check_ledger()


async def test_a_failure_by_callback_refunds(shop: Shop) -> None:
    cleo, confirm = await confirmation(shop, "+8615180624622", "20 CNY · 2.83 USDT")
    assert "China Mobile" in confirm.text
    await cleo.press(CONFIRM)
    failed = await cleo.wait_until(lambda m: "could not be completed" in m.text)
    assert "2.83 USDT went back to your balance" in failed.text
    assert await wallet_of(shop, cleo) == (10 * USDT, 0)
    [(order_id, status)] = await orders_of(shop, cleo.user_id)
    assert status == OrderStatus.FAILED
    sent = await callbacks_answered(shop, order_id)
    assert sent[-1]["status"] == "error" and sent[-1]["answer"] == "SUCCESS"


async def test_a_signature_refusal_is_told_and_refunded(shop: Shop) -> None:
    operators = shop.admin()
    cleo, _ = await confirmation(shop, "6208566322867", "10,000 IDR · 0.65 USDT")
    await cleo.press(CONFIRM)
    failed = await cleo.wait_until(lambda m: "could not be completed" in m.text)
    assert "The supplier cannot take this order right now" in failed.text
    assert "0.65 USDT went back to your balance" in failed.text
    assert await wallet_of(shop, cleo) == (10 * USDT, 0)
    [(order_id, _)] = await orders_of(shop, cleo.user_id)
    notice = await operators.wait_until(lambda m: order_id in m.text)
    assert "bad_signature" in notice.text


async def test_any_other_number_fails_and_is_refunded(shop: Shop) -> None:
    cleo, _ = await confirmation(shop, "254700000001", "500 KES · 3.92 USDT")
    await cleo.press(CONFIRM)
    failed = await cleo.wait_until(lambda m: "could not be completed" in m.text)
    assert "3.92 USDT went back to your balance" in failed.text
    assert await wallet_of(shop, cleo) == (10 * USDT, 0)


async def test_a_duplicated_callback_changes_nothing(shop: Shop) -> None:
    cleo, order_id = await bought(shop, "254771114118", "100 KES · 0.79 USDT")
    status, answer = await post_callback(shop, await callback_sent(shop, order_id))
    assert (status, answer) == (200, "SUCCESS")
    assert await wallet_of(shop, cleo) == (9_210_000, 0)
    assert await orders_of(shop, cleo.user_id) == [(order_id, OrderStatus.SUCCEEDED)]

    flo, failed_id = await bought(shop, "8615180624622", "20 CNY · 2.83 USDT")
    assert await post_callback(shop, await callback_sent(shop, failed_id)) == (200, "SUCCESS")
    assert await wallet_of(shop, flo) == (10 * USDT, 0)
    assert await orders_of(shop, flo.user_id) == [(failed_id, OrderStatus.FAILED)]
    await shop.check_ledger()


async def test_a_success_then_fail_is_refunded_and_told(shop: Shop) -> None:
    operators = shop.admin()
    cleo, order_id = await bought(shop, "254771114118", "100 KES · 0.79 USDT")
    assert await wallet_of(shop, cleo) == (9_210_000, 0)

    shop.topup.reverse(shop.topup.orders[order_id].serial_no)
    reversed_ = await cleo.wait_until(lambda m: "reversed" in m.text)
    assert f"Order {order_id} was reported done, then the supplier reversed it" in reversed_.text
    assert "0.79 USDT went back to your balance" in reversed_.text
    notice = await operators.wait_until(lambda m: order_id in m.text)
    assert "reversed a delivered top-up to 254771114118" in notice.text
    assert await wallet_of(shop, cleo) == (10 * USDT, 0)
    assert await orders_of(shop, cleo.user_id) == [(order_id, OrderStatus.REVERSED)]

    # KUMQUAT sends the reversal again: the refund is not paid twice.
    assert (await callback_sent(shop, order_id, 2))["status"] == "error"
    assert await post_callback(shop, await callback_sent(shop, order_id, 2)) == (200, "SUCCESS")
    assert await wallet_of(shop, cleo) == (10 * USDT, 0)
    await shop.check_ledger()


async def test_forged_callbacks_change_nothing(shop: Shop) -> None:
    cleo, order_id = await bought(shop, "254771114118", "100 KES · 0.79 USDT")
    genuine = await callback_sent(shop, order_id)
    reversal = {**genuine, "status": "error", "result": "充值失败"}

    unsigned = {k: v for k, v in reversal.items() if k != "sign"}
    forged = {**reversal, "sign": kumquat.sign(reversal, "not-the-key")}
    tampered = {**reversal, "sign": genuine["sign"]}  # a real signature, over other fields
    for payload in (unsigned, forged, tampered):
        status, answer = await post_callback(shop, payload)
        assert status == 401 and answer != "SUCCESS"

    signed_unknown = {**genuine, "request_no": "999999999999999999"}
    signed_unknown["sign"] = kumquat.sign(signed_unknown, kumquat.DEMO_SIGN_KEY)
    status, answer = await post_callback(shop, signed_unknown)
    assert status == 404 and answer != "SUCCESS"

    assert await wallet_of(shop, cleo) == (9_210_000, 0)
    assert await orders_of(shop, cleo.user_id) == [(order_id, OrderStatus.SUCCEEDED)]
    assert shop.bot is not None
    refused = [line for line in shop.bot.log_lines if "bad signature" in line]
    assert refused and not any(forged["sign"] in line for line in shop.bot.log_lines)
    await shop.check_ledger()


async def test_data_is_shown_by_its_size_and_airtime_by_its_currency(shop: Shop) -> None:
    """KUMQUAT's `base_value` and `unit` are what the customer gets; the price's `currency` is
    what the shop pays in, never shown as the face value's."""
    cleo = await new_customer(shop, 10 * USDT)
    await number_screen(cleo, "+254771114118")
    await cleo.press(DATA)
    offers = await cleo.wait_for_bot()
    assert offers.labels[:3] == ["1 GB · 1.26 USDT", "100 KES · 0.79 USDT", "500 KES · 3.92 USDT"]
    assert not any("USD ·" in label for label in offers.labels)

    await cleo.press("1 GB · 1.26 USDT")
    confirm = await cleo.wait_for_bot()
    assert "🌐 Data 1 GB (Safaricom Data 1 GB) for +254771114118" in confirm.text
    assert "You pay 1.26 USDT from your balance" in confirm.text
    await cleo.press(CONFIRM)
    done = await cleo.wait_until(lambda m: "Done!" in m.text)
    assert "🌐 Data 1 GB sent to +254771114118" in done.text
    assert await wallet_of(shop, cleo) == (10 * USDT - 1_260_000, 0)
    await shop.check_ledger()


BAD_NUMBERS = [
    ("abc", "digits only"),
    ("２５４７７１１１４１１８", "digits only"),
    ("+254-771-114118", "digits only"),
    ("<b>254771114118</b>", "digits only"),
    ("++254771114118", "digits only"),
    ("1" * 500, "digits only"),
    ("1234567", "8 to 15 digits"),
    ("+1234567890123456", "8 to 15 digits"),
]


async def test_bad_phone_numbers_get_their_message_and_the_prompt_stays(shop: Shop) -> None:
    cleo = await new_customer(shop, 10 * USDT)
    await cleo.press(TOPUP)
    await cleo.wait_for_bot()
    for text, expected in BAD_NUMBERS:
        await cleo.send(text)
        reply = await cleo.wait_for_bot()
        assert expected in reply.text, (text[:20], reply.text)
    assert await orders_of(shop, cleo.user_id) == []
    await cleo.send("+254771114118")
    assert "carrier: Safaricom" in (await cleo.wait_for_bot()).text


async def test_the_customer_can_change_the_country_and_carrier(shop: Shop) -> None:
    cleo = await new_customer(shop, 10 * USDT)
    await number_screen(cleo, "+84981234567")
    await cleo.press("🌍 Change country or carrier")
    countries = await cleo.wait_for_bot()
    assert "Choose the country" in countries.text
    assert {"China", "Indonesia", "Kenya", "Philippines", "Viet Nam"} <= set(countries.labels)
    await cleo.press("Viet Nam")
    carriers = await cleo.wait_for_bot()
    assert "Choose the carrier in Viet Nam" in carriers.text
    assert carriers.labels[:2] == ["Viettel", "Vinaphone"]
    await cleo.press("Vinaphone")
    target = await cleo.wait_for_bot()
    assert "Country: Viet Nam · carrier: Vinaphone" in target.text
    await cleo.press(DATA)
    offers = await cleo.wait_for_bot()
    assert "Data for +84981234567 (Vinaphone)" in offers.text
    assert offers.labels[0].startswith("50,000 VND · ")
    await cleo.press(offers.labels[0])
    confirm = await cleo.wait_for_bot()
    assert "Vinaphone Data 50000 VND" in confirm.text
    await cleo.press("⬅️ Back")
    assert (await cleo.wait_for_bot()).labels == offers.labels  # the products again


async def test_a_number_of_no_known_carrier_asks_for_the_country(shop: Shop) -> None:
    cleo = await new_customer(shop, 10 * USDT)
    reply = await number_screen(cleo, "99912345678")
    assert "could not tell the carrier of +99912345678" in reply.text
    await cleo.press("Kenya")
    await cleo.wait_for_bot()
    await cleo.press("Safaricom")
    target = await cleo.wait_for_bot()
    assert "Number +99912345678" in target.text
    assert "Country: Kenya · carrier: Safaricom" in target.text
