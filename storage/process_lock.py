"""A lock one process holds for as long as it lives: one shop per database, one demo per folder.

An OS lock (`flock`) on a file beside what it guards. The kernel drops it when the process ends,
however it ends (Ctrl+C, SIGKILL, a crash), so a lock never outlives its process and never
stops the next start. The holder writes who it is into the file (pid, host, since when), so a
process that is refused can say which one to stop. The file itself is never removed: a process
that removed it while another still held it would let a third lock a new file beside the held
one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Protocol


@dataclass(frozen=True)
class Holder:
    """Who holds a lock: the process, its machine, and since when (UTC)."""

    pid: int
    host: str
    since: str  # YYYY-MM-DD HH:MM:SS, UTC

    def __str__(self) -> str:
        return f"pid {self.pid} on {self.host} since {self.since} UTC"


class LockHeld(Exception):
    """Another process holds the lock; `holder` says which (None: it has not written that yet)."""

    def __init__(self, path: Path, holder: Holder | None) -> None:
        super().__init__(f"{path} is locked by {holder or 'another process'}")
        self.path = path
        self.holder = holder

    @property
    def who(self) -> str:
        return str(self.holder) if self.holder else "a process that has not said which yet"


class ShopLock(Protocol):
    """What keeps shop processes that must not run together apart."""

    def acquire(self) -> None: ...

    def release(self) -> None: ...

    @property
    def held(self) -> bool: ...


class SharedDatabase:
    """The lock of a database made for several shop processes (PostgreSQL): none. Each process
    takes its share of the queues row by row, and the work that must run once runs on the
    leader (`storage/leases.py`)."""

    def __init__(self) -> None:
        self._held = False

    def acquire(self) -> None:
        self._held = True

    def release(self) -> None:
        self._held = False

    @property
    def held(self) -> bool:
        return self._held


class ProcessLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock for this process, or raise LockHeld naming the process that has it."""
        if self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Opened without truncating: the holder's name in it is what a refused process reads.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise LockHeld(self.path, holder) from None
        except BaseException:
            os.close(fd)
            raise
        me = Holder(os.getpid(), socket.gethostname(), f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S}")
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me.__dict__).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Give the lock up (ending the process does as much)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the only descriptor of the open file drops its flock

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> ProcessLock:
        self.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def _read_holder(fd: int) -> Holder | None:
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
        written = json.loads(os.pread(fd, 4096, 0) or b"null")
        if isinstance(written, dict):
            return Holder(int(written["pid"]), str(written["host"]), str(written["since"]))
    return None
