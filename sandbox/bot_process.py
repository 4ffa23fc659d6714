"""Runs a bot as its own process, as an operator runs it (`python -m bot run`, polling or on its
webhook).

One home for starting, reading and stopping the bot beside the simulators: the end-to-end tests,
the benchmarks and the soak all start it this way, configured only through its environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
COMMAND_TIMEOUT = 30.0  # a `python -m bot` command beside the bot: check, or a refused run
POLLING_STARTED = "Run polling for bot"
WEBHOOK_STARTED = "Run webhook for bot"  # the shop's start line in webhook mode, webhook set
STARTED = (POLLING_STARTED, WEBHOOK_STARTED)

# Upstream follow-ups, deposit checks and retries in seconds rather than minutes, so that tests and
# the soak can watch them happen; no upstream watch or daily report in the group unless asked for.
QUICK_FOLLOW_UPS = {
    "DEPOSIT_CHECK_EVERY_SECONDS": "0.5",
    "STARS_REFUND_RETRY_SECONDS": "0.5",
    "STARS_CHECK_EVERY_SECONDS": "0.5",
    "REFERRAL_RELEASE_EVERY_SECONDS": "0.5",
    "OUTBOX_RETRY_SECONDS": "0.5",
    "UPSTREAM_TIMEOUT_SECONDS": "2",
    "RECONCILE_EVERY_SECONDS": "0.5",
    "CLOUDRUBY_REPAY_AFTER_SECONDS": "3",
    "PROVIDER_CHECK_EVERY_SECONDS": "3600",
    "DAILY_REPORT_AT": "",
}


class BotProcess:
    """One `python -m bot run` process (or another bot's `command`, as the benchmarks' echo bot),
    started once its log says it takes updates (polling, or its webhook set); its log is
    collected so tests can read it. `open_files` lowers the process's limit of open files, as a
    small server's `ulimit -n` does."""

    def __init__(
        self,
        env: dict[str, str],
        workdir: Path,
        command: Sequence[str] = ("-m", "bot", "run"),
        *,
        open_files: int | None = None,
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        self._env = env
        self._start_timeout = start_timeout
        self._workdir = workdir
        self._command = tuple(command)
        self._open_files = open_files
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self.log_lines: list[str] = []
        self._started = asyncio.Event()

    async def start(self) -> None:
        self._started.clear()
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            *self._command,
            cwd=self._workdir,
            env=self._env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            preexec_fn=None if self._open_files is None else self._limit_open_files,
        )
        self._reader = asyncio.create_task(self._read_log(self._process))
        waiter = asyncio.create_task(self._started.wait())
        exited = asyncio.create_task(self._process.wait())
        done, _ = await asyncio.wait(
            {waiter, exited}, timeout=self._start_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        waiter.cancel()
        exited.cancel()
        if waiter not in done:
            await self.stop()
            raise AssertionError("the bot did not start taking updates:\n" + self.log)

    def _limit_open_files(self) -> None:
        """Runs in the child before `exec`: the limit holds for the bot alone."""
        assert self._open_files is not None
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        soft = self._open_files if hard == resource.RLIM_INFINITY else min(self._open_files, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    async def _read_log(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        async for raw in process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.log_lines.append(line)
            if any(started in line for started in STARTED):
                self._started.set()

    @property
    def log(self) -> str:
        return "\n".join(self.log_lines)

    @property
    def pid(self) -> int:
        """The running bot's process id (to read its memory from /proc, say)."""
        if self._process is None:
            raise RuntimeError("the bot is not running")
        return self._process.pid

    def resident_megabytes(self) -> float:
        """The running bot's resident memory (VmRSS), in MB (10^6 bytes)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / 1_000_000
        raise RuntimeError(f"no VmRSS for process {self.pid}")

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def stop(self, sig: int = signal.SIGTERM) -> int | None:
        """Stop the bot the way an operator's service manager does (SIGTERM), or kill it."""
        process, self._process = self._process, None
        if process is None:
            return None
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(sig)
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                process.kill()
                await process.wait()
        if self._reader is not None:
            await self._reader
            self._reader = None
        return process.returncode


async def run_bot_command(env: dict[str, str], workdir: Path, *args: str) -> tuple[int, str]:
    """`python -m bot ARGS` with the configuration `env`: the exit code and what it printed. One
    that does not end by itself (a second shop polling) fails."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=workdir,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), COMMAND_TIMEOUT)
    except TimeoutError:
        process.kill()
        output, _ = await process.communicate()
        raise AssertionError(
            f"python -m bot {' '.join(args)} did not end:\n" + output.decode("utf-8", "replace")
        ) from None
    assert process.returncode is not None
    return process.returncode, output.decode("utf-8", "replace")
