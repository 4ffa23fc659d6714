"""Bot API faults of the emulator: a call refused with 429, lost behind a gateway's 502 page, or
held past the caller's timeout, each carried out or not as Telegram would have."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
)

from sandbox.telegram import ApiFault, ApiFaults, TelegramEmulator

USER = 7101


async def test_a_429_refuses_the_call_with_retry_after_and_sends_nothing(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    alice = emulator.private_chat(USER, "Alice")
    emulator.faults.add(ApiFault("429", "sendMessage", retry_after=3))

    with pytest.raises(TelegramRetryAfter) as refused:
        await bot.send_message(USER, "refused")

    assert refused.value.retry_after == 3
    assert alice.bot_messages == []
    await bot.send_message(USER, "sent after waiting")  # the fault was for one call
    assert [m.text for m in alice.bot_messages] == ["sent after waiting"]


@pytest.mark.parametrize("carried_out", [True, False])
async def test_a_502_page_hides_whether_telegram_carried_the_call_out(
    emulator: TelegramEmulator, bot: Bot, carried_out: bool
) -> None:
    alice = emulator.private_chat(USER, "Alice")
    emulator.faults.add(ApiFault("5xx", "sendMessage", carried_out=carried_out))

    with pytest.raises(ClientDecodeError):  # an HTML page, not Telegram's answer
        await bot.send_message(USER, "maybe sent")

    assert [m.text for m in alice.bot_messages] == (["maybe sent"] if carried_out else [])


@pytest.mark.parametrize("carried_out", [True, False])
async def test_a_call_held_past_the_callers_timeout_is_carried_out_late_or_never(
    emulator: TelegramEmulator, bot: Bot, carried_out: bool
) -> None:
    alice = emulator.private_chat(USER, "Alice")
    emulator.faults.add(ApiFault("timeout", "sendMessage", carried_out=carried_out, seconds=1.5))

    with pytest.raises(TelegramNetworkError):
        await bot.send_message(USER, "late", request_timeout=1)
    assert alice.bot_messages == []  # the caller gave up before Telegram did anything

    await asyncio.sleep(1.0)
    assert [m.text for m in alice.bot_messages] == (["late"] if carried_out else [])


async def test_a_fault_that_fired_names_the_chat_of_the_call(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    alice = emulator.private_chat(USER, "Alice")
    sent = await bot.send_message(USER, "menu")
    await alice.press_data("wallet", message_id=sent.message_id)
    [update] = await bot.get_updates(timeout=1)
    assert update.callback_query is not None
    emulator.faults.add(ApiFault("5xx", "answerCallbackQuery", carried_out=False))
    emulator.faults.add(ApiFault("429", "getUpdates"))

    with pytest.raises(ClientDecodeError):
        await bot.answer_callback_query(update.callback_query.id)
    with pytest.raises(TelegramRetryAfter):
        await bot.get_updates(offset=update.update_id + 1, timeout=0)

    fired = [(f.kind, f.method, f.chat_id) for f in emulator.faults.fired]
    assert fired == [("5xx", "answercallbackquery", USER), ("429", "getupdates", None)]
    assert alice.callback_answers == []  # not carried out: the spinner still turns
    assert emulator.faults.armed == []


async def test_a_gateway_fault_waits_for_a_call_telegram_carries_out(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    alice = emulator.private_chat(USER, "Alice")
    emulator.fail_through_gateway("editMessageText")

    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("nothing to edit", chat_id=USER, message_id=99)
    sent = await bot.send_message(USER, "first")
    with pytest.raises(ClientDecodeError):
        await bot.edit_message_text("edited", chat_id=USER, message_id=sent.message_id)

    assert [m.text for m in alice.bot_messages] == ["edited"]
    assert [f.method for f in emulator.faults.fired] == ["editmessagetext"]


def test_a_refused_call_gives_back_its_own_fault_not_one_fired_since_by_another_call() -> None:
    faults = ApiFaults()
    faults.add(ApiFault("5xx", "editMessageText"))
    faults.add(ApiFault("429", "sendMessage"))
    edit = faults.take("editmessagetext", USER)
    send = faults.take("sendmessage", USER)  # another call, while the edit is carried out
    assert edit is not None and send is not None

    faults.give_back(*edit)  # Telegram refused the edit: its fault did not fire after all

    assert [(f.kind, f.method) for f in faults.fired] == [("429", "sendmessage")]
    assert [(f.kind, f.method, f.times) for f in faults.armed] == [("5xx", "editmessagetext", 1)]
