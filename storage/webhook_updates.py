"""The ids of the Telegram updates the webhook handled, kept as long as Telegram may deliver one
again (a day: Telegram keeps an update no longer), so a second delivery is not handled twice.

A record older than that is never read, even before a write forgets it: after a week without
updates Telegram numbers the next ones afresh, and an id in an old record may be a new update."""

from __future__ import annotations

from collections.abc import Collection

from storage.database import Database

KEPT_FOR = 24 * 3600  # seconds


class HandledUpdates:
    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def shared(self) -> bool:
        """Whether other shop processes record updates here too (PostgreSQL, several replicas):
        then an update this process never saw may have been handled by another."""
        return self._db.is_server

    async def newest(self) -> int | None:
        """The highest update id recorded; None when there is none."""
        newest = await self._db.fetch_value("SELECT MAX(update_id) FROM webhook_updates")
        return None if newest is None else int(newest)

    async def contains(self, update_id: int, now: int) -> bool:
        """Whether update `update_id` was recorded as handled within KEPT_FOR before `now`."""
        found = await self._db.fetch_value(
            "SELECT 1 FROM webhook_updates WHERE update_id = ? AND handled_at >= ?",
            (update_id, now - KEPT_FOR),
        )
        return found is not None

    async def record(self, update_ids: Collection[int], now: int) -> None:
        """Record `update_ids` as handled at `now` (Unix seconds), in one transaction, and forget
        those recorded more than KEPT_FOR ago."""
        async with self._db.write() as tx:
            await tx.execute_many(
                "INSERT INTO webhook_updates (update_id, handled_at) VALUES (?, ?)"
                " ON CONFLICT (update_id) DO NOTHING",
                [(update_id, now) for update_id in update_ids],
            )
            await tx.execute("DELETE FROM webhook_updates WHERE handled_at < ?", (now - KEPT_FOR,))

    async def claim(self, update_id: int, holder: str, lasting: int) -> bool:
        """Take update `update_id` for `holder` to handle, unless another holder's claim on it
        is still running; the claim runs `lasting` seconds from now. Now is the database's
        clock (whole seconds), so replicas whose own clocks differ still agree on when a claim
        ran out."""
        now = f"CAST({self._db.dialect.clock} AS BIGINT)"
        async with self._db.write() as tx:
            taken = await tx.fetch_value(
                f"INSERT INTO webhook_claims (update_id, holder, until) VALUES (?, ?, {now} + ?)"
                " ON CONFLICT (update_id) DO UPDATE SET holder = excluded.holder,"
                " until = excluded.until"
                f" WHERE webhook_claims.until < {now} OR webhook_claims.holder = excluded.holder"
                " RETURNING holder",
                (update_id, holder, lasting),
            )
        return taken is not None

    async def let_go(self, update_id: int, holder: str) -> None:
        """Give up a claim (handled and recorded, or cut short), and forget those that ran out
        a day ago (their update was never delivered again)."""
        now = f"CAST({self._db.dialect.clock} AS BIGINT)"
        async with self._db.write() as tx:
            await tx.execute(
                "DELETE FROM webhook_claims"
                f" WHERE update_id = ? AND holder = ? OR until < {now} - ?",
                (update_id, holder, KEPT_FOR),
            )
