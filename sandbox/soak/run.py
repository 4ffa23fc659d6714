"""One soak run: start everything, let the customers, the fault injector and the killer loose
until the time is up, stop the faults, let orders settle, then audit and summarise. With
`webhook`, the bot takes its updates on its webhook instead of polling, and the webhook's own
faults (`webhook_faults`) join the others."""

from __future__ import annotations

import asyncio
import random
import tempfile
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.soak.answers import Answers
from sandbox.soak.books import OutsideRecords, audit_books, unbooked_stars
from sandbox.soak.callback_faults import CallbackFaultInjector
from sandbox.soak.customers import Customer, Tally, Transfers
from sandbox.soak.faults import FaultInjector, FaultRates
from sandbox.soak.handled_once import fed_summary, fed_twice
from sandbox.soak.invariants import (
    Violation,
    WhatCustomersWereTold,
    audit,
    unsettled_orders,
)
from sandbox.soak.line_audit import audit_lines, upstream_summary
from sandbox.soak.log import ActionLog
from sandbox.soak.operators import Operator, OperatorRecord, Supplier
from sandbox.soak.reader import read_only
from sandbox.soak.shop import MICRO_PER_STAR, SoakShop
from sandbox.soak.shortest import shortest_log
from sandbox.soak.stars import StarsReceipts
from sandbox.soak.webhook_faults import Replays, WebhookFaultInjector, WebhookRates
from sandbox.telegram import BotAccount

# The auditor's findings that sum up a whole run, printed with the summary.
SUMMED_UP = (
    "judge the answers",
    "what the lines' upstreams did",
    "read the updates fed",
    "what the webhook saw",
)
TAIL = 30  # steps of the action log shown with a violation that names nothing in particular
# Once faults stopped and orders settled, how long Telegram may take to deliver what it still
# holds for the webhook (a delivery retried waits at most its backoff, a couple of seconds).
DELIVERED_WITHIN = 30.0
NAMES = (
    "Ana",
    "Bao",
    "Chen",
    "Dung",
    "Eve",
    "Fei",
    "Gia",
    "Hai",
    "Ivo",
    "Jun",
    "Kim",
    "Lan",
    "Mai",
    "Nam",
    "Oli",
    "Phuc",
    "Quy",
    "Rin",
    "Sam",
    "Tam",
    "Uma",
    "Vy",
    "Wei",
    "Xuan",
)


@dataclass(frozen=True)
class SoakSettings:
    seed: int
    minutes: float
    customers: int = 20
    rates: FaultRates = field(default_factory=FaultRates)
    kill_every: float = 30.0  # mean seconds between two SIGKILLs of the bot; 0: never
    settle_seconds: float = 60.0  # after faults stop, how long orders may take to settle
    show_log: bool = False  # print every step, not only those that led to a violation
    webhook: bool = False  # the bot on its webhook (BOT_MODE=webhook) instead of polling
    webhook_rates: WebhookRates = field(default_factory=WebhookRates)  # only with `webhook`

    @property
    def mode(self) -> str:
        return "webhook" if self.webhook else "polling"


@dataclass
class Outcome:
    """What a run did and found: the summary and the violations with the steps behind them."""

    log: ActionLog = field(default_factory=ActionLog)
    tally: Tally = field(default_factory=Tally)
    injected: Counter[str] = field(default_factory=Counter)  # "cloud drop" -> how many
    violations: list[Violation] = field(default_factory=list)
    restarts: int = 0
    checks: int = 0


