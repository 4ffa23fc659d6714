"""`python -m bot demo` as a visitor runs it: a process of its own, stopped with Ctrl+C."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.config import without_settings
from tests.e2e.harness import ROOT

START_TIMEOUT = 40.0
STOP_TIMEOUT = 20.0


async def _playground_address(stream: asyncio.StreamReader, seen: list[str]) -> str:
    while True:
        line = (await stream.readline()).decode()
        if not line:
            raise AssertionError("the demo exited early:\n" + "".join(seen))
        seen.append(line)
        found = re.search(r"Playground\s+(http://127\.0\.0\.1:\d+/)", line)
        if found:
            return found.group(1)


@asynccontextmanager
async def running_demo(
    workdir: Path, environment: dict[str, str] | None = None
) -> AsyncIterator[str]:
    """The demo on any free port, in `workdir`; yields the playground's address. On the way out
    it is stopped with SIGINT and must exit 0 without a traceback."""
    env = without_settings(os.environ)
    env.update(environment or {}, PYTHONPATH=str(ROOT))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "demo", "--port", "0",
        cwd=workdir, env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert process.stdout is not None
    seen: list[str] = []
    try:
        yield await asyncio.wait_for(_playground_address(process.stdout, seen), START_TIMEOUT)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        rest = await asyncio.wait_for(process.stdout.read(), STOP_TIMEOUT)
        await process.wait()
    log = "".join(seen) + rest.decode()
    assert process.returncode == 0, log
    assert "Traceback" not in log, log
