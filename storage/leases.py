"""Named leases: who may do a piece of work, for how long, across the shop's processes.

A lease row names the work (`leader`: the singleton jobs; `order:<id>`: one order being followed
up), its holder (host, pid and a random id, so a restarted process with a recycled pid is another
holder) and when it expires. It is taken or renewed in one statement, a conditional upsert: the
row is written only if it is free, expired, or the holder's own already. Two processes asking at
once are ordered by the row (PostgreSQL makes the second wait for the first's commit, then checks
its condition against what the first wrote), so exactly one of them holds it.

Time is the database's clock (`Dialect.clock`), seconds since the epoch: a holder's expiry and a
contender's "now" come from one clock, however far apart the processes' own clocks are. Tests
may pass their own clock.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass

from storage.database import Database, Row

LEADER = "leader"
_NUMBER = "CAST(? AS DOUBLE PRECISION)"  # a parameter PostgreSQL can add to without guessing


def gone_from_here(holder: str) -> bool:
    """Whether `holder` (`host:pid:random`) was a process of this machine that has ended."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)  # no signal: only whether the process is there
    except ProcessLookupError:
        return True
    except PermissionError:  # there, another user's
        return False
    return False


def new_holder() -> str:
    """This process's name as a holder: `host:pid:random`."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True)
class Lease:
    name: str
    holder: str
    expires_at: float  # the database's clock, seconds since the epoch
    taken_at: float
    renewed_at: float
    term: int  # counts the holders it has had: a new holder, a new term

    @classmethod
    def from_row(cls, row: Row) -> Lease:
        return cls(
            name=row["name"],
            holder=row["holder"],
            expires_at=float(row["expires_at"]),
            taken_at=float(row["taken_at"]),
            renewed_at=float(row["renewed_at"]),
            term=int(row["term"]),
        )


class Leases:
    """Take, renew and release named leases for one `holder`."""

    def __init__(
        self, db: Database, holder: str | None = None, *, clock: Callable[[], float] | None = None
    ) -> None:
        self._db = db
        self.holder = holder or new_holder()
        self._clock = clock

    def _now(self) -> str:
        """SQL for "now": the database's clock, or the test's (as a parameter)."""
        return _NUMBER if self._clock is not None else self._db.dialect.clock

    def _now_params(self, times: int) -> tuple[float, ...]:
        return () if self._clock is None else (self._clock(),) * times

    async def take(self, name: str, seconds: float) -> Lease | None:
        """Take `name` for `seconds` from now, or renew it if it is this holder's already; None
        if another holder has it and it has not expired, unless that holder was a process of
        this machine that is gone (a shop restarted after a crash takes its orders back at once,
        not when their claims run out)."""
        lease = await self._take(name, seconds)
        if lease is not None:
            return lease
        current = await self.held(name)
        if current is None or not gone_from_here(current.holder):
            return None
        return await self._take(name, seconds, instead_of=current.holder)

    async def _take(self, name: str, seconds: float, *, instead_of: str = "") -> Lease | None:
        now = self._now()
        async with self._db.write() as tx:
            row = await tx.fetch_one(
                "INSERT INTO leases (name, holder, expires_at, taken_at, renewed_at, term)"
                f" VALUES (?, ?, {now} + {_NUMBER}, {now}, {now}, 1)"
                " ON CONFLICT (name) DO UPDATE SET"
                " expires_at = excluded.expires_at, renewed_at = excluded.renewed_at,"
                " taken_at = CASE WHEN leases.holder = excluded.holder"
                " THEN leases.taken_at ELSE excluded.taken_at END,"
                " term = CASE WHEN leases.holder = excluded.holder"
                " THEN leases.term ELSE leases.term + 1 END,"
                " holder = excluded.holder"
                f" WHERE leases.holder = excluded.holder OR leases.expires_at <= {now}"
                " OR leases.holder = ?"
                " RETURNING *",
                (
                    name,
                    self.holder,
                    *self._now_params(1),
                    seconds,
                    *self._now_params(3),
                    instead_of,
                ),
            )
        return None if row is None else Lease.from_row(row)

    async def release(self, name: str) -> bool:
        """Give `name` up at once (a clean stop: the next holder need not wait for it to
        expire); False if it was not this holder's."""
        async with self._db.write() as tx:
            changed = await tx.execute_changes(
                "DELETE FROM leases WHERE name = ? AND holder = ?", (name, self.holder)
            )
        return changed == 1

    async def held(self, name: str) -> Lease | None:
        """The lease on `name` as it stands, expired or not (None: nobody ever took it, or it
        was released)."""
        row = await self._db.fetch_one("SELECT * FROM leases WHERE name = ?", (name,))
        return None if row is None else Lease.from_row(row)

    async def forget_expired(self, *, keep: str = LEADER) -> int:
        """Remove every lease but `keep` that has run out: the claims of a process that died
        holding them (an order, a broadcast), which nobody may take again once their work is
        done. Returns how many."""
        now = self._now()
        async with self._db.write() as tx:
            return await tx.execute_changes(
                f"DELETE FROM leases WHERE name != ? AND expires_at <= {now}",
                (keep, *self._now_params(1)),
            )
