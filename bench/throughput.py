"""Update throughput: menu navigation through the whole shop against a bare aiogram echo bot,
polling and on a webhook.

The Telegram emulator runs in this process; the shop (`python -m bot run`, configured through its
environment, a fresh database on the real disk, no upstream lines) and a bare echo bot
(`bench.echo_bot`) each run as their own process on the same emulator with their own token:
both polling, and both again on their webhooks (the shop with `--webhook`; the echo bot as
aiogram documents it, and once more with its echo sent back in the webhook's answer, to measure
what that saves).

In each run, 500 customers (each a new user in a private chat) act all at once, each doing 10
steps one after another and waiting for the bot's answer to each step before the next: 5,000
updates. In the shop the steps navigate the menu (/start, 💰 Wallet, ⬅️ Back, 🌐 Language, a
language, …): the user lookup, the locale, the FSM storage and SQLite on every update. The echo
bot gets 10 messages from each customer and echoes each. The figure is updates per second, from
the first update sent to the last answer seen; every bot is measured in every run, one after the
other (their order alternates), and the shop compared with the echo bot of its mode run by run.

Target (docs/benchmarks.md): the shop reaches at least 0.6× the echo bot, in each mode.
Correctness: every customer got every answer, each the screen expected, and `python -m bot check`
passes afterwards on both shops' databases.

    python -m bench.throughput            # BENCH_RUNS=5 for steadier figures
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import RUNS, check, figure, header, machine, ratio, run_main, show
from bot.services.config import without_settings
from sandbox.bot_process import BotProcess
from sandbox.server import free_port
from sandbox.telegram import ChatDriver, TelegramEmulator

ROOT = Path(__file__).resolve().parents[1]
CUSTOMERS = 500
WARM_UP_CUSTOMERS = 50
ANSWER_TIMEOUT = 60.0  # for one answer, under the whole load
SHOP_TOKEN = "5000000001:BENCH-shop"
ECHO_TOKEN = "5000000002:BENCH-echo"
WEBHOOK_SHOP_TOKEN = "5000000003:BENCH-shop-webhook"
WEBHOOK_ECHO_TOKEN = "5000000004:BENCH-echo-webhook"
ANSWERING_ECHO_TOKEN = "5000000005:BENCH-echo-answer"
WEBHOOK_SECRET = "BENCH-webhook-secret"
TARGET = 0.6

_user_ids = itertools.count(7_000_001)


@dataclass(frozen=True)
class Step:
    """What a customer sends (or, with `press`, the label of the button pressed) and the text
    the bot's answer must contain."""

    action: str
    answer: str
    press: bool = True


SHOP_STEPS = (
    Step("/start", "🏠 Main menu", press=False),
    Step("💰 Wallet", "💰 Wallet"),
    Step("⬅️ Back", "🏠 Main menu"),
    Step("🌐 Language", "🌐 Choose your language"),
    Step("✓ English", "✅ Language set to English."),
    Step("💰 Wallet", "💰 Wallet"),
    Step("⬅️ Back", "🏠 Main menu"),
    Step("🌐 Language", "🌐 Choose your language"),
    Step("⬅️ Back", "🏠 Main menu"),
    Step("💰 Wallet", "💰 Wallet"),  # the screen every customer ends on
)
ECHO_STEPS = tuple(Step(f"ping {n}", f"ping {n}", press=False) for n in range(1, 11))
UPDATES = CUSTOMERS * len(SHOP_STEPS)


async def _walk(customer: ChatDriver, steps: Sequence[Step]) -> tuple[int, float]:
    """Do the steps in order, each after the answer to the one before; returns how many answers
    came as expected and when the last one came."""
    for answered, step in enumerate(steps):
        if step.press:
            await customer.press(step.action)
        else:
            await customer.send(step.action)
        answer = await customer.wait_for_bot(timeout=ANSWER_TIMEOUT)
        if step.answer not in answer.text:
            raise AssertionError(
                f"after {step.action!r} the bot showed {answer.text!r}, "
                f"expected {step.answer!r}; chat {customer.chat_id}:\n{customer.describe()}"
            )
        if answered == len(steps) - 1:
            finished = time.perf_counter()
            shown = customer.last_bot_message  # the chat ends on the last step's screen
            if shown is None or step.answer not in shown.text:
                raise AssertionError(
                    f"the chat ends on {shown and shown.text!r}, expected {step.answer!r}"
                )
            return answered + 1, finished
    raise AssertionError("no steps")


async def crowd(
    emulator: TelegramEmulator, token: str, steps: Sequence[Step], customers: int
) -> float:
    """`customers` new users do `steps` all at once; returns updates per second, first update
    to last answer. Fails the run unless every customer got every answer as expected."""
    chats = [
        emulator.private_chat(
            user_id=user_id,
            first_name=f"C{user_id}",
            language_code="en",
            username=f"c{user_id}",
            bot=token,
        )
        for user_id in itertools.islice(_user_ids, customers)
    ]
    started = time.perf_counter()
    results = await asyncio.gather(*(_walk(chat, steps) for chat in chats), return_exceptions=True)
    failures = [result for result in results if isinstance(result, BaseException)]
    check(
        not failures,
        f"{len(failures)} of {customers} customers did not get every answer; the first:\n"
        f"{failures[0] if failures else ''}",
    )
    finished = [result for result in results if not isinstance(result, BaseException)]
    answers = sum(count for count, _ in finished)
    check(answers == customers * len(steps), f"{answers} answers to {customers * len(steps)}")
    return answers / (max(at for _, at in finished) - started)


