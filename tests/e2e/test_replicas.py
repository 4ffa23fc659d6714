"""Three webhook replicas on one PostgreSQL database and one Redis behind nginx, one of them killed
with SIGKILL while customers buy on all five lines: the short run of `make replicas`
(sandbox/replicas/). Every check of the run must hold (orders settled, every customer told,
nobody charged twice or for nothing, no update handled twice, `bot check` passing, the singleton
jobs' lease on a survivor).
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
from tests.servers import need_postgres, need_program, need_redis


@pytest.fixture(scope="module")
def run() -> tuple[ReplicaSettings, Outcome]:
    need_program("nginx", nginx_path() is not None, "make browser installs nginx-light")
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


def test_a_replica_killed_mid_purchase_breaks_no_invariant(
    run: tuple[ReplicaSettings, Outcome],
) -> None:
    settings, outcome = run
    summary = report(settings, outcome)
    assert outcome.killed.startswith("replica-1"), summary
    assert sum(outcome.tally.purchases.values()) > 0, summary
    assert outcome.violations == [], summary
    logged = "\n".join(outcome.logs)
    assert BOT_TOKEN not in logged and BOT_TOKEN.split(":")[1] not in logged
    assert WEBHOOK_SECRET not in logged


async def test_the_singleton_check_finds_a_lease_left_with_the_killed_replica() -> None:
    """Every lease must be a live replica's, and a survivor must hold the leader's."""
    async with fresh_schema(need_postgres(), "test_leases") as url:
        with read_only(url) as db:
            found, _ = singleton_jobs_on_a_survivor(db, 4242, {5151})
            assert [violation.detail for violation in found] == ["no leases table"]
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(
                "CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL);"
                "INSERT INTO leases VALUES ('order:1', 'host:5151:ab12'),"
                " ('usdt-watch', 'host:4242:cd34'), ('outbox', 'host:6000:ef56');"
            )
        finally:
            await conn.close()
        with read_only(url) as db:
            found, _ = singleton_jobs_on_a_survivor(db, 4242, {5151})
            assert [violation.detail for violation in found] == [
                "nobody holds leader",
                "outbox held by host:6000:ef56, not alive",
                "usdt-watch still held by killed host:4242:cd34",
            ]
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(
                "DELETE FROM leases WHERE name != 'order:1';"
                "INSERT INTO leases VALUES ('leader', 'host:5151:ab12')"
            )
        finally:
            await conn.close()
        with read_only(url) as db:
            assert singleton_jobs_on_a_survivor(db, 4242, {5151})[0] == []
