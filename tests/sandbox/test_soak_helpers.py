"""The soak's pure helpers: reading what a customer was asked to pay and was told, and finding
the steps of the action log that led to a violation."""

from __future__ import annotations

from sandbox.soak.customers import pay_amount, purchase_outcome
from sandbox.soak.invariants import WhatCustomersWereTold
from sandbox.soak.log import ActionLog
from sandbox.soak.run import tracebacks
from sandbox.telegram import ChatMessage
from sandbox.telegram.state import Chat, UserInfo

SHOP = UserInfo(1, "Shop", "shop_bot", is_bot=True)


def bot_says(chat: Chat, text: str, message_id: int | None = None) -> None:
    """The bot sends `text`, or edits message `message_id` to it, and the chat's watchers see it."""
    if message_id is None:
        message_id = chat.next_message_id()
        chat.messages[message_id] = ChatMessage(message_id, chat.id, SHOP, 0, text=text)
    else:
        chat.messages[message_id].text = text
    chat.events.append(message_id)
    chat.tell_watchers()


def test_the_amount_to_pay_is_read_as_the_customer_reads_it() -> None:
    request = ChatMessage(1, 1, SHOP, 0, text="Send exactly 20.000003 USDT (TRC20) to TRj2…")
    assert pay_amount(request) == 20_000_003
    assert pay_amount(ChatMessage(1, 1, SHOP, 0, text="Send exactly 50 USDT to …")) == 50_000_000


def test_a_purchase_outcome_is_read_from_the_chat() -> None:
    def outcome(text: str) -> str | None:
        return purchase_outcome(ChatMessage(1, 1, SHOP, 0, text=text))

    assert outcome("✅ Done! Order 42: 10.00 USD added") == "succeeded"
    assert outcome("❌ Order 42 could not be completed. …") == "failed"
    assert outcome("⏳ Order 42 is still being processed by the supplier.") == "pending"
    assert outcome("⏳ Processing order 42…") is None


def test_an_order_shown_done_then_edited_to_failed_is_told_both() -> None:
    chat = Chat(7, "private")
    told = WhatCustomersWereTold()
    told.watch(chat)
    bot_says(chat, "✅ Done! Order 111: 65,000 energy delegated")
    bot_says(chat, "❌ Order 111 could not be completed. 0.65 USDT went back to your balance.", 1)
    bot_says(chat, "✅ Done! Order 222: 10.00 USD added")
    bot_says(chat, "❌ Order 333 did not go through. The supplier refused it.")
    [violation] = told.violations()
    assert violation.invariant == "told both"
    assert violation.about == ("111",)


def test_a_violation_shows_the_steps_that_name_it() -> None:
    log = ActionLog()
    log.add("Ana", "cloud 10 USD, confirm", "succeeded order 111: ✅ Done!\nBalance: 1.00 USDT")
    log.add("faults", "arm cloud /api/orders/*/pay", "drop")
    log.add("Bao", "energy, double tap", "failed order 222")
    assert [step.step for step in log.mentioning("111")] == [1]
    assert "\n" not in str(log.actions[0])
    assert [step.actor for step in log.tail(2)] == ["faults", "Bao"]


def test_a_traceback_in_the_bot_log_is_a_violation() -> None:
    lines = ["INFO polling", "Traceback (most recent call last):", '  File "x.py"', "KeyError: 1"]
    [violation] = tracebacks(lines)
    assert "KeyError: 1" in violation.detail
    assert tracebacks(["INFO polling", "WARNING upstream timed out"]) == []


def test_a_chained_traceback_is_one_violation_that_names_the_shops_frame() -> None:
    lines = [
        "ERROR aiogram.event: Cause exception while process update",
        "Traceback (most recent call last):",
        '  File "/venv/lib/python3.11/site-packages/aiogram/client/session/base.py", line 87',
        "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)",
        "",
        "The above exception was the direct cause of the following exception:",
        "",
        "Traceback (most recent call last):",
        '  File "/shop/handlers/cloud.py", line 40, in confirm',
        "aiogram.exceptions.TelegramNetworkError: HTTP Client says - Bad Gateway",
        "INFO polling goes on",
    ]
    [violation] = tracebacks(lines)
    assert violation.detail.splitlines() == [lines[0], lines[3], lines[8], lines[9]]