class Killer:
    """Kills the bot with SIGKILL at random moments and starts it again on the same database
    after a random pause; `python -m bot check` must pass after every restart."""

    def __init__(
        self, shop: SoakShop, rng: random.Random, log: ActionLog, mean: float, outcome: Outcome
    ) -> None:
        self._shop = shop
        self._rng = rng
        self._log = log
        self._mean = mean
        self._outcome = outcome

    async def run(self, until: float) -> None:
        loop = asyncio.get_running_loop()
        if self._mean <= 0:
            return
        while True:
            pause = self._rng.expovariate(1 / self._mean)
            if loop.time() + pause >= until:
                return
            await asyncio.sleep(pause)
            await self._shop.kill_bot()
            down = round(self._rng.uniform(0.2, 3.0), 2)
            self._log.add("killer", "SIGKILL the bot", f"down for {down} s")
            await asyncio.sleep(down)
            try:
                await self._shop.start_bot()
            except AssertionError as refused:
                self._fail("bot restarts", str(refused)[-800:])
                return
            self._outcome.restarts += 1
            self._log.add("killer", "start the bot", f"restart {self._outcome.restarts}")
            await check_ledger(
                self._shop, self._log, self._outcome, f"restart {self._outcome.restarts}"
            )

    def _fail(self, invariant: str, detail: str) -> None:
        self._outcome.violations.append(Violation(invariant, detail))
        self._log.add("killer", invariant, "VIOLATION")


async def check_ledger(shop: SoakShop, log: ActionLog, outcome: Outcome, when: str) -> None:
    """`python -m bot check`, as an operator runs it; a failure is a violation."""
    outcome.checks += 1
    code, report = await shop.check()
    last_line = report.strip().splitlines()[-1] if report.strip() else "(no output)"
    log.add("auditor", f"bot check after {when}", f"exit {code}: {last_line[:80]}")
    if code != 0:
        outcome.violations.append(Violation("bot check passes", f"after {when}:\n{report[-1500:]}"))


async def every_update_delivered(
    bot: BotAccount, log: ActionLog, seconds: float
) -> list[Violation]:
    """On a webhook, Telegram keeps an update until the bot answers it with a 2xx: once faults
    stopped, nothing may be left waiting (a bot that keeps refusing an update loses it)."""
    try:
        await bot.wait_until_delivered(seconds)
    except AssertionError as waiting:
        log.add("auditor", f"wait up to {seconds:g} s for the webhook's queue", "not empty")
        return [Violation("every update delivered", str(waiting))]
    log.add("auditor", f"wait up to {seconds:g} s for the webhook's queue", "empty")
    return []


def webhook_summary(bot: BotAccount) -> str:
    """What Telegram's side of the webhook saw: posts that reached the bot, and answers it
    carried out."""
    posts = bot.webhook.deliveries
    again = sum(count - 1 for count in posts.values())
    return (
        f"{len(posts)} updates posted {sum(posts.values())} times ({again} again);"
        f" {sum(bot.webhook.answered_calls.values())} calls in answers"
    )


