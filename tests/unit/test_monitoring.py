"""What the shop measures and how it judges itself ready, part by part: the monitoring
variables, the readiness checks, the counted upstream and Bot API calls, and the jobs."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import Response, SendMessage, TelegramMethod
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from prometheus_client import CollectorRegistry
from prometheus_client.metrics import MetricWrapperBase

from bot.services.config import ConfigError, load_settings
from bot.services.metrics import (
    BOT_API_CALLS,
    JOB_FAILURES,
    JOB_LAST_SUCCESS,
    UPSTREAM_CALLS,
    UPSTREAM_SECONDS,
    JobMeasures,
    metered,
)
from bot.telegram.api_calls import CountBotApiCalls, TelegramContact
from bot.wiring.health import DATABASE_PATIENCE, FRESH_FOR, TELEGRAM_PATIENCE, Readiness
from providers.outcomes import Outcome, Reply
from storage.database import Database
from storage.postgres import PostgresDatabase
from storage.readiness import NotWritable, newest_schema, schema_after_a_write
from storage.sqlite import SqliteDatabase
from tests.databases import postgres_schema
from tests.e2e.harness import until

TOKEN = "42:TEST"
PATIENCE = DATABASE_PATIENCE + 1  # how long /readyz waits for the database probe


def reading(metric: MetricWrapperBase) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(metric)
    return registry


def sample(metric: MetricWrapperBase, name: str, **labels: str) -> float | None:
    return reading(metric).get_sample_value(name, labels)


# -- the variables -------------------------------------------------------------------------------


@pytest.fixture
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    monkeypatch.chdir(tmp_path)  # never read a developer's .env
    for name in ("METRICS_TOKEN", "METRICS_HOST", "METRICS_PORT", "WEB_PORT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_metrics_are_off_by_default_and_an_empty_value_is_unset(
    clean: pytest.MonkeyPatch,
) -> None:
    config = load_settings()
    assert (config.metrics_token, config.metrics_port, config.metrics_host) == (
        None,
        None,
        "127.0.0.1",
    )
    clean.setenv("METRICS_TOKEN", "")
    clean.setenv("METRICS_PORT", "")
    config = load_settings()
    assert config.metrics_token is None and config.metrics_port is None


def test_a_token_and_a_loopback_port_are_read_and_the_token_never_shown(
    clean: pytest.MonkeyPatch,
) -> None:
    clean.setenv("METRICS_TOKEN", "f" * 64)
    clean.setenv("METRICS_PORT", "9464")
    for host in ("127.0.0.1", "127.0.0.53", "::1", "localhost"):
        clean.setenv("METRICS_HOST", host)
        config = load_settings()
        assert config.metrics_host == host and config.metrics_port == 9464
        assert config.metrics_token is not None
        assert config.metrics_token.get_secret_value() == "f" * 64
        assert "f" * 64 not in repr(config)


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("METRICS_HOST", "0.0.0.0", "loopback address only"),
        ("METRICS_HOST", "192.168.1.10", "loopback address only"),
        ("METRICS_HOST", "shop.example.com", "loopback address only"),
        ("METRICS_TOKEN", "short", "at least 16 characters"),
        ("METRICS_TOKEN", "sixteen chars but spaces", "at least 16 characters"),
        ("METRICS_PORT", "0", "greater than or equal to 1"),
        ("METRICS_PORT", "8088", "must differ from WEB_PORT"),
    ],
)
def test_a_bad_monitoring_value_is_one_line_naming_it(
    clean: pytest.MonkeyPatch, variable: str, value: str, words: str
) -> None:
    clean.setenv(variable, value)
    with pytest.raises(ConfigError) as refused:
        load_settings()
    message = str(refused.value)
    assert message.startswith(f"{variable} is invalid: ") and words in message
    assert "\n" not in message and (variable != "METRICS_TOKEN" or value not in message)


# -- readiness -----------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_the_database_probe_commits_a_write_and_creates_nothing(tmp_path: Path) -> None:
    async with SqliteDatabase(tmp_path / "shop.sqlite3") as db:
        version = await schema_after_a_write(db.path, busy_timeout=1)
        assert version == newest_schema() == await db.fetch_value("PRAGMA user_version")
    missing = tmp_path / "gone.sqlite3"
    with pytest.raises(NotWritable, match="missing"):
        await schema_after_a_write(missing, busy_timeout=1)
    assert not missing.exists()


async def test_the_database_probe_waits_for_the_writer_only_so_long(tmp_path: Path) -> None:
    async with SqliteDatabase(tmp_path / "shop.sqlite3") as db, db.write():
        with pytest.raises(NotWritable, match="locked"):
            await schema_after_a_write(db.path, busy_timeout=0.2)


async def test_ready_needs_the_schema_telegram_and_the_jobs(tmp_path: Path) -> None:
    clock = Clock()
    contact = TelegramContact(clock)
    scheduler = AsyncIOScheduler(timezone=UTC)
    async with SqliteDatabase(tmp_path / "shop.sqlite3") as db:
        readiness = Readiness(db, scheduler, contact, clock=clock)

        checks = await readiness.checks()
        assert checks["database"].ok and checks["migrations"].ok
        assert checks["telegram"].detail == "no Bot API call answered yet"
        assert checks["scheduler"].detail == "stopped"
        assert not checks["telegram"].ok and not checks["scheduler"].ok

        contact.answered()
        scheduler.start()
        assert not (await readiness.checks())["telegram"].ok  # a result stands a moment
        clock.now += FRESH_FOR
        assert all(check.ok for check in (await readiness.checks()).values())

        async with db.write() as tx:  # a database from before the newest migration
            await tx.execute(f"PRAGMA user_version={newest_schema() - 1}")
        clock.now += FRESH_FOR
        migrations = (await readiness.checks())["migrations"]
        assert not migrations.ok
        assert migrations.detail == f"schema {newest_schema() - 1}, newest {newest_schema()}"
        scheduler.shutdown(wait=False)


async def test_ready_on_postgresql_takes_a_write_through_the_pool_and_knows_the_schema() -> None:
    clock = Clock()
    contact = TelegramContact(clock)
    contact.answered()
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.start()
    async with postgres_schema() as url:
        async with PostgresDatabase(url) as db:
            readiness = Readiness(db, scheduler, contact, clock=clock)
            checks = await readiness.checks()
            assert all(check.ok for check in checks.values()), checks
            assert checks["database"].detail == "takes a write"
            assert (
                checks["migrations"].detail == f"schema {newest_schema()}, newest {newest_schema()}"
            )

            async with db.write() as tx:  # a database from before the newest migration
                await tx.execute("UPDATE schema_version SET version = ?", (newest_schema() - 1,))
            clock.now += FRESH_FOR
            migrations = (await readiness.checks())["migrations"]
            assert not migrations.ok
            assert migrations.detail == f"schema {newest_schema() - 1}, newest {newest_schema()}"
            async with db.write() as tx:
                await tx.execute("UPDATE schema_version SET version = ?", (newest_schema(),))

        # A server that takes no writes (a standby, or made read-only): not ready, and why.
        async with PostgresDatabase(f"{url}&default_transaction_read_only=on") as read_only:
            readiness = Readiness(read_only, scheduler, contact, clock=clock)
            database = (await readiness.checks())["database"]
            assert not database.ok
            assert database.detail == (
                "takes no write: cannot execute UPDATE in a read-only transaction"
            )
    scheduler.shutdown(wait=False)


async def test_a_hung_database_probe_is_waited_for_once_and_never_run_twice_at_once(
    tmp_path: Path,
) -> None:
    """On a hung filesystem the probe's thread cannot be stopped: while it has not returned, the
    shop answers not ready at once and starts no other (a thread more per probe otherwise)."""
    clock = Clock()
    hung = threading.Event()
    probes = {"started": 0, "returned": 0}

    async def probe(db: Database, *, busy_timeout: float) -> int:
        probes["started"] += 1
        try:
            await asyncio.to_thread(hung.wait, 30)  # a write the filesystem does not answer
            return newest_schema()
        finally:
            probes["returned"] += 1

    scheduler = AsyncIOScheduler(timezone=UTC)
    unopened = SqliteDatabase(tmp_path / "shop.sqlite3")
    readiness = Readiness(unopened, scheduler, clock=clock, probe=probe)
    try:
        database = (await readiness.checks())["database"]
        assert (database.ok, database.detail) == (False, f"no answer within {PATIENCE:g} s")
        for waited in (FRESH_FOR, 2 * FRESH_FOR):
            clock.now += FRESH_FOR
            checks = await asyncio.wait_for(readiness.checks(), 0.5)  # at once, no new wait
            assert not checks["database"].ok and not checks["migrations"].ok
            assert checks["database"].detail == (
                f"no answer within {PATIENCE:g} s: the probe started "
                f"{waited:g} s ago has not returned"
            )
        assert probes == {"started": 1, "returned": 0}
    finally:
        hung.set()
    await until(lambda: probes["returned"] == 1, "the hung probe returns")
    clock.now += FRESH_FOR
    assert (await readiness.checks())["database"].ok  # a new probe, answered
    assert probes == {"started": 2, "returned": 2}


async def test_telegram_is_judged_by_unanswered_calls_never_by_silence(tmp_path: Path) -> None:
    clock = Clock()
    contact = TelegramContact(clock)
    scheduler = AsyncIOScheduler(timezone=UTC)
    async with SqliteDatabase(tmp_path / "shop.sqlite3") as db:
        readiness = Readiness(db, scheduler, contact, clock=clock)

        async def telegram() -> tuple[bool, str]:
            clock.now += FRESH_FOR
            check = (await readiness.checks())["telegram"]
            return check.ok, check.detail

        contact.answered()
        clock.now += 6 * 3600  # a webhook shop with nothing to send for hours
        assert await telegram() == (True, f"last call answered {6 * 3600 + FRESH_FOR:.0f} s ago")

        contact.unanswered()  # calls start failing
        clock.now += TELEGRAM_PATIENCE - 2 * FRESH_FOR
        assert (await telegram())[0]
        contact.unanswered()  # and go on failing, a minute after the first
        assert await telegram() == (
            False,
            f"Bot API calls unanswered for {TELEGRAM_PATIENCE:.0f} s",
        )

        contact.answered()  # one answer and all is well again
        assert (await telegram())[0]


# -- counted calls -------------------------------------------------------------------------------


class Upstream:
    name = "simulated"

    def __init__(self) -> None:
        self.outcome = Outcome.SUCCEEDED

    async def create(self, amount: int) -> Reply[int]:
        return Reply(self.outcome, amount if self.outcome == Outcome.SUCCEEDED else None)

    async def broken(self) -> Reply[int]:
        raise RuntimeError("a bug")

    async def hang(self) -> Reply[int]:
        await asyncio.sleep(10)
        raise AssertionError("not reached")

    def describe(self) -> str:
        return "not a call"


async def test_each_upstream_call_is_counted_by_operation_and_outcome() -> None:
    upstream = Upstream()
    client = metered("unit-line", upstream)

    assert (await client.create(5)).value == 5
    upstream.outcome = Outcome.UNKNOWN
    assert (await client.create(5)).outcome == Outcome.UNKNOWN
    with pytest.raises(RuntimeError):
        await client.broken()
    hanging = asyncio.create_task(client.hang())
    await asyncio.sleep(0.01)
    hanging.cancel()
    with pytest.raises(asyncio.CancelledError):
        await hanging
    assert client.describe() == "not a call" and client.name == "simulated"

    def calls(operation: str, outcome: str) -> float | None:
        labels = {"line": "unit-line", "operation": operation, "outcome": outcome}
        return sample(UPSTREAM_CALLS, "storefront_upstream_calls_total", **labels)

    assert calls("create", "succeeded") == 1 and calls("create", "unknown") == 1
    assert calls("broken", "error") == 1 and calls("hang", "cancelled") == 1
    assert calls("describe", "succeeded") is None
    timed = {"line": "unit-line", "operation": "create"}
    assert sample(UPSTREAM_SECONDS, "storefront_upstream_call_seconds_count", **timed) == 2


def answering(error: Exception | None) -> Any:
    async def make_request(bot: Bot, method: TelegramMethod[Any]) -> Response[Any]:
        if error is not None:
            raise error
        return Response[bool](ok=True, result=True)

    return make_request


async def test_bot_api_calls_are_counted_by_method_with_429_apart() -> None:
    clock = Clock()
    contact = TelegramContact(clock)
    count = CountBotApiCalls(contact)
    method = SendMessage(chat_id=1, text="hi")
    before = {
        outcome: sample(
            BOT_API_CALLS, "storefront_bot_api_calls_total", method="sendMessage", outcome=outcome
        )
        or 0
        for outcome in ("ok", "flood", "refused", "failed")
    }
    answers: list[tuple[Exception | None, str, bool]] = [
        (None, "ok", True),
        (TelegramRetryAfter(method, "Too Many Requests", 3), "flood", True),
        (TelegramBadRequest(method, "Bad Request: chat not found"), "refused", True),
        (TelegramNetworkError(method, "timeout"), "failed", False),
        (TelegramServerError(method, "Bad Gateway"), "failed", False),
        (TelegramUnauthorizedError(method, "Unauthorized"), "refused", False),
    ]
    for error, outcome, telegram_answers in answers:
        contact.failing_since = None
        clock.now += 1
        if error is None:
            assert (await count(answering(None), Bot(TOKEN), method)).result is True
        else:
            with pytest.raises(type(error)):
                await count(answering(error), Bot(TOKEN), method)
        assert (contact.last_answer == clock.now) is telegram_answers, outcome
        assert (contact.failing_since == clock.now) is not telegram_answers, outcome

    def counted(outcome: str) -> float:
        found = sample(
            BOT_API_CALLS, "storefront_bot_api_calls_total", method="sendMessage", outcome=outcome
        )
        return (found or 0) - before[outcome]

    assert [counted(o) for o in ("ok", "flood", "refused", "failed")] == [1, 1, 2, 2]


async def test_each_job_has_its_failures_from_the_start_and_its_last_success() -> None:
    scheduler = AsyncIOScheduler(timezone=UTC)
    JobMeasures(scheduler)
    ran = asyncio.Event()
    failed = asyncio.Event()

    async def works() -> None:
        ran.set()

    async def breaks() -> None:
        failed.set()
        raise RuntimeError("the job's own trouble")

    scheduler.start()
    started = datetime.now(UTC).timestamp()
    for job, job_id in ((works, "unit-works"), (breaks, "unit-breaks")):
        scheduler.add_job(job, "date", run_date=datetime.now(UTC), id=job_id)
    await asyncio.wait_for(asyncio.gather(ran.wait(), failed.wait()), 5)

    def ended(task: str) -> bool:  # the scheduler's events follow the runs' ends
        done = sample(JOB_LAST_SUCCESS, "storefront_job_last_success_timestamp_seconds", task=task)
        return done is not None or bool(
            sample(JOB_FAILURES, "storefront_job_failures_total", task=task)
        )

    await until(lambda: ended("unit-works") and ended("unit-breaks"), "both runs are counted")
    scheduler.shutdown(wait=False)

    failures = "storefront_job_failures_total"
    assert sample(JOB_FAILURES, failures, task="unit-works") == 0
    assert sample(JOB_FAILURES, failures, task="unit-breaks") == 1
    success = sample(
        JOB_LAST_SUCCESS, "storefront_job_last_success_timestamp_seconds", task="unit-works"
    )
    assert success is not None and success >= started
    assert (
        sample(
            JOB_LAST_SUCCESS, "storefront_job_last_success_timestamp_seconds", task="unit-breaks"
        )
        is None
    )
