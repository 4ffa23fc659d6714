"""The soak's judge of "no update left unanswered when Telegram was reachable": what it calls
unanswered, and what it excuses (the bot down, a lost or held call about that chat) and not."""

from __future__ import annotations

import math

from sandbox.soak.answers import (
    Answers,
    CustomerUpdate,
    Outage,
    bot_down,
    telegram_failing,
    unanswered,
)
from sandbox.soak.log import Action, ActionLog
from sandbox.telegram import BotAccount, ChatMessage, FiredFault
from sandbox.telegram.state import UserInfo

ANA, BAO = 301, 302


def press(at: float, chat_id: int = ANA, answered: bool = False) -> CustomerUpdate:
    return CustomerUpdate(
        "Ana" if chat_id == ANA else "Bao", chat_id, "a button press", at, answered
    )


def fired(kind: str, at: float, chat_id: int | None = ANA, seconds: float = 0.0) -> FiredFault:
    return FiredFault(kind, "sendmessage", chat_id, at, seconds, carried_out=False)


def test_a_press_never_answered_while_all_was_well_is_a_violation_naming_the_customer() -> None:
    [violation] = unanswered([press(100.0), press(101.0, answered=True)], [], window=15.0)
    assert violation.invariant == "update answered"
    assert violation.about == ("Ana",)
    assert violation.during == (100.0, 115.0)
    assert violation.detail.startswith("Ana: a button press got no answer")


def test_the_bot_down_while_the_update_waited_excuses_it_and_only_then() -> None:
    down = bot_down(
        [
            Action(1, "killer", "SIGKILL the bot", "down for 2 s", at=110.0),
            Action(2, "Ana", "wallet", "…", at=111.0),
            Action(3, "killer", "start the bot", "restart 1", at=113.0),
        ]
    )
    assert down == [Outage(110.0, 113.0, None, "the bot was down")]
    assert unanswered([press(100.0)], down, window=15.0) == []  # killed while handling it
    assert unanswered([press(112.0)], down, window=15.0) == []  # pressed while it was down
    assert len(unanswered([press(90.0)], down, window=15.0)) == 1  # 20 s before: no excuse
    assert len(unanswered([press(113.5)], down, window=15.0)) == 1  # polling again


def test_a_kill_without_a_restart_leaves_the_bot_down_for_good() -> None:
    [outage] = bot_down([Action(1, "killer", "SIGKILL the bot", "down for 2 s", at=50.0)])
    assert (outage.start, outage.end) == (50.0, math.inf)


def test_only_a_lost_or_held_call_about_the_same_chat_excuses_an_update() -> None:
    faults = [
        fired("5xx", 105.0, chat_id=BAO),  # another customer's chat
        fired("429", 105.0),  # waited out by the shop
        fired("5xx", 105.0, chat_id=None),  # getUpdates: asked again, nothing lost
    ]
    failing = telegram_failing(faults)
    assert failing == [Outage(105.0, 105.0, BAO, "sendmessage 5xx")]
    assert [v.about for v in unanswered([press(100.0)], failing, window=15.0)] == [("Ana",)]
    assert unanswered([press(100.0, chat_id=BAO)], failing, window=15.0) == []


def test_a_call_held_since_before_the_update_excuses_it_while_it_is_held() -> None:
    failing = telegram_failing([fired("timeout", 100.0, seconds=61.0)])
    assert unanswered([press(150.0)], failing, window=15.0) == []  # queued behind the held call
    assert len(unanswered([press(170.0)], failing, window=15.0)) == 1  # after it ended


async def test_the_watch_reads_messages_and_presses_from_the_emulators_record() -> None:
    bot = BotAccount("1:SHOP", "shop_bot", "Shop")
    ana = UserInfo(ANA, "Ana")
    chat = bot.private_chat(ana)
    answers = Answers()
    answers.watch("Ana", chat)

    await bot.user_sends(chat, ana, "/start")
    menu = ChatMessage(chat.next_message_id(), ANA, bot.user, 0, text="Menu")
    chat.messages[menu.message_id] = menu
    await chat.record_bot_change(menu.message_id)
    answered_press, _ = await bot.user_presses(chat, ana, menu, "wallet")
    answered_press.answered = True
    await bot.user_presses(chat, ana, menu, "help")  # never answered
    await bot.user_sends(chat, ana, "200000000000")  # no reply came

    updates = answers.updates(bot)
    assert [(u.what, u.answered) for u in updates] == [
        ("message '/start'", True),
        ("a button press", True),
        ("a button press", False),
        ("message '200000000000'", False),
    ]
    log = ActionLog()
    found = answers.violations(bot, [], log)
    assert [v.detail.split(" got")[0] for v in found] == [
        "Ana: a button press",
        "Ana: message '200000000000'",
    ]
    assert log.actions[-1].outcome == "2 unanswered, 0 of them excused"
