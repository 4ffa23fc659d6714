"""One run of several replicas: customers buy across all five lines at once while every upstream
answers late, one replica is killed with SIGKILL in the middle (and stays dead), and then the
auditor checks what the soak checks (`sandbox/soak/`), on PostgreSQL:

- every order terminal or with an operator, none on its way;
- every customer told exactly once about each order and each deposit (`told.py`);
- nobody charged twice or for nothing: each upstream delivery one shop order's, which sold it;
  what customers hold equal to what came in less what they bought (the soak's books);
- `python -m bot check` passes against the shared database;
- no update handled twice, read from every replica's log (a SIGKILL's window aside);
- the singleton jobs on a survivor (`singleton_jobs_on_a_survivor`).
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.replicas.servers import fresh_schema, redis_prefix
from sandbox.replicas.shop import Replica, ReplicaShop
from sandbox.replicas.told import Tellings
from sandbox.soak.books import OutsideRecords, audit_books
from sandbox.soak.customers import Customer, Tally, Transfers
from sandbox.soak.handled_once import fed_summary, fed_twice
from sandbox.soak.invariants import Violation, WhatCustomersWereTold, audit, unsettled_orders
from sandbox.soak.line_audit import audit_lines, upstream_summary
from sandbox.soak.log import ActionLog
from sandbox.soak.operators import OperatorRecord
from sandbox.soak.purchases import LinePurchases
from sandbox.soak.reader import Reader, read_only
from sandbox.soak.run import every_update_delivered, tracebacks, webhook_summary
from sandbox.soak.shop import MICRO_PER_STAR
from sandbox.soak.stars import StarsReceipts

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"
LINES = ("cloud", "energy", "topup", "accounts", "acedata")
DELIVERED_WITHIN = 60.0
# The shop's leases (`storage/leases.py`): the leader's runs the singleton jobs; others claim an
# order or a broadcast while a replica works on it.
LEASES_TABLE = "leases"
LEADER_LEASE = "leader"


@dataclass(frozen=True)
class ReplicaSettings:
    seed: int = 1
    customers: int = 300
    replicas: int = 3
    purchases: int = 2  # each customer's purchases, on lines in turn from its own
    latency: float = 0.2  # seconds every upstream call takes
    arrive_within: float = 30.0  # customers come in over this many seconds
    kill_after: float = 25.0  # seconds after the start, SIGKILL one replica (0: never)
    settle_seconds: float = 90.0
    postgres_url: str = POSTGRES_URL
    redis_url: str | None = REDIS_URL


@dataclass
class Outcome:
    log: ActionLog = field(default_factory=ActionLog)
    tally: Tally = field(default_factory=Tally)
    violations: list[Violation] = field(default_factory=list)
    killed: str = ""
    killed_at: float | None = None  # time.monotonic() just after the SIGKILL took effect
    notes: list[str] = field(default_factory=list)  # what the auditor could not check, and why
    logs: list[str] = field(default_factory=list)  # every replica's log, the killed one's too


class ReplicaCustomer:
    """A soak customer who comes in once: opens the shop, tops up by USDT, then buys on
    `purchases` lines in turn, starting from its own (`number` modulo the five)."""

    def __init__(self, customer: Customer, number: int, purchases: int) -> None:
        self.customer = customer
        lines = LinePurchases(customer, until=0.0)  # never comes back to an expired quote
        buys: dict[str, Callable[[], Awaitable[None]]] = {
            "cloud": customer.buy_cloud,
            "energy": customer.buy_energy,
            "topup": lines.buy_topup,
            "accounts": lines.buy_accounts,
            "acedata": lines.buy_acedata,
        }
        self.plan = [buys[LINES[(number + turn) % len(LINES)]] for turn in range(purchases)]

    async def run(self, arrive_after: float) -> None:
        await asyncio.sleep(arrive_after)
        await self.customer._act("open the shop", self.customer._open_shop)
        await self.customer._act("top up", self.customer.top_up)
        for buy in self.plan:
            await self.customer._act(buy.__name__.replace("_", " "), buy)


async def kill_one(shop: ReplicaShop, outcome: Outcome, after: float) -> Replica:
    """SIGKILL the replica started first (the likeliest leader) once `after` seconds passed."""
    await asyncio.sleep(after)
    victim = shop.replicas[0]
    pid = victim.bot.pid if victim.bot else 0
    await shop.kill(victim)
    outcome.killed_at = time.monotonic()
    outcome.killed = f"{victim.name} (pid {pid})"
    outcome.log.add("killer", f"SIGKILL {victim.name}", f"pid {pid}, not started again")
    victim.log.append(f"killed pid {pid}")
    return victim


async def settle(where: str, log: ActionLog, seconds: float) -> list[str]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    waiting = unsettled_orders(where)
    while waiting and loop.time() < deadline:
        await asyncio.sleep(1.0)
        waiting = unsettled_orders(where)
    log.add("auditor", f"wait up to {seconds:g} s for orders to settle", f"{len(waiting)} left")
    return waiting


def singleton_jobs_on_a_survivor(
    db: Reader, killed_pid: int, survivors: Collection[int]
) -> tuple[list[Violation], str]:
    """Where the work that must run once runs: the leader's lease (`LEADER_LEASE`) held by a
    replica alive, and every other lease (`holder` is `host:pid:random`) too, none left with the
    killed one."""
    if not killed_pid:
        return [], "singleton jobs: nobody was killed"
    exists = db.execute("SELECT to_regclass(?) IS NOT NULL", (LEASES_TABLE,)).fetchone()[0]
    if not exists:
        missing = Violation("singleton jobs on a survivor", f"no {LEASES_TABLE} table")
        return [missing], f"singleton jobs: no {LEASES_TABLE} table"
    rows = db.execute(f"SELECT name, holder FROM {LEASES_TABLE} ORDER BY name").fetchall()
    found = []
    if LEADER_LEASE not in {name for name, _ in rows}:
        found.append(Violation("singleton jobs on a survivor", f"nobody holds {LEADER_LEASE}"))
    for name, holder in rows:
        parts = str(holder).split(":")
        pid = int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else None
        if pid == killed_pid:
            found.append(
                Violation("singleton jobs on a survivor", f"{name} still held by killed {holder}")
            )
        elif pid not in survivors:
            found.append(
                Violation("singleton jobs on a survivor", f"{name} held by {holder}, not alive")
            )
    held = ", ".join(f"{name} by pid {str(holder).split(':')[1:2]}" for name, holder in rows)
    return found, f"singleton jobs: {len(rows)} leases ({held or 'none taken'})"


async def replicas_run(settings: ReplicaSettings) -> Outcome:
    outcome = Outcome()
    master = random.Random(settings.seed)
    async with (
        fresh_schema(settings.postgres_url) as url,
        redis_prefix(settings.redis_url or REDIS_URL) as prefix,
    ):
        with tempfile.TemporaryDirectory(prefix="replicas-") as workdir:
            shop = ReplicaShop(
                Path(workdir),
                url,
                replicas=settings.replicas,
                latency=settings.latency,
                redis_url=settings.redis_url,
                redis_prefix=prefix,
            )
            try:
                await shop.start()
                await _play(shop, settings, master, outcome)
            finally:
                await shop.stop()
            outcome.logs = shop.logs()
            outcome.violations.extend(tracebacks(outcome.logs))
            again: Counter[str] = Counter()
            twice = fed_twice(shop.runs(), again)
            outcome.log.add(
                "auditor", "read the updates fed", fed_summary(shop.runs(), len(twice), again)
            )
            outcome.violations.extend(twice)
            outcome.notes.extend(_proxy_notes(shop))
    return outcome


async def _play(
    shop: ReplicaShop, settings: ReplicaSettings, master: random.Random, outcome: Outcome
) -> None:
    log, tally = outcome.log, outcome.tally
    transfers, told, tellings = Transfers(), WhatCustomersWereTold(), Tellings()
    receipts = StarsReceipts()
    customers = []
    for number in range(settings.customers):
        chat = shop.customer(f"C{number}")
        told.watch(chat.chat)
        tellings.watch(chat.chat)
        rng = random.Random(master.getrandbits(64))
        customer = Customer(
            f"C{number}", chat, rng, log, shop.upstreams.tron, transfers, tally, receipts
        )
        customers.append(ReplicaCustomer(customer, number, settings.purchases))
    arrivals = [master.uniform(0, settings.arrive_within) for _ in customers]
    killing = settings.kill_after > 0 and settings.replicas > 1  # someone must survive
    killer = asyncio.create_task(kill_one(shop, outcome, settings.kill_after if killing else 0))
    if not killing:
        killer.cancel()
    await asyncio.gather(*(c.run(at) for c, at in zip(customers, arrivals, strict=True)))
    if not killer.done():  # the customers were done first: the kill is not "in the middle"
        killer.cancel()
        outcome.notes.append("nobody killed: every customer was done before --kill-after")
    victim = None if killer.cancelled() else killer.result()
    killed_pid = int(victim.log[-1].rsplit(" ", 1)[-1]) if victim else 0
    await settle(shop.where, log, settings.settle_seconds)
    bot = shop.emulator.bot()
    outcome.violations.extend(await every_update_delivered(bot, log, DELIVERED_WITHIN))
    log.add("auditor", "what the webhook saw", webhook_summary(bot))
    code, report = await shop.check()
    last = report.strip().splitlines()[-1] if report.strip() else "(no output)"
    log.add("auditor", "bot check on PostgreSQL", f"exit {code}: {last[:80]}")
    if code != 0:
        outcome.violations.append(Violation("bot check passes", report[-1500:]))
    chats = [c.customer.chat.chat for c in customers]
    outcome.violations.extend(
        audit(shop.where, shop.upstreams.cloud, shop.upstreams.energy, transfers, told)
    )
    operated = OperatorRecord()
    outside = OutsideRecords(
        tron=shop.upstreams.tron,
        matching=tuple(transfers.matching),
        stars=bot.stars,
        stars_rate=MICRO_PER_STAR,
        operators=operated,
        group=shop.operator().chat,
    )
    with read_only(shop.where) as db:
        outcome.violations.extend(audit_books(db, outside, chats))
        presses = shop.emulator.bot().callback_queries.values()
        outcome.violations.extend(tellings.violations(db, presses, killed_at=outcome.killed_at))
        survivors = {replica.bot.pid for replica in shop.survivors if replica.bot}
        lease_violations, note = singleton_jobs_on_a_survivor(db, killed_pid, survivors)
    outcome.violations.extend(lease_violations)
    outcome.notes.append(note)
    outcome.notes.extend(
        f"sent again after the SIGKILL took the sender: {again}" for again in tellings.sent_again
    )
    outcome.violations.extend(
        audit_lines(shop.where, shop.upstreams, told, chats, tally.expired_quotes)
    )
    log.add(
        "auditor", "what the lines' upstreams did", upstream_summary(shop.where, shop.upstreams)
    )


def _proxy_notes(shop: ReplicaShop) -> list[str]:
    """How the proxy spread the requests: per replica port, from nginx's access log."""
    try:
        lines = shop.proxy.access_log.read_text("utf-8").splitlines()
    except OSError:
        return ["proxy: no access log"]
    # One line a request: status, then each replica tried ("a, b" when the first was dead).
    passed = Counter(line.split(" ", 2)[1] for line in lines if line.count(" ") >= 2)
    return [f"proxy: {len(lines)} requests; by the replicas tried: " + _counts(passed)]


