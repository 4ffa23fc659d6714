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

from bot.services.config import without_settings
from tests.e2e.harness import ROOT
from tests.e2e.secrets_watch import WATCH

START_TIMEOUT = 40.0
STOP_TIMEOUT = 20.0


async def _read_log(
    stream: asyncio.StreamReader, log: list[str], address: asyncio.Future[str]
) -> None:
    """Everything the demo prints, read as it comes (a full pipe would stall the demo)."""
    async for raw in stream:
        line = raw.decode("utf-8", "replace")
        log.append(line)
        found = re.search(r"Playground\s+(http://127\.0\.0\.1:\d+/)", line)
        if found and not address.done():
            address.set_result(found.group(1))
    if not address.done():
        address.set_exception(AssertionError("the demo exited early:\n" + "".join(log)))


@asynccontextmanager
async def running_demo(
    workdir: Path, environment: dict[str, str] | None = None
) -> AsyncIterator[str]:
    """The demo on any free port, in `workdir`; yields the playground's address. On the way out
    it is stopped with SIGINT and must exit 0 without a traceback."""
    env = without_settings(os.environ)
    env.update(environment or {}, PYTHONPATH=str(ROOT))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "demo",
        "--port",
        "0",
        cwd=workdir,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    log: list[str] = []
    WATCH.watch("python -m bot demo (and its bot)", env, log)
    address: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    reader = asyncio.create_task(_read_log(process.stdout, log, address))
    try:
        yield await asyncio.wait_for(address, START_TIMEOUT)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        except TimeoutError:
            process.kill()  # its bot ends with it (the demo asks the kernel for that)
            await process.wait()
        await reader
    text = "".join(log)
    assert process.returncode == 0, text
    assert "Traceback" not in text, text
