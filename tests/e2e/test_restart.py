"""A conversation survives a restart of the bot."""

from __future__ import annotations

import json
from typing import Any

from sandbox.telegram import ChatDriver
from tests.e2e.flows import CONFIRM, TENCENT_UID, USDT, cloud_account, new_customer
from tests.e2e.harness import Shop


async def test_a_restart_in_the_middle_of_a_conversation_resumes_it(own_shop: Shop) -> None:
    customer = own_shop.customer("Mia")
    operators = own_shop.admin()
    await customer.send("/start")
    await customer.wait_for_bot()
    await customer.press("💬 Contact support")
    prompt = await customer.wait_for_bot()
    assert "Write your question" in prompt.text

    await own_shop.restart_bot()

    await customer.send("still there after the restart?")
    card = await operators.wait_for_bot()
    assert "still there after the restart?" in card.text
    assert "went to the shop's operators" in (await customer.wait_for_bot()).text
    assert own_shop.bot is not None
    assert "Traceback" not in own_shop.bot.log


async def test_the_language_choice_survives_a_restart(own_shop: Shop) -> None:
    customer = own_shop.customer("Nam", language_code="en")
    await customer.send("/start")
    await customer.wait_for_bot()
    await customer.press("🌐 Language")
    await customer.wait_for_bot()
    await customer.press("Tiếng Việt")
    await customer.wait_for_bot()

    await own_shop.restart_bot()

    await customer.send("/start")
    assert "Chào mừng bạn quay lại" in (await customer.wait_for_bot()).text


async def _carried(shop: Shop, customer: ChatDriver) -> tuple[str, dict[str, Any]]:
    """The key and the data of the customer's conversation, as stored."""
    [row] = await shop.db.fetch_all(
        "SELECT key, data FROM conversation_state WHERE key LIKE ?", (f"%:{customer.user_id}:%",)
    )
    data: dict[str, Any] = json.loads(row["data"])
    return row["key"], data


async def _store(shop: Shop, key: str, data: dict[str, Any]) -> None:
    async with shop.db.write() as tx:
        await tx.execute(
            "UPDATE conversation_state SET data = ? WHERE key = ?", (json.dumps(data), key)
        )


# What each line's conversation carried between its steps, as the versions before this one
# stored it.
CLOUD_BEFORE = {
    "channel": "qcloud",
    "target": {
        "channel": "qcloud",
        "uid": TENCENT_UID,
        "served_by": "qcloud",
        "rate": "1.00",
        "balance": 100_000_000,
        "currency": "USD",
    },
}
TOPUP_BEFORE = {
    "account": "254771114118",
    "target": {
        "account": "254771114118",
        "country_code": "KE",
        "country_name": "Kenya",
        "carrier_id": "3001",
        "carrier_name": "Safaricom",
    },
}
ACCOUNTS_BEFORE = {
    "offer": {
        "service_id": 1,
        "name": "Clone US",
        "kind": "facebook",
        "geo": "US",
        "description": "",
        "unit_price": 300_000_000,
        "stock": 850,
        "minimum": 1,
        "maximum": 850,
    }
}


async def test_purchases_in_progress_across_an_upgrade_go_on(own_shop: Shop) -> None:
    """Customers in the middle of a purchase when the bot is upgraded go on where they were: what
    their conversations carry is stored in the shape the versions before stored. A conversation
    whose data this version cannot read is out of date, as a stale button, never an error."""
    ann = await new_customer(own_shop, 10 * USDT, "Ann")
    bob = await new_customer(own_shop, 10 * USDT, "Bob")
    cara = await new_customer(own_shop, 10 * USDT, "Cara")
    dan = await new_customer(own_shop, 10 * USDT, "Dan")
    await cloud_account(ann, "Tencent Cloud", TENCENT_UID)
    await cloud_account(bob, "Tencent Cloud", TENCENT_UID)
    await cara.press("📱 Mobile top-up")
    await cara.wait_for_bot()
    await cara.send("+254771114118")
    await cara.wait_for_bot()
    await dan.press("🛒 Accounts")
    await dan.wait_for_bot()
    await dan.press("Facebook")
    await dan.wait_for_bot()
    await dan.press(contains="Clone US · ")
    await dan.wait_for_bot()
    stored = [await _carried(own_shop, customer) for customer in (ann, bob, cara, dan)]
    assert [data for _, data in stored] == [
        CLOUD_BEFORE,
        CLOUD_BEFORE,
        TOPUP_BEFORE,
        ACCOUNTS_BEFORE,
    ]

    assert own_shop.bot is not None
    await own_shop.bot.stop()
    (ann_key, _), (bob_key, _), (cara_key, _), (dan_key, _) = stored
    await _store(own_shop, ann_key, CLOUD_BEFORE)
    unreadable = {**CLOUD_BEFORE, "target": {"channel": "qcloud", "uid": TENCENT_UID}}
    await _store(own_shop, bob_key, unreadable)
    await _store(own_shop, cara_key, TOPUP_BEFORE)
    await _store(own_shop, dan_key, ACCOUNTS_BEFORE)
    await own_shop.start_bot()

    await ann.press("10 USD")
    assert CONFIRM in (await ann.wait_for_bot()).labels
    await cara.press("📶 Airtime")
    await cara.wait_for_bot()
    await cara.press("100 KES · 0.79 USDT")
    assert CONFIRM in (await cara.wait_for_bot()).labels
    await dan.press("5")
    confirm = await dan.wait_for_bot()
    assert "5 × Clone US" in confirm.text and CONFIRM in confirm.labels

    await bob.press("10 USD")
    await bob.settle()
    assert bob.callback_answers[-1]["text"] == (
        "⚠️ That button is out of date. Send /start for a fresh menu."
    )
    assert "Traceback" not in own_shop.bot.log
