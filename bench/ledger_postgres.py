"""Ledger on PostgreSQL: hold+post pairs per second through the shop's ledger, against raw
single-row commits on the same server, in the same run.

As `bench.ledger` does for SQLite: a fresh schema for the ledger (the shop's `PostgresDatabase`,
its pool, its migrations) and beside it a table of its own that one asyncpg connection fills with
single-row INSERTs, each its own transaction (a commit, and its WAL flush, per row). The two take
turns in short slices, so a server busier for a moment slows both; the ratio pairs/commits is taken
run by run. Target (docs/benchmarks.md): at least 0.5, a pair being two commits.

Set BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test); without a server
there, the benchmark says so and measures nothing.
"""

from __future__ import annotations

import os
import time
import uuid
from urllib.parse import urlsplit

import asyncpg

from bench.common import check, header, listening, machine, run_main
from bench.ledger import COMMITS, PAIRS, SLICES, WARM_UP, Purchases, compare
from storage.postgres import PostgresDatabase

URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


class RawCommits:
    """Single-row INSERT commits on one connection, as asyncpg runs them."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self.made = 0

    async def open(self) -> None:
        await self._conn.execute(
            "CREATE TABLE raw_rows (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
            " value BIGINT NOT NULL)"
        )

    async def commit(self, count: int) -> float:
        started = time.perf_counter()
        for _ in range(count):
            await self._conn.execute("INSERT INTO raw_rows (value) VALUES ($1)", self.made)
            self.made += 1
        return time.perf_counter() - started

    async def check(self) -> None:
        kept = await self._conn.fetchval("SELECT COUNT(*) FROM raw_rows")
        check(kept == self.made, f"raw commits kept {kept} rows of {self.made}")


async def one_run() -> tuple[float, float]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(URL)
    await admin.execute(f"CREATE SCHEMA {schema}")
    try:
        raw_conn = await asyncpg.connect(URL, server_settings={"search_path": schema})
        try:
            raw = RawCommits(raw_conn)
            await raw.open()
            async with PostgresDatabase(f"{URL}?search_path={schema}") as db:
                purchases = Purchases(db)
                await purchases.open()
                await raw.commit(WARM_UP)
                await purchases.buy(WARM_UP)
                raw_seconds = pair_seconds = 0.0
                for _ in range(SLICES):
                    raw_seconds += await raw.commit(COMMITS)
                    pair_seconds += await purchases.buy(PAIRS)
                await purchases.check_books()
            await raw.check()
        finally:
            await raw_conn.close()
    finally:
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()
    return SLICES * PAIRS / pair_seconds, SLICES * COMMITS / raw_seconds


async def main() -> None:
    header(
        f"Ledger on PostgreSQL: {SLICES * PAIRS} hold+post pairs vs {SLICES * COMMITS} raw"
        f" single-row commits per run, in {SLICES} alternating slices — {machine()}"
    )
    if not listening(URL, 5432):
        print(f"  no PostgreSQL at {urlsplit(URL).netloc}: nothing measured", flush=True)
        return
    await compare("PostgreSQL", lambda _: one_run())


if __name__ == "__main__":
    run_main(main)
