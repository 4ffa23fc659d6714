"""The soak with the bot on its webhook: the webhook's own faults (an answer lost, an update
replayed), the check that no update is handled twice, and Telegram's queue left empty."""

from __future__ import annotations

import asyncio
import random
import signal
from collections import Counter

from sandbox.soak.__main__ import settings_from
from sandbox.soak.answers import Answers
from sandbox.soak.handled_once import BotRun, fed_summary, fed_twice
from sandbox.soak.log import Action, ActionLog
from sandbox.soak.run import Outcome, every_update_delivered, replay_command, report
from sandbox.soak.telegram_faults import draw_telegram_fault
from sandbox.soak.webhook_faults import Replays, WebhookFaultInjector, WebhookRates
from sandbox.telegram import BotAccount
from sandbox.telegram.state import UserInfo, message_key

ANA = 301


def fed(update_id: int, handled: bool = True) -> str:
    outcome = "handled" if handled else "not handled"
    return (
        f"2026-12-02 16:51:43,907 INFO aiogram.event [update {update_id} user {ANA}]: "
        f"Update id={update_id} is {outcome}. Duration 11 ms by bot id=5151515151"
    )


def test_an_update_fed_twice_to_one_process_is_a_violation() -> None:
    [found] = fed_twice([BotRun([fed(7), "INFO something else", fed(8), fed(7)])])
    assert found.invariant == "update handled once"
    assert found.detail == "update 7 was fed twice to bot process 1 (first handled)"
    assert found.about == ("update 7 again",)


def test_an_update_fed_again_after_a_sigkill_is_the_power_cuts_window() -> None:
    runs = [BotRun([fed(7), fed(8)], signal.SIGKILL), BotRun([fed(7)], signal.SIGTERM)]
    again: Counter[str] = Counter()
    assert fed_twice(runs, again) == []
    assert again == Counter({"after a SIGKILL": 1})
    assert fed_summary(runs, 0, again) == (
        "2 updates fed to 2 processes, 1 again after a SIGKILL, 0 twice"
    )


def test_after_a_sigterm_only_an_update_cut_short_may_come_again() -> None:
    cut_short = [BotRun([fed(7, handled=False)], signal.SIGTERM), BotRun([fed(7)])]
    assert fed_twice(cut_short) == []
    handled = [BotRun([fed(7)], signal.SIGTERM), BotRun([fed(7)])]
    [found] = fed_twice(handled)
    assert found.detail == (
        "update 7 was fed to bot process 1 (handled) and again to process 2,"
        " though the first one stopped without a SIGKILL"
    )


def test_replicas_side_by_side_may_not_both_handle_an_update() -> None:
    """Several replicas run at once: neither stopped, so neither excuses the other."""
    [found] = fed_twice([BotRun([fed(7)]), BotRun([fed(8)]), BotRun([fed(7)])])
    assert found.detail == (
        "update 7 was fed to bot process 1 (handled) and again to process 3, both running"
    )


def test_a_process_that_never_started_excuses_nothing() -> None:
    runs = [BotRun([fed(7)], signal.SIGTERM), BotRun([], None), BotRun([fed(7)])]
    assert len(fed_twice(runs)) == 1


async def answered_update(bot: BotAccount, answers: Answers) -> None:
    """Ana sends /start, the webhook takes it and answers 200; the bot never replied in the chat."""
    ana = UserInfo(ANA, "Ana")
    chat = bot.private_chat(ana)
    answers.watch("Ana", chat)
    await bot.user_sends(chat, ana, "/start")
    [update] = bot.updates
    bot.note_posted(update, 100.0)
    bot.confirm(update)