def report(settings: ReplicaSettings, outcome: Outcome) -> str:
    lines = [
        f"replicas seed {settings.seed}: {settings.customers} customers, {settings.replicas}"
        f" replicas behind nginx, {settings.purchases} purchases each, upstream latency"
        f" {settings.latency:g} s; killed {outcome.killed or 'nobody'}",
        "purchases: " + _counts(outcome.tally.purchases),
        "deposits: " + _counts(outcome.tally.deposits),
    ]
    lines.extend(
        f"audit: {step.action} -> {step.outcome}"
        for step in outcome.log.actions
        if step.actor in ("auditor", "killer")
    )
    lines.extend(outcome.notes)
    gave_up = Counter(
        f"{step.action}: {step.outcome.removeprefix('gave up: ')[:70]}"
        for step in outcome.log.actions
        if step.outcome.startswith("gave up")
    )
    lines.append("customers gave up: " + _counts(gave_up))
    by_kind = Counter(violation.invariant for violation in outcome.violations)
    lines.append(f"violations: {len(outcome.violations)} " + _counts(by_kind))
    lines.extend(f"\nVIOLATION {violation}" for violation in outcome.violations)
    return "\n".join(lines)


def _counts(counter: Counter[str]) -> str:
    total = sum(counter.values())
    parts = ", ".join(f"{key} {count}" for key, count in sorted(counter.items()))
    return f"{total} ({parts})" if parts else "0"
