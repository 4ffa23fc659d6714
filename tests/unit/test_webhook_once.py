"""Each Telegram update handled once in webhook mode, also when delivered again after a restart,
with the record written in groups and kept a day."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from bot.wiring.webhook.once import HandledOnce
from storage.sqlite import SqliteDatabase
from storage.webhook_updates import KEPT_FOR, HandledUpdates
from tests.databases import another_process, fresh_database


async def _deliver(once: HandledOnce, update_id: int, handled: list[int]) -> bool:
    """One delivery of update `update_id`: True when it was handled."""
    async with once.first_time(update_id) as first:
        if first:
            await asyncio.sleep(0.01)  # a handler at work
            handled.append(update_id)
        return first


async def test_an_update_delivered_again_is_handled_once(tmp_path: Path) -> None:
    handled: list[int] = []
    async with SqliteDatabase(tmp_path / "shop.sqlite3") as db:
        once = HandledOnce(HandledUpdates(db))
        await once.open()
        assert await _deliver(once, 7, handled)
        assert not await _deliver(once, 7, handled)
        # Delivered again while the first delivery is still being handled: it waits for it.
        results = await asyncio.gather(*(_deliver(once, 8, handled) for _ in range(3)))
        assert sorted(results) == [False, False, True]
        await once.close()
    assert handled == [7, 8]


async def test_an_update_handled_before_a_restart_is_not_handled_after_it(tmp_path: Path) -> None:
    handled: list[int] = []
    async with SqliteDatabase(tmp_path / "shop.sqlite3") as db:
        before = HandledOnce(HandledUpdates(db))
        await before.open()
        await asyncio.gather(*(_deliver(before, update_id, handled) for update_id in (3, 1, 2)))
        await before.close()
    async with SqliteDatabase(tmp_path / "shop.sqlite3") as db:
        after = HandledOnce(HandledUpdates(db))
        await after.open()
        assert [await _deliver(after, update_id, handled) for update_id in (1, 2, 3, 4)] == [
            False,
            False,
            False,
            True,
        ]
    assert sorted(handled) == [1, 2, 3, 4]


async def test_updates_finishing_together_share_one_write(tmp_path: Path) -> None:
    async with SqliteDatabase(tmp_path / "shop.sqlite3") as db:
        store = HandledUpdates(db)
        writes: list[int] = []
        record = store.record

        async def counted(update_ids: object, now: int) -> None:
            writes.append(len(update_ids))  # type: ignore[arg-type]
            await record(update_ids, now)  # type: ignore[arg-type]

        store.record = counted  # type: ignore[method-assign]
        once = HandledOnce(store)
        await once.open()
        await asyncio.gather(*(_deliver(once, update_id, []) for update_id in range(1, 201)))
        assert sum(writes) == 200
        assert len(writes) < 20, writes
        assert await db.fetch_value("SELECT COUNT(*) FROM webhook_updates") == 200


async def test_a_cancelled_handler_is_not_recorded(tmp_path: Path) -> None:
    """Cut short at shutdown: Telegram delivers it again after the restart, and it is handled."""
    async with SqliteDatabase(tmp_path / "shop.sqlite3") as db:
        once = HandledOnce(HandledUpdates(db))
        await once.open()
        started = asyncio.Event()

        async def slow() -> None:
            async with once.first_time(5) as first:
                assert first
                started.set()
                await asyncio.sleep(60)

        task = asyncio.create_task(slow())
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await _deliver(once, 5, [])


async def test_ids_let_go_from_memory_are_read_from_the_table(tmp_path: Path) -> None:
    async with SqliteDatabase(tmp_path / "shop.sqlite3") as db:
        once = HandledOnce(HandledUpdates(db), memory=10)
        await once.open()
        for update_id in range(1, 31):
            assert await _deliver(once, update_id, [])
        for update_id in range(1, 31):
            assert not await _deliver(once, update_id, [])


async def test_a_record_is_kept_a_day(tmp_path: Path) -> None:
    async with SqliteDatabase(tmp_path / "shop.sqlite3") as db:
        store = HandledUpdates(db)
        await store.record([1, 2], now=1_000)
        await store.record([3], now=1_000 + KEPT_FOR)
        now = 1_000 + KEPT_FOR
        assert await store.contains(1, now) and await store.contains(3, now)
        await store.record([4], now=1_001 + KEPT_FOR)
        now += 1
        assert not await store.contains(1, now) and not await store.contains(2, now)
        assert await store.contains(3, now) and await store.contains(4, now)
        assert await store.newest() == 4


async def test_a_record_older_than_a_day_is_not_read_even_when_still_there(
    tmp_path: Path,
) -> None:
    """Nothing was handled for more than a day (no write since to forget the old records):
    Telegram may number its next updates afresh, and one whose id is in an old record is new."""
    clock = [1_000.0]
    async with SqliteDatabase(tmp_path / "shop.sqlite3") as db:
        before = HandledOnce(HandledUpdates(db), clock=lambda: clock[0])
        await before.open()
        assert await _deliver(before, 50, [])
        await before.close()
    clock[0] += KEPT_FOR + 1
    async with SqliteDatabase(tmp_path / "shop.sqlite3") as db:
        after = HandledOnce(HandledUpdates(db), clock=lambda: clock[0])
        await after.open()
        assert await db.fetch_value("SELECT COUNT(*) FROM webhook_updates") == 1  # still there
        assert await _deliver(after, 50, [])


async def test_an_update_handled_by_one_replica_is_not_handled_by_another(tmp_path: Path) -> None:
    """Two replicas on one PostgreSQL database, both started before the update came: Telegram
    delivers it again (its answer was lost) and the proxy sends it to the other replica."""
    handled: list[int] = []
    async with fresh_database("postgresql", tmp_path) as db, another_process(db) as twin:
        first, second = HandledOnce(HandledUpdates(db)), HandledOnce(HandledUpdates(twin))
        await first.open()
        await second.open()
        assert await _deliver(first, 41, handled)
        await first.close()
        assert not await _deliver(second, 41, handled)
        assert await _deliver(second, 42, handled)
        await second.close()
    assert handled == [41, 42]


async def test_an_update_in_hand_on_one_replica_waits_there_on_another(tmp_path: Path) -> None:
    """Telegram delivers an update again while the first replica is still handling it (its
    answer is late) and the proxy sends it to a second replica: that one waits for the first,
    then answers without handling it."""
    handled: list[str] = []
    async with fresh_database("postgresql", tmp_path) as db, another_process(db) as twin:
        first, second = HandledOnce(HandledUpdates(db)), HandledOnce(HandledUpdates(twin))
        await first.open()
        await second.open()
        working = asyncio.Event()

        async def slow_on_first() -> bool:
            async with first.first_time(77) as fresh:
                if fresh:
                    working.set()
                    await asyncio.sleep(1.0)
                    handled.append("first")
                return fresh

        async def again_on_second() -> bool:
            await working.wait()
            async with second.first_time(77) as fresh:
                if fresh:
                    handled.append("second")
                return fresh

        assert list(await asyncio.gather(slow_on_first(), again_on_second())) == [True, False]
        await first.close()
        await second.close()
    assert handled == ["first"]


async def test_an_update_a_killed_replica_had_in_hand_is_taken_over(tmp_path: Path) -> None:
    """The first replica claimed the update and died (its claim stays): once the claim runs out,
    the update delivered again is handled by the replica it reaches. The claim runs out by the
    database's clock: the survivor's own clock, a day ahead here, does not end it early."""
    handled: list[int] = []
    async with fresh_database("postgresql", tmp_path) as db:
        store = HandledUpdates(db)
        assert await store.claim(90, "dead-replica", 2)
        survivor = HandledOnce(store, clock=lambda: time.time() + 86_400)
        await survivor.open()
        delivery = asyncio.create_task(_deliver(survivor, 90, handled))
        await asyncio.sleep(1.0)
        assert not delivery.done() and handled == []  # waits on the dead replica's claim
        assert await asyncio.wait_for(delivery, 10)
        await survivor.close()
        assert await db.fetch_value("SELECT COUNT(*) FROM webhook_claims") == 0
    assert handled == [90]


async def test_a_claim_is_renewed_while_its_update_waits_long(tmp_path: Path) -> None:
    """An update in hand longer than a claim lasts (waiting for its chat's turn behind others):
    its replica renews the claim, and a delivery again on another replica still waits."""
    handled: list[str] = []
    async with fresh_database("postgresql", tmp_path) as db, another_process(db) as twin:
        first = HandledOnce(HandledUpdates(db), claim_seconds=1)
        second = HandledOnce(HandledUpdates(twin), claim_seconds=1)
        await first.open()
        await second.open()
        working = asyncio.Event()

        async def long_on_first() -> bool:
            async with first.first_time(88) as fresh:
                if fresh:
                    working.set()
                    await asyncio.sleep(3.5)  # more than three claims' worth
                    handled.append("first")
                return fresh

        async def again_on_second() -> bool:
            await working.wait()
            await asyncio.sleep(1.5)  # past the first claim's own end
            async with second.first_time(88) as fresh:
                if fresh:
                    handled.append("second")
                return fresh

        assert list(await asyncio.gather(long_on_first(), again_on_second())) == [True, False]
        await first.close()
        await second.close()
    assert handled == ["first"]