async def test_a_replay_is_not_taken_for_the_bot_getting_the_update_again() -> None:
    """A kill just after the soak replayed an unanswered message must not excuse it: the bot
    had handled that update long before."""
    bot = BotAccount("1:SHOP", "shop_bot", "Shop")
    answers = Answers()
    await answered_update(bot, answers)
    key = message_key(ANA, 1)
    bot.replay_update(1)
    [update] = bot.updates
    bot.note_posted(update, 500.0)  # the replay reached the bot
    log = ActionLog()
    log.actions.append(Action(1, "killer", "SIGKILL the bot", "down for 1 s", at=505.0))
    assert answers.violations(bot, [], log) == []  # as if the killed bot had it in hand
    replayed_at = {key: 499.0}

    [update_seen] = answers.updates(bot, replayed_at)
    assert update_seen.handed_out == (100.0,)
    [found] = answers.violations(bot, [], log, replayed_at)
    assert found.detail.startswith("Ana: message '/start' got no answer")


async def test_a_replay_posts_one_of_the_latest_answered_updates_again() -> None:
    bot = BotAccount("1:SHOP", "shop_bot", "Shop")
    await answered_update(bot, Answers())
    replays = Replays()
    injected: Counter[str] = Counter()
    log = ActionLog()
    injector = WebhookFaultInjector(bot, WebhookRates(), random.Random(1), log, injected, replays)
    injector.replay()
    assert [update["update_id"] for update in bot.updates] == [1]
    assert replays.at == {1: log.actions[-1].at}
    assert replays.by_key == {message_key(ANA, 1): log.actions[-1].at}
    assert log.actions[-1].outcome == "update 1 again"
    injector.replay()  # update 1 waits for delivery again: nothing else to replay
    assert len(bot.updates) == 1 and injected == Counter({"webhook replay": 1})


async def test_the_injector_loses_answers_and_replays_until_the_time_is_up() -> None:
    bot = BotAccount("1:SHOP", "shop_bot", "Shop")
    await answered_update(bot, Answers())
    injected: Counter[str] = Counter()
    injector = WebhookFaultInjector(
        bot,
        WebhookRates(lost_answer=1.0, replay=1.0),
        random.Random(1),
        ActionLog(),
        injected,
        Replays(),
    )
    await injector.run(asyncio.get_running_loop().time() + 0.1)
    assert injected == Counter({"webhook answer lost": 1, "webhook replay": 1})
    assert bot.webhook.answers_to_lose == 0  # faults stopped: no answer is lost any more


async def test_an_update_left_waiting_for_the_webhook_is_a_violation() -> None:
    bot = BotAccount("1:SHOP", "shop_bot", "Shop")
    await answered_update(bot, Answers())
    log = ActionLog()
    assert await every_update_delivered(bot, log, 0.05) == []
    bot.replay_update(1)
    [found] = await every_update_delivered(bot, log, 0.05)
    assert found.invariant == "every update delivered"
    assert "1 updates still undelivered" in found.detail
    assert log.actions[-1].outcome == "not empty"


def test_on_a_webhook_no_fault_waits_for_a_getupdates_that_never_comes() -> None:
    rng = random.Random(5)
    methods = {draw_telegram_fault(rng, polling=False).method for _ in range(500)}
    assert "getUpdates" not in methods and "sendMessage" in methods
    rng = random.Random(5)
    assert "getUpdates" in {draw_telegram_fault(rng).method for _ in range(500)}


def test_the_webhook_mode_and_its_rates_are_read_and_replayed() -> None:
    settings = settings_from(["--seed", "4", "--minutes", "1", "--webhook", "--replay-rate", "0.3"])
    assert settings.webhook and settings.webhook_rates == WebhookRates(replay=0.3)
    assert replay_command(settings) == (
        "python -m sandbox.soak --seed 4 --minutes 1 --webhook --replay-rate 0.3"
    )
    polling = settings_from(["--seed", "4", "--replay-rate", "0.3"])
    assert not polling.webhook
    assert "--replay-rate" not in replay_command(polling)  # it means nothing without --webhook
    summary = report(settings, Outcome())
    assert "soak seed 4: 1 min, 20 customers, webhook" in summary
