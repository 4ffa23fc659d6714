"""Update throughput: menu navigation through the whole shop against a bare aiogram echo bot.

The Telegram emulator runs in this process; the shop (`python -m bot run`, configured through its
environment, a fresh database on the real disk, no upstream lines) and a bare echo bot
(`bench.echo_bot`) each run as their own process, polling the same emulator with their own token.

In each run, 500 customers (each a new user in a private chat) act all at once, each doing 10
steps one after another and waiting for the bot's answer to each step before the next: 5,000
updates. In the shop the steps navigate the menu (/start, 💰 Wallet, ⬅️ Back, 🌐 Language, a
language, …): the user lookup, the locale, the FSM storage and SQLite on every update. The echo
bot gets 10 messages from each customer and echoes each. The figure is updates per second, from
the first update sent to the last answer seen; the shop and the echo bot are measured in every
run, one after the other (their order alternates), and compared run by run.

Target (docs/benchmarks.md): the shop reaches at least 0.6× the echo bot. Correctness: every
customer got every answer, each the screen expected, and `python -m bot check` passes afterwards.

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
from dataclasses import dataclass
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


async def main() -> None:
    header(f"Update throughput: {CUSTOMERS} customers × 10 steps = {UPDATES:,} updates per bot")
    print(f"  on {machine()}", flush=True)
    (ROOT / "data").mkdir(exist_ok=True)
    emulator = TelegramEmulator()
    emulator.add_bot(SHOP_TOKEN, username="bench_shop_bot", first_name="Shop")
    emulator.add_bot(ECHO_TOKEN, username="bench_echo_bot", first_name="Echo")
    await emulator.start()
    with tempfile.TemporaryDirectory(dir=ROOT / "data", prefix="bench-throughput-") as folder:
        env = _shop_env(emulator, Path(folder) / "shop.sqlite3")
        shop = BotProcess(env, ROOT)
        echo_env = {**env, "BOT_TOKEN": ECHO_TOKEN}
        echo = BotProcess(echo_env, ROOT, command=("-m", "bench.echo_bot"))
        try:
            await shop.start()
            await echo.start()
            bots = {"shop": (SHOP_TOKEN, SHOP_STEPS), "echo": (ECHO_TOKEN, ECHO_STEPS)}
            for token, steps in bots.values():  # warm both up: first imports, first queries
                await crowd(emulator, token, steps, WARM_UP_CUSTOMERS)
            runs: dict[str, list[float]] = {"shop": [], "echo": []}
            for run in range(RUNS):
                for name in ("shop", "echo") if run % 2 == 0 else ("echo", "shop"):
                    token, steps = bots[name]
                    runs[name].append(await crowd(emulator, token, steps, CUSTOMERS))
                print(
                    f"  run {run + 1}: shop {runs['shop'][-1]:,.0f}/s,"
                    f" echo {runs['echo'][-1]:,.0f}/s",
                    flush=True,
                )
            for process in (shop, echo):
                check(process.running, "a bot stopped during the run:\n" + process.log)
                errors = _errors(process)
                check(not errors, "errors in a bot's log:\n" + "\n".join(errors))
        finally:
            await echo.stop()
            await shop.stop()
            await emulator.stop()
        await _ledger_check(env)
    shown = ratio("shop / echo bot", runs["shop"], runs["echo"])
    show(
        figure("shop: menu navigation", "updates/s", runs["shop"]),
        figure("bare aiogram echo bot", "updates/s", runs["echo"]),
        shown,
    )
    verdict = "met" if shown.median >= TARGET else "NOT met"
    print(f"  target: shop ≥ {TARGET}× the echo bot: {verdict}", flush=True)


if __name__ == "__main__":
    run_main(main)