def _shop_env(emulator: TelegramEmulator, database: Path) -> dict[str, str]:
    env = without_settings(os.environ)  # no product line: the menu is the shop's own screens
    port = free_port()
    env.update(
        BOT_TOKEN=SHOP_TOKEN,
        TELEGRAM_API_BASE=emulator.base_url,
        DATABASE_PATH=str(database),
        WEB_HOST="127.0.0.1",
        WEB_PORT=str(port),
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        PROVIDER_CHECK_EVERY_SECONDS="3600",
        DAILY_REPORT_AT="",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    return env


async def _ledger_check(env: dict[str, str]) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "check",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    check(process.returncode == 0, "python -m bot check failed:\n" + output.decode())


def _errors(process: BotProcess) -> list[str]:
    return [line for line in process.log_lines if " ERROR " in line or "Traceback" in line]


@dataclass
class Contender:
    """One bot in the race: its process, and the steps its customers take."""

    name: str
    token: str
    steps: Sequence[Step]
    env: dict[str, str]
    command: tuple[str, ...] = ("-m", "bot", "run")
    runs: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.process = BotProcess(self.env, ROOT, command=self.command)


def _contenders(emulator: TelegramEmulator, folder: Path) -> list[Contender]:
    def env(token: str, database: str, *, webhook: bool = False) -> dict[str, str]:
        own = {**_shop_env(emulator, folder / database), "BOT_TOKEN": token}
        if webhook:
            own.update(BOT_MODE="webhook", WEBHOOK_SECRET=WEBHOOK_SECRET)
        return own

    echo = ("-m", "bench.echo_bot")
    return [
        Contender("shop", SHOP_TOKEN, SHOP_STEPS, env(SHOP_TOKEN, "shop.sqlite3")),
        Contender("echo", ECHO_TOKEN, ECHO_STEPS, env(ECHO_TOKEN, "-"), echo),
        Contender(
            "shop on its webhook",
            WEBHOOK_SHOP_TOKEN,
            SHOP_STEPS,
            env(WEBHOOK_SHOP_TOKEN, "webhook-shop.sqlite3", webhook=True),
        ),
        Contender(
            "echo on its webhook",
            WEBHOOK_ECHO_TOKEN,
            ECHO_STEPS,
            env(WEBHOOK_ECHO_TOKEN, "-", webhook=True),
            (*echo, "--webhook"),
        ),
        Contender(
            "echo answering in the webhook's answer",
            ANSWERING_ECHO_TOKEN,
            ECHO_STEPS,
            env(ANSWERING_ECHO_TOKEN, "-", webhook=True),
            (*echo, "--webhook", "--answer-in-response"),
        ),
    ]


async def main() -> None:
    header(f"Update throughput: {CUSTOMERS} customers × 10 steps = {UPDATES:,} updates per bot")
    print(f"  on {machine()}", flush=True)
    (ROOT / "data").mkdir(exist_ok=True)
    emulator = TelegramEmulator()
    for token in (
        SHOP_TOKEN,
        ECHO_TOKEN,
        WEBHOOK_SHOP_TOKEN,
        WEBHOOK_ECHO_TOKEN,
        ANSWERING_ECHO_TOKEN,
    ):
        emulator.add_bot(token, username=f"bench_{token.split(':')[0]}_bot", first_name="Bench")
    await emulator.start()
    with tempfile.TemporaryDirectory(dir=ROOT / "data", prefix="bench-throughput-") as folder:
        contenders = _contenders(emulator, Path(folder))
        shop, echo, webhook_shop, webhook_echo, answering_echo = contenders
        try:
            for contender in contenders:
                await contender.process.start()
            for contender in contenders:  # warm each up: first imports, first queries
                await crowd(emulator, contender.token, contender.steps, WARM_UP_CUSTOMERS)
            for run in range(RUNS):
                for contender in contenders if run % 2 == 0 else contenders[::-1]:
                    contender.runs.append(
                        await crowd(emulator, contender.token, contender.steps, CUSTOMERS)
                    )
                print(
                    f"  run {run + 1}: "
                    + ", ".join(f"{c.name} {c.runs[-1]:,.0f}/s" for c in contenders),
                    flush=True,
                )
            for contender in contenders:
                process = contender.process
                check(process.running, "a bot stopped during the run:\n" + process.log)
                errors = _errors(process)
                check(not errors, "errors in a bot's log:\n" + "\n".join(errors))
        finally:
            for contender in contenders[::-1]:
                await contender.process.stop()
            await emulator.stop()
        for checked in (shop, webhook_shop):
            await _ledger_check(checked.env)
    polling = ratio("shop / echo bot, polling", shop.runs, echo.runs)
    webhook = ratio("shop / echo bot, on their webhooks", webhook_shop.runs, webhook_echo.runs)
    show(
        figure("shop: menu navigation, polling", "updates/s", shop.runs),
        figure("bare aiogram echo bot, polling", "updates/s", echo.runs),
        polling,
        figure("shop: menu navigation, webhook", "updates/s", webhook_shop.runs),
        figure("bare aiogram echo bot, webhook", "updates/s", webhook_echo.runs),
        webhook,
        figure("echo bot, echo in the webhook's answer", "updates/s", answering_echo.runs),
        ratio("echo in the answer / echo bot, webhook", answering_echo.runs, webhook_echo.runs),
    )
    for shown in (polling, webhook):
        verdict = "met" if shown.median >= TARGET else "NOT met"
        print(f"  target: {shown.name} ≥ {TARGET}×: {verdict}", flush=True)


if __name__ == "__main__":
    run_main(main)
