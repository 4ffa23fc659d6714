"""Three webhook replicas on one PostgreSQL database behind nginx, one of them killed with SIGKILL
while customers buy on all five lines: the short run of `make replicas` (sandbox/replicas/).

The run is shared by the tests below. The first holds what three replicas keep today; the second
holds every check of the run, and waits for the shop to be built for several processes: until
the work that must run once runs on one leader (the leader lease) and conversations are shared
(Redis), every replica runs the USDT watch, the outbox and reconciliation, and keeps its own copy
of a conversation and of the updates it handled, and that test says so instead of passing.
"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from sandbox.replicas.proxy import nginx_path
from sandbox.replicas.run import (
    Outcome,
    ReplicaSettings,
    replicas_run,
    report,
    singleton_jobs_on_a_survivor,
)
from sandbox.replicas.servers import fresh_schema
from sandbox.soak.reader import read_only
from sandbox.soak.shop import BOT_TOKEN, WEBHOOK_SECRET
from tests.servers import need_postgres, need_redis

# What three replicas keep today; the rest (told once, deposits credited, handled once, sold as
# delivered) waits for the leader lease and Redis: see the second test.
ALWAYS = (
    "bot check passes",
    "every update delivered",
    "order not settled",
    "paid twice upstream",
    "upstream order without a shop order",
    "paid upstream order not one shop order's",
)


@pytest.fixture(scope="module")
def run() -> tuple[ReplicaSettings, Outcome]:
    if nginx_path() is None:
        pytest.skip("nginx is not installed here (make browser installs nginx-light)")
    settings = ReplicaSettings(
        seed=7,
        customers=30,
        arrive_within=10.0,
        kill_after=8.0,  # customers are still arriving and buying
        settle_seconds=60.0,
        postgres_url=need_postgres(),
        redis_url=need_redis(),
    )
    return settings, asyncio.run(replicas_run(settings))


def test_a_replica_killed_mid_purchase_leaves_the_books_and_updates_whole(
    run: tuple[ReplicaSettings, Outcome],
) -> None:
    settings, outcome = run
    summary = report(settings, outcome)
    assert outcome.killed.startswith("replica-1"), summary
    assert sum(outcome.tally.purchases.values()) > 0, summary
    broken = [v for v in outcome.violations if v.invariant in ALWAYS]
    assert not broken, summary
    logged = "\n".join(outcome.logs)
    assert BOT_TOKEN not in logged and BOT_TOKEN.split(":")[1] not in logged
    assert WEBHOOK_SECRET not in logged


@pytest.mark.xfail(
    reason="until the leader lease and Redis conversations are in the shop: each replica runs "
    "the USDT watch, the outbox and reconciliation, and keeps conversations and handled "
    "updates of its own (docs/scaling.md)",
    strict=False,
)
def test_three_replicas_keep_every_invariant_of_the_run(
    run: tuple[ReplicaSettings, Outcome],
) -> None:
    settings, outcome = run
    assert not outcome.violations, report(settings, outcome)


async def test_the_singleton_check_finds_a_lease_left_with_the_killed_replica() -> None:
    """Off while the shop has no leases table; then every lease must be a live replica's."""
    async with fresh_schema(need_postgres(), "test_leases") as url:
        with read_only(url) as db:
            assert singleton_jobs_on_a_survivor(db, 4242, {5151}) == (
                [],
                "singleton jobs: no leases table, check off (every replica runs them)",
            )
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(
                "CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL);"
                "INSERT INTO leases VALUES ('reconcile', 'host:5151:ab12'),"
                " ('usdt-watch', 'host:4242:cd34'), ('outbox', 'host:6000:ef56');"
            )
        finally:
            await conn.close()
        with read_only(url) as db:
            found, _ = singleton_jobs_on_a_survivor(db, 4242, {5151})
    assert [violation.detail for violation in found] == [
        "outbox held by host:6000:ef56, not alive",
        "usdt-watch still held by killed host:4242:cd34",
    ]