async def settle(shop: SoakShop, log: ActionLog, seconds: float) -> None:
    """Wait (at most `seconds`) until no order is on its way upstream any more."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    waiting = unsettled_orders(shop.db_path)
    while waiting and loop.time() < deadline:
        await asyncio.sleep(1.0)  # another process's database: nothing here to wait on
        waiting = unsettled_orders(shop.db_path)
    log.add(
        "auditor", f"wait up to {seconds:g} s for orders to settle", f"{len(waiting)} unsettled"
    )


async def book_lost_stars(shop: SoakShop, log: ActionLog, seconds: float) -> None:
    """A Stars payment whose update Telegram lost is left to that update for minutes while the
    bot runs (LIVE_MESSAGE_GRACE), and booked from the Stars transactions at the bot's next start:
    restart it, as a deploy does, and wait (at most `seconds`) until every one is booked."""
    await shop.restart_bot()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    stars = shop.emulator.bot().stars
    while True:
        with closing(read_only(shop.db_path)) as db:
            waiting = unbooked_stars(db, stars)
        if not waiting or loop.time() >= deadline:
            break
        await asyncio.sleep(1.0)
    log.add(
        "auditor",
        "restart the bot; wait for Stars payments to be booked",
        f"{len(waiting)} not booked",
    )


CHAINED = ("The above exception was the direct cause", "During handling of the above exception")


def tracebacks(lines: list[str]) -> list[Violation]:
    """The bot must not log a traceback for a fault it is built to expect. One violation a logged
    error (chained tracebacks together): the log line that logged it, the shop's own frames and
    the exceptions, which is what says where to look."""
    found = []
    index = 0
    while index < len(lines):
        if not lines[index].startswith("Traceback"):
            index += 1
            continue
        logged_by = lines[index - 1] if index else ""
        shown = [logged_by]
        while index < len(lines):
            line = lines[index]
            index += 1
            if (
                line.startswith("  File ")
                and "site-packages" not in line
                and "/lib/python" not in line
            ):
                shown.append(line)
            elif line and not line.startswith((" ", "Traceback", *CHAINED)):
                shown.append(line)  # the exception
                following = next((later for later in lines[index:] if later.strip()), "")
                if not following.startswith(CHAINED):
                    break
        found.append(Violation("no traceback", "\n".join(shown)))
    return found


async def soak(settings: SoakSettings) -> Outcome:
    master = random.Random(settings.seed)
    outcome = Outcome()
    log, tally = outcome.log, outcome.tally
    transfers = Transfers()
    told = WhatCustomersWereTold()
    receipts = StarsReceipts()
    operated = OperatorRecord()
    answers = Answers()
    replays = Replays()
    with tempfile.TemporaryDirectory(prefix="soak-") as workdir:
        shop = SoakShop(Path(workdir), webhook=settings.webhook)
        await shop.start()
        try:
            loop = asyncio.get_running_loop()
            until = loop.time() + settings.minutes * 60
            customers = []
            for number in range(settings.customers):
                name = f"{NAMES[number % len(NAMES)]}{number // len(NAMES) or ''}"
                chat = shop.customer(name)
                told.watch(chat.chat)
                answers.watch(name, chat.chat)
                rng = random.Random(master.getrandbits(64))
                customers.append(
                    Customer(name, chat, rng, log, shop.upstreams.tron, transfers, tally, receipts)
                )
            injector = FaultInjector(
                shop.upstreams,
                shop.emulator,
                settings.rates,
                random.Random(master.getrandbits(64)),
                log,
                outcome.injected,
                polling=not settings.webhook,
            )
            killer = Killer(
                shop, random.Random(master.getrandbits(64)), log, settings.kill_every, outcome
            )
            operator = Operator(
                shop.operator(),
                random.Random(master.getrandbits(64)),
                log,
                [customer.chat for customer in customers],
                receipts,
                told.outcomes_told,
                Supplier(shop.upstreams.cloud, shop.upstreams.energy),
                operated,
            )
            callbacks = CallbackFaultInjector(
                shop.upstreams.topup,
                settings.rates.callback,
                random.Random(master.getrandbits(64)),
                log,
                outcome.injected,
            )
            # Drawn last, and only on a webhook: a polling seed plays as it always did.
            webhook_faults = (
                WebhookFaultInjector(
                    shop.emulator.bot(),
                    settings.webhook_rates,
                    random.Random(master.getrandbits(64)),
                    log,
                    outcome.injected,
                    replays,
                ).run(until)
                if settings.webhook
                else asyncio.sleep(0)
            )
            await asyncio.gather(
                injector.run(until),
                killer.run(until),
                operator.run(until),
                callbacks.run(until),
                webhook_faults,
                *(customer.run(until) for customer in customers),
            )
            if shop.bot is None:  # a failed restart: the audit still needs a running shop
                await shop.start_bot()
            await settle(shop, log, settings.settle_seconds)
            await book_lost_stars(shop, log, settings.settle_seconds)
            if settings.webhook:
                outcome.violations.extend(
                    await every_update_delivered(shop.emulator.bot(), log, DELIVERED_WITHIN)
                )
                log.add("auditor", "what the webhook saw", webhook_summary(shop.emulator.bot()))
            await check_ledger(shop, log, outcome, "the run")
            outcome.violations.extend(
                audit(
                    shop.db_path,
                    shop.upstreams.cloud,
                    shop.upstreams.energy,
                    transfers,
                    told,
                    assigned=operated.assigned,
                    refunded=operated.refunds,
                )
            )
            outside = OutsideRecords(
                tron=shop.upstreams.tron,
                matching=tuple(transfers.matching),
                stars=shop.emulator.bot().stars,
                stars_rate=MICRO_PER_STAR,
                operators=operated,
                group=operator.group.chat,
            )
            with closing(read_only(shop.db_path)) as db:
                outcome.violations.extend(
                    audit_books(db, outside, [customer.chat.chat for customer in customers])
                )
            chats = [customer.chat.chat for customer in customers]
            outcome.violations.extend(
                audit_lines(
                    shop.db_path,
                    shop.upstreams,
                    told,
                    chats,
                    tally.expired_quotes,
                    refunded=operated.refunds,
                )
            )
            log.add(
                "auditor",
                "what the lines' upstreams did",
                upstream_summary(shop.db_path, shop.upstreams),
            )
            outcome.violations.extend(
                answers.violations(
                    shop.emulator.bot(), shop.emulator.faults.fired, log, replays.by_key
                )
            )
        finally:
            await shop.stop()
        outcome.violations.extend(tracebacks(shop.logs))
        again: Counter[str] = Counter()
        handled_twice = fed_twice(shop.runs, again)
        log.add(
            "auditor", "read the updates fed", fed_summary(shop.runs, len(handled_twice), again)
        )
        outcome.violations.extend(handled_twice)
    return outcome


def replay_command(settings: SoakSettings) -> str:
    """The command that replays a run: its seed and length, and every setting not at its default."""
    parts = [f"python -m sandbox.soak --seed {settings.seed} --minutes {settings.minutes:g}"]
    if settings.webhook:
        parts.append("--webhook")
    usual = SoakSettings(seed=settings.seed, minutes=settings.minutes)
    for name in ("customers", "kill_every", "settle_seconds"):
        if getattr(settings, name) != getattr(usual, name):
            parts.append(f"--{name.replace('_', '-')} {getattr(settings, name):g}")
    for kind, rate in vars(settings.rates).items():
        if rate != getattr(usual.rates, kind):
            parts.append(f"--{kind.replace('_', '-')}-rate {rate:g}")
    if settings.webhook:
        for kind, rate in vars(settings.webhook_rates).items():
            if rate != getattr(usual.webhook_rates, kind):
                parts.append(f"--{kind.replace('_', '-')}-rate {rate:g}")
    return " ".join(parts)


def report(settings: SoakSettings, outcome: Outcome) -> str:
    """The summary; with each violation, the seed and the steps of the log that led to it."""
    log, tally, injected = outcome.log, outcome.tally, outcome.injected
    lines = [str(step) for step in log.actions] if settings.show_log else []
    lines.append(
        f"soak seed {settings.seed}: {settings.minutes:g} min, {settings.customers} customers,"
        f" {settings.mode}"
    )
    lines.append("purchases: " + _counts(tally.purchases))
    lines.append("deposits: " + _counts(tally.deposits))
    lines.append("faults injected: " + _counts(injected))
    lines.append(f"restarts: {outcome.restarts}, ledger checks: {outcome.checks}")
    lines.extend(
        f"audit: {step.action} -> {step.outcome}"
        for step in log.actions
        if step.actor == "auditor" and step.action.startswith(SUMMED_UP)
    )
    lines.append(f"actions: {len(log.actions)}, violations: {len(outcome.violations)}")
    if outcome.violations:
        lines.append(f"replay: {replay_command(settings)}")
    for violation in outcome.violations:
        lines.append(f"\nVIOLATION (seed {settings.seed}) {violation}")
        steps = shortest_log(log.actions, violation)
        lines.extend(str(step) for step in (steps or log.tail(TAIL)))
    return "\n".join(lines)


def _counts(counter: Counter[str]) -> str:
    total = sum(counter.values())
    parts = ", ".join(f"{key} {count}" for key, count in sorted(counter.items()))
    return f"{total} ({parts})" if parts else "0"
