"""The soak's judge of "no update left unanswered when Telegram was reachable": what it calls
unanswered, and what it excuses (the killed bot holding it, a press too old by the restart, a
lost or held call about that chat) and not."""

from __future__ import annotations

import math

from sandbox.soak.answer_excuses import (
    KILLED_HOLDING,
    REFUSED_TOO_OLD,
    TELEGRAM_FAILING,
    TOO_OLD_BY_RESTART,
    ChatFailing,
    CustomerUpdate,
    Kill,
    excuse,
    excused_by_reason,
    kills,
    telegram_failing,
)
from sandbox.soak.answers import Answers, replied, violation
from sandbox.soak.log import Action, ActionLog
from sandbox.telegram import BotAccount, ChatMessage, FiredFault
from sandbox.telegram.state import UserInfo

ANA, BAO = 301, 302


def press(
    at: float,
    chat_id: int = ANA,
    handed_out: tuple[float, ...] = (),
    refused_too_old: bool = False,
) -> CustomerUpdate:
    customer = "Ana" if chat_id == ANA else "Bao"
    return CustomerUpdate(
        customer, chat_id, "a button press", at, False, True, handed_out, refused_too_old
    )


def message(at: float, handed_out: tuple[float, ...] = ()) -> CustomerUpdate:
    return CustomerUpdate("Ana", ANA, "message '/start'", at, False, handed_out=handed_out)


def fired(kind: str, at: float, chat_id: int | None = ANA, seconds: float = 0.0) -> FiredFault:
    return FiredFault(kind, "sendmessage", chat_id, at, seconds, carried_out=False)


def test_a_press_never_answered_while_all_was_well_is_a_violation_naming_the_customer() -> None:
    update = press(100.0, handed_out=(100.1,))
    assert excuse(update, [], []) is None
    found = violation(update)
    assert found.invariant == "update answered"
    assert found.about == ("Ana",)
    assert found.during == (100.0, 115.1)
    assert found.detail.startswith("Ana: a button press got no answer")


def test_the_killer_steps_give_each_kill_and_its_restart_or_none() -> None:
    steps = [
        Action(1, "killer", "SIGKILL the bot", "down for 2 s", at=110.0),
        Action(2, "Ana", "wallet", "…", at=111.0),
        Action(3, "killer", "start the bot", "restart 1", at=113.0),
        Action(4, "killer", "SIGKILL the bot", "down for 2 s", at=150.0),
    ]
    assert kills(steps) == [Kill(110.0, 113.0), Kill(150.0, math.inf)]


def test_a_kill_excuses_an_update_only_if_the_killed_bot_had_it_in_hand() -> None:
    down = [Kill(110.0, 113.0)]
    assert excuse(press(100.0, handed_out=(100.1,)), down, []) == KILLED_HOLDING
    assert excuse(message(108.0, handed_out=(108.1,)), down, []) == KILLED_HOLDING
    # Pressed 10 s before the kill but never polled: the bot was not holding it.
    assert excuse(message(100.0), down, []) is None
    # Taken again by the new process after the restart: that one had to answer it.
    assert excuse(message(108.0, handed_out=(108.1, 113.2)), down, []) is None
    # Taken long before the kill: the bot sat on it, the kill did not cost it its answer.
    assert excuse(message(90.0, handed_out=(90.1,)), down, []) is None
    # Taken after the kill, by the new process.
    assert excuse(message(114.0, handed_out=(114.1,)), down, []) is None


def test_a_message_sent_while_the_bot_was_down_must_be_answered_after_the_restart() -> None:
    down = [Kill(110.0, 140.0)]  # down for longer than Telegram takes a press's answer
    assert excuse(message(111.0, handed_out=(140.1,)), down, []) is None
    assert excuse(message(111.0), down, []) is None


