"""The lock a process holds for its life: refused while held, named by whoever is refused, and
gone with its process however that ends."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from storage.process_lock import LockHeld, ProcessLock

ROOT = Path(__file__).resolve().parents[2]


def test_a_second_taker_is_refused_and_told_who_holds_it(tmp_path: Path) -> None:
    path = tmp_path / "shop.sqlite3.lock"
    with ProcessLock(path):
        for _ in range(2):  # being refused leaves the holder's name in place
            with pytest.raises(LockHeld) as refused:
                ProcessLock(path).acquire()
            holder = refused.value.holder
            assert holder is not None
            assert (holder.pid, holder.host) == (os.getpid(), socket.gethostname())
            assert refused.value.who.startswith(f"pid {os.getpid()} on {socket.gethostname()} ")
    with ProcessLock(path) as again:  # released: the next one takes it
        assert again.held


def test_a_killed_holder_leaves_the_lock_free(tmp_path: Path) -> None:
    path = tmp_path / "data" / "shop.sqlite3.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path;"
            " from storage.process_lock import ProcessLock;"
            " ProcessLock(Path(sys.argv[1])).acquire();"
            " print('locked', flush=True); time.sleep(600)",
            str(path),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        with pytest.raises(LockHeld) as refused:
            ProcessLock(path).acquire()
        assert refused.value.holder is not None and refused.value.holder.pid == holder.pid
    finally:
        holder.send_signal(signal.SIGKILL)  # no clean-up of its own
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    with ProcessLock(path) as mine:
        assert mine.held
    assert path.exists()  # the file stays; only the lock went
