"""The soak's pure helpers: reading what a customer was asked to pay and was told, and finding
the steps of the action log that led to a violation."""

from __future__ import annotations

from sandbox.soak.customers import pay_amount, purchase_outcome
from sandbox.soak.faults import FaultRates
from sandbox.soak.invariants import Violation, WhatCustomersWereTold
from sandbox.soak.log import Action, ActionLog
from sandbox.soak.run import Outcome, SoakSettings, replay_command, report, tracebacks
from sandbox.soak.shortest import shortest_log
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


def test_a_step_is_one_line_and_the_tail_is_the_latest() -> None:
    log = ActionLog()
    log.add("Ana", "cloud 10 USD, confirm", "succeeded order 111: ✅ Done!\nBalance: 1.00 USDT")
    log.add("faults", "arm cloud /api/orders/*/pay", "drop")
    log.add("Bao", "energy, double tap", "failed order 222")
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


def a_run() -> list[Action]:
    """Two customers, faults and kills; Ana's cloud order 111 (upstream sn CR-9) goes wrong."""
    steps = [
        ("faults", "arm cloud /api/orders/*/pay", "drop"),
        ("Ana", "top up", "20 USDT added to your balance"),
        ("Bao", "top up", "50 USDT added to your balance"),
        ("faults", "arm telegram sendMessage", "502 page, carried out"),
        ("killer", "SIGKILL the bot", "down for 1.5 s"),
        ("Bao", "energy 65,000 for 1 hour, confirm", "succeeded order 222: ✅ Done!"),
        ("killer", "start the bot", "restart 1"),
        ("Ana", "cloud Tencent Cloud 10 USD, confirm", "succeeded order 111: ✅ Done!"),
        ("faults", "arm energy /v1/order", "hang"),
        ("Ana", "wallet", "Balance: 10.00 USDT"),
        ("auditor", "bot check after the run", "exit 0"),
    ]
    return [Action(n, *step, at=float(n)) for n, step in enumerate(steps, 1)]


def test_the_shortest_log_of_an_order_is_its_customers_life_with_its_faults_and_kills() -> None:
    violation = Violation("told both", "order 111 was shown success and failure", ("111", "CR-9"))
    # Ana's step before the order, the faults and kills from then on, the order's outcome: not
    # Bao's steps, nor the fault armed before Ana began, nor what came after.
    assert [a.step for a in shortest_log(a_run(), violation)] == [2, 4, 5, 7, 8]


def test_the_shortest_log_keeps_the_auditors_finding_about_the_upstream_reference() -> None:
    actions = [*a_run(), Action(12, "auditor", "audit", "cloud sn CR-9 paid twice", at=12.0)]
    violation = Violation("paid twice", "cloud sn CR-9", ("CR-9", "111"))
    assert [a.step for a in shortest_log(actions, violation)] == [2, 4, 5, 7, 8, 12]


def test_the_shortest_log_of_a_moment_runs_from_the_customers_step_before_to_the_one_after() -> (
    None
):
    violation = Violation("update answered", "Bao's a button press", ("Bao",), (4.5, 19.5))
    # Bao's step before the press, the fault and the kill while Bao acted, and the step that
    # reports the action; not what came after, though the span of the violation goes on.
    assert [a.step for a in shortest_log(a_run(), violation)] == [3, 4, 5, 6]


def test_a_violation_naming_nothing_has_no_shortest_log() -> None:
    assert shortest_log(a_run(), Violation("money not conserved", "customers hold 1")) == []


def test_the_replay_command_names_every_setting_that_differs() -> None:
    """CI's soak kills more often than the default: its replay must say so, or it replays another
    run."""
    settings = SoakSettings(seed=3, minutes=0.5, kill_every=12, rates=FaultRates(drop=0.2))
    command = replay_command(settings)
    assert command.startswith("python -m sandbox.soak --seed 3 --minutes 0.5")
    assert "--kill-every 12" in command and "--drop-rate 0.2" in command
    assert "--hang-rate" not in command
    assert replay_command(SoakSettings(seed=1, minutes=2)) == (
        "python -m sandbox.soak --seed 1 --minutes 2"
    )


def test_the_summary_shows_the_auditors_findings_about_the_whole_run() -> None:
    outcome = Outcome()
    outcome.log.add("auditor", "bot check after restart 1", "exit 0: ok")
    outcome.log.add("auditor", "judge the answers to 40 presses and messages", "0 unanswered")
    summary = report(SoakSettings(seed=1, minutes=1), outcome)
    assert "audit: judge the answers to 40 presses and messages -> 0 unanswered" in summary
    assert "bot check after restart 1" not in summary