def test_a_press_too_old_by_the_restart_is_excused_and_one_still_answerable_is_not() -> None:
    assert excuse(press(111.0), [Kill(110.0, 127.0)], []) == TOO_OLD_BY_RESTART
    assert excuse(press(105.0), [Kill(110.0, 121.0)], []) == TOO_OLD_BY_RESTART
    # Back 2 s after the press: the new process had 13 s to answer it.
    assert excuse(press(111.0, handed_out=(113.1,)), [Kill(110.0, 113.0)], []) is None
    # Pressed after the restart: no restart to wait across.
    assert excuse(press(114.0), [Kill(110.0, 113.0)], []) is None
    # Pressed so long before the kill that it was already past answering: not the kill's doing.
    assert excuse(press(80.0), [Kill(110.0, 140.0)], []) is None


def test_an_answer_refused_as_too_old_is_excused_only_after_a_restart_it_waited_across() -> None:
    late = press(108.0, handed_out=(113.1,), refused_too_old=True)
    assert excuse(late, [Kill(110.0, 113.0)], []) == REFUSED_TOO_OLD
    assert excuse(late, [], []) is None  # the bot up all along answered too late
    assert excuse(late, [Kill(130.0, 131.0)], []) is None  # a kill after it was due


def test_only_a_lost_or_held_call_about_the_same_chat_excuses_an_update() -> None:
    faults = [
        fired("5xx", 105.0, chat_id=BAO),  # another customer's chat
        fired("429", 105.0),  # waited out by the shop
        fired("5xx", 105.0, chat_id=None),  # getUpdates: asked again, nothing lost
    ]
    failing = telegram_failing(faults)
    assert failing == [ChatFailing(105.0, 105.0, BAO, "sendmessage 5xx")]
    assert excuse(press(100.0), [], failing) is None
    assert excuse(press(100.0, chat_id=BAO), [], failing) == TELEGRAM_FAILING
    assert excuse(press(80.0, chat_id=BAO), [], failing) is None  # long before the fault


def test_a_call_held_since_before_the_update_excuses_it_while_it_is_held() -> None:
    failing = telegram_failing([fired("timeout", 100.0, seconds=61.0)])
    assert excuse(press(150.0), [], failing) == TELEGRAM_FAILING  # queued behind the held call
    assert excuse(press(170.0), [], failing) is None  # after it ended


def test_the_excused_are_counted_by_reason_and_the_rest_left() -> None:
    down = [Kill(110.0, 130.0)]
    updates = [press(100.0, handed_out=(100.1,)), press(111.0), message(111.0), press(200.0)]
    left, reasons = excused_by_reason(updates, down, [])
    assert [update.at for update in left] == [111.0, 200.0]
    assert reasons == {KILLED_HOLDING: 1, TOO_OLD_BY_RESTART: 1}


def test_a_reply_counts_for_a_message_only_within_the_window_after_the_bot_took_it() -> None:
    assert replied(100.0, 100.1, [103.0], window=15.0)
    assert replied(100.0, 120.0, [130.0], window=15.0)  # taken late, after a restart
    assert not replied(100.0, 100.1, [99.0], window=15.0)  # before the message
    assert not replied(100.0, 100.1, [140.0], window=15.0)  # a later broadcast or alert


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
    paid = ChatMessage(chat.next_message_id(), ANA, ana, 0)  # a payment whose update was lost
    chat.messages[paid.message_id] = paid
    chat.tell_watchers()
    await bot.take_updates(offset=0, limit=100, timeout=0)  # the bot took all four

    updates = answers.updates(bot)
    assert [(u.what, u.answered, u.press, len(u.handed_out)) for u in updates] == [
        ("message '/start'", True, False, 1),
        ("a button press", True, True, 1),
        ("a button press", False, True, 1),
        ("message '200000000000'", False, False, 1),
    ]
    log = ActionLog()
    found = answers.violations(bot, [], log)
    assert [v.detail.split(" got")[0] for v in found] == [
        "Ana: a button press",
        "Ana: message '200000000000'",
    ]
    assert log.actions[-1].outcome == "2 unanswered, 0 of them excused"

    log.add("killer", "SIGKILL the bot", "down for 1 s")  # it died holding both
    assert answers.violations(bot, [], log) == []
    assert log.actions[-1].outcome == (f"2 unanswered, 2 of them excused; {KILLED_HOLDING}: 2")
