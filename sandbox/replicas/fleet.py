"""Several shop processes behind one nginx: each `python -m bot run --webhook` on a loopback port
of its own, the proxy on another, passing each request to a replica that is alive.

What a replica is told is its owner's business (the replicas run and the purchase benchmark
configure their shops differently): the fleet asks `environment(replica)` when it starts one, and
keeps the proxy's address (`proxy.base_url`, the PUBLIC_BASE_URL they all share) known from the
start. Replicas start one after another, so the first migrates the schema while the others wait.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.bot_process import BotProcess
from sandbox.replicas.proxy import Nginx
from sandbox.server import free_port
from sandbox.soak.handled_once import BotRun

# A replica starts as one shop does, and migrates the schema first (the first one) or waits for
# the one migrating: on a shared, busy machine that can take longer than a lone shop's start.
START_TIMEOUT = 90.0

Environment = Callable[["Replica"], dict[str, str]]


@dataclass
class Replica:
    """One shop process's slot: its name, port, the process while it runs, and its log."""

    name: str
    port: int
    bot: BotProcess | None = None
    ended_by: int | None = None  # the signal that ended it, once it ended
    log: list[str] = field(default_factory=list)

    @property
    def alive(self) -> bool:
        return self.bot is not None and self.bot.running


class Fleet:
    """`count` replicas and their proxy; `start` brings up nginx, then each replica in turn."""

    def __init__(self, workdir: Path, count: int, environment: Environment) -> None:
        self.workdir = workdir
        self.replicas = [
            Replica(f"replica-{number}", free_port()) for number in range(1, count + 1)
        ]
        self.proxy = Nginx(workdir / "nginx", free_port(), [r.port for r in self.replicas])
        self._environment = environment

    async def start(self) -> None:
        await self.proxy.start()
        for replica in self.replicas:
            await self.start_replica(replica)

    async def start_replica(self, replica: Replica) -> None:
        replica.bot = BotProcess(
            self._environment(replica), self.workdir, start_timeout=START_TIMEOUT
        )
        replica.ended_by = None
        try:
            await replica.bot.start()
        except AssertionError:
            self._ended(replica, None)
            raise

    async def kill(self, replica: Replica) -> None:
        """SIGKILL: the replica dies wherever it is, as its host does in a power cut."""
        await self._stop(replica, signal.SIGKILL)

    async def _stop(self, replica: Replica, sig: int) -> None:
        if replica.bot is None:
            return
        await replica.bot.stop(sig)
        self._ended(replica, sig)

    def _ended(self, replica: Replica, sig: int | None) -> None:
        bot, replica.bot = replica.bot, None
        if bot is not None:
            replica.log.extend(bot.log_lines)
        replica.ended_by = sig

    @property
    def survivors(self) -> list[Replica]:
        return [replica for replica in self.replicas if replica.alive]

    def runs(self) -> list[BotRun]:
        """Each replica's log and how it ended, for the soak's "handled once" reading; a
        replica still running counts as one not stopped by a signal."""
        return [
            BotRun(replica.bot.log_lines if replica.bot else replica.log, replica.ended_by)
            for replica in self.replicas
        ]

    def logs(self) -> list[str]:
        return [line for run in self.runs() for line in run.lines]

    async def stop(self) -> None:
        """SIGTERM to every replica still running (each finishes what it holds), then nginx."""
        for replica in self.replicas:
            await self._stop(replica, signal.SIGTERM)
        await self.proxy.stop()
