"""LOG_FORMAT=json as an operator's log collector reads it from the real bot: every line one JSON
object, a customer's purchase findable by their user id and by its order id."""

from __future__ import annotations

import json
from pathlib import Path

from storage.orders import OrderStatus
from tests.e2e.flows import CONFIRM, USDT, energy_confirmation, orders_of
from tests.e2e.harness import BOT_TOKEN, Shop


async def test_a_purchase_in_the_json_log(tmp_path: Path) -> None:
    shop = Shop(tmp_path, {"LOG_FORMAT": "json"})
    await shop.start()
    try:
        assert shop.bot is not None
        bot = shop.bot
        cleo, _ = await energy_confirmation(shop, 10 * USDT)
        await cleo.press(CONFIRM)
        await cleo.wait_until(lambda m: "Done!" in m.text)
        [(order_id, status)] = await orders_of(shop, cleo.user_id)
        assert status == OrderStatus.SUCCEEDED
    finally:
        await shop.stop()

    entries = [json.loads(line) for line in bot.log_lines]  # each line is one JSON object
    assert entries and all(isinstance(entry, dict) for entry in entries)
    assert all({"time", "level", "logger", "message"} <= entry.keys() for entry in entries)
    assert any(entry["message"].startswith("Run polling for bot") for entry in entries)

    cleos = [entry for entry in entries if entry.get("user_id") == cleo.user_id]
    handled = [entry for entry in cleos if entry["logger"] == "aiogram.event"]
    # /start, the energy button, the address, the amount, the period, Confirm: each an update
    assert len({entry["update_id"] for entry in handled}) >= 6
    for entry in handled:
        assert entry["message"].startswith(f"Update id={entry['update_id']} is handled")

    confirmed, settled = [entry for entry in entries if entry.get("order_id") == order_id]
    assert confirmed["message"] == f"order {order_id} (energy): quoted -> confirmed, hold placed"
    assert confirmed["update_id"] == max(entry["update_id"] for entry in handled)  # Confirm
    assert settled["message"].startswith(f"order {order_id} (energy): submitted -> succeeded")
    # settled in the customer's update or by the follow-up job: the customer is named anyway
    assert confirmed["user_id"] == settled["user_id"] == cleo.user_id
    assert BOT_TOKEN.split(":")[1] not in "\n".join(bot.log_lines)
