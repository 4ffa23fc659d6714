"""`GET /healthz` (the process is alive: its event loop answers) and `GET /readyz` (the shop can
do its work), on the bot's own web server, for a supervisor or a load balancer.

`/readyz` answers JSON with each check's state, 200 when all pass and 503 when any fails:

- `database`: the database takes a write now (`storage.readiness`): on SQLite its file, from a
  connection of its own; on PostgreSQL through the shop's pool;
- `migrations`: its schema is the newest this code ships;
- `telegram`: Telegram answers the shop's Bot API calls. The check is on failures, not on
  silence: it fails once calls have gone unanswered (or the token was refused) for
  `TELEGRAM_PATIENCE` seconds with no answered call since. Polling asks every 25 s at most, so a
  dead link shows within a minute; a webhook shop calls Telegram only when it has something to
  send and may make no call for hours, which says nothing about Telegram, so silence alone never
  fails the check. Before the shop's first call (it makes one at start) it is not ready;
- `scheduler`: the background jobs' scheduler runs (it pauses when the shop stops).

The server is public and the database check writes: checks asked for at once share one run,
and a result stands for `FRESH_FOR` seconds, so a flood of requests costs the database at most
one probe a second. The probe runs in a thread, which nothing can stop: on a hung filesystem it
may never return. So at most one probe runs at a time: while one that went unanswered is still
under way, the database check fails at once, saying since when, and no other is started.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Protocol

from aiohttp import web
from apscheduler.schedulers.base import STATE_RUNNING, BaseScheduler

from bot.telegram.api_calls import TELEGRAM, TelegramContact
from storage.database import Database
from storage.readiness import NotWritable, database_schema_after_a_write, newest_schema


class WriteProbe(Protocol):
    """Whether the database takes a write (`storage.readiness.database_schema_after_a_write`)."""

    async def __call__(self, db: Database, *, busy_timeout: float) -> int: ...


TELEGRAM_PATIENCE = 60.0  # seconds of unanswered Bot API calls before the shop is not ready
DATABASE_PATIENCE = 2.0  # seconds the write probe waits for the shop's own writer
FRESH_FOR = 1.0  # seconds a result of the checks is given again


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str


class Readiness:
    def __init__(
        self,
        database: Database,
        scheduler: BaseScheduler,
        contact: TelegramContact = TELEGRAM,
        *,
        clock: Callable[[], float] = time.monotonic,
        probe: WriteProbe = database_schema_after_a_write,
    ) -> None:
        self._db = database
        self._scheduler = scheduler
        self._contact = contact
        self._clock = clock
        self._probe = probe
        self._checking = asyncio.Lock()
        self._last: tuple[float, dict[str, Check]] | None = None
        # The last database probe and when it started: one runs at a time, however long.
        self._probing: tuple[float, asyncio.Future[int]] | None = None

    async def checks(self) -> dict[str, Check]:
        """Each check's state, by name (at most `FRESH_FOR` seconds old)."""
        async with self._checking:
            if self._last is not None and self._clock() - self._last[0] < FRESH_FOR:
                return self._last[1]
            checks = await self._check_all()
            self._last = (self._clock(), checks)
            return checks

    async def _check_all(self) -> dict[str, Check]:
        database, migrations = await self._database()
        return {
            "database": database,
            "migrations": migrations,
            "telegram": self._telegram(),
            "scheduler": self._scheduler_runs(),
        }

    async def _database(self) -> tuple[Check, Check]:
        patience = DATABASE_PATIENCE + 1
        if self._probing is not None and not self._probing[1].done():
            ago = self._clock() - self._probing[0]
            return _no_answer(
                f"no answer within {patience:g} s: the probe started {ago:.0f} s ago "
                "has not returned"
            )
        probe = asyncio.ensure_future(self._probe(self._db, busy_timeout=DATABASE_PATIENCE))
        probe.add_done_callback(_retrieve_its_outcome)
        self._probing = (self._clock(), probe)
        try:
            # Shielded: a probe given up on goes on to its end, so the next check knows it has.
            version = await asyncio.wait_for(asyncio.shield(probe), patience)
        except NotWritable as refused:
            unknown = Check(False, "unknown: the database could not be written")
            return Check(False, f"takes no write: {refused}"), unknown
        except TimeoutError:
            return _no_answer(f"no answer within {patience:g} s")
        newest = newest_schema()
        migrations = Check(version == newest, f"schema {version}, newest {newest}")
        return Check(True, "takes a write"), migrations

    def _telegram(self) -> Check:
        contact = self._contact
        if contact.last_answer is None:
            return Check(False, "no Bot API call answered yet")
        if contact.failing_since is not None:
            silent = contact.clock() - contact.failing_since
            if silent >= TELEGRAM_PATIENCE:
                return Check(False, f"Bot API calls unanswered for {silent:.0f} s")
        ago = contact.clock() - contact.last_answer
        return Check(True, f"last call answered {ago:.0f} s ago")

    def _scheduler_runs(self) -> Check:
        if self._scheduler.state == STATE_RUNNING:
            return Check(True, "running")
        return Check(False, "stopped" if not self._scheduler.running else "paused")


def _no_answer(detail: str) -> tuple[Check, Check]:
    return Check(False, detail), Check(False, "unknown: the database did not answer")


def _retrieve_its_outcome(probe: asyncio.Future[int]) -> None:
    """A probe's error, when it was given up on before it had one, is of no use any more; taken
    here, asyncio does not log it as never retrieved."""
    if not probe.cancelled():
        probe.exception()


def health_routes(readiness: Readiness) -> list[web.RouteDef]:
    async def alive(request: web.Request) -> web.Response:
        return web.json_response({"alive": True})

    async def ready(request: web.Request) -> web.Response:
        checks = await readiness.checks()
        ok = all(check.ok for check in checks.values())
        body = {"ready": ok, "checks": {name: asdict(check) for name, check in checks.items()}}
        return web.json_response(body, status=200 if ok else 503)

    return [web.get("/healthz", alive), web.get("/readyz", ready)]
