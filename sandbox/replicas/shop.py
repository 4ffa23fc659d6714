"""Several shop processes on one PostgreSQL database behind nginx: the Telegram emulator posts
every update to the proxy's address (the one PUBLIC_BASE_URL all replicas share), the upstream
simulators call back through it too, and nginx passes each request to a replica that is alive.

Each replica is `python -m bot run --webhook` on a port of its own, configured only through its
environment, as the soak's single shop is (`sandbox/soak/shop.py`, whose world of simulators and
customers this reuses). A replica can be killed with SIGKILL; it is not started again (a host that
died stays dead for the rest of the run), so what it was doing must be finished by the others.
"""

from __future__ import annotations

import os
from pathlib import Path

from sandbox.bot_process import QUICK_FOLLOW_UPS, run_bot_command
from sandbox.replicas.fleet import Fleet, Replica
from sandbox.replicas.proxy import Nginx
from sandbox.soak.handled_once import BotRun
from sandbox.soak.shop import (
    ADMIN_CHAT_ID,
    ADMIN_ID,
    BOT_TOKEN,
    PASSED_THROUGH,
    ROOT,
    STARS_RATE,
    WEBHOOK_SECRET,
    Surroundings,
)

__all__ = ["Replica", "ReplicaShop"]


class ReplicaShop(Surroundings):
    def __init__(
        self,
        workdir: Path,
        database_url: str,
        *,
        replicas: int = 3,
        latency: float = 0.0,
        redis_url: str | None = None,
        redis_prefix: str | None = None,
    ) -> None:
        super().__init__("replica")
        self.workdir = workdir
        self.database_url = database_url
        self.redis_url = redis_url
        self.redis_prefix = redis_prefix
        for upstream in self.upstreams.all:
            upstream.plan.latency = latency  # every call to every upstream takes this long
        self.fleet = Fleet(workdir, replicas, self.environment)

    @property
    def replicas(self) -> list[Replica]:
        return self.fleet.replicas

    @property
    def proxy(self) -> Nginx:
        return self.fleet.proxy

    @property
    def where(self) -> str:
        """The database, as the soak's auditor reads it (`sandbox/soak/reader.py`)."""
        return self.database_url

    def environment(self, replica: Replica | None = None) -> dict[str, str]:
        env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
        port = replica.port if replica else self.replicas[0].port
        env.update(
            BOT_TOKEN=BOT_TOKEN,
            TELEGRAM_API_BASE=self.emulator.base_url,
            DATABASE_URL=self.database_url,
            ADMIN_CHAT_ID=str(ADMIN_CHAT_ID),
            ADMIN_IDS=str(ADMIN_ID),
            WEB_HOST="127.0.0.1",
            WEB_PORT=str(port),
            PUBLIC_BASE_URL=self.proxy.base_url,
            BOT_MODE="webhook",
            WEBHOOK_SECRET=WEBHOOK_SECRET,
            **self.upstreams.bot_environment(),
            **QUICK_FOLLOW_UPS,
            STARS_RATE=STARS_RATE,
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
        )
        # Read by the shop once it keeps conversations and flood counters in Redis; ignored
        # (as every unknown variable is) before that.
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
            if self.redis_prefix:
                env["REDIS_KEY_PREFIX"] = self.redis_prefix
        return env

    async def start(self) -> None:
        await self.emulator.start(host="127.0.0.1", port=0)
        await self.upstreams.start()
        await self.fleet.start()

    async def start_replica(self, replica: Replica) -> None:
        await self.fleet.start_replica(replica)

    async def kill(self, replica: Replica) -> None:
        """SIGKILL: the replica dies wherever it is, as its host does in a power cut."""
        await self.fleet.kill(replica)

    @property
    def survivors(self) -> list[Replica]:
        return self.fleet.survivors

    def runs(self) -> list[BotRun]:
        return self.fleet.runs()

    def logs(self) -> list[str]:
        return self.fleet.logs()

    async def check(self) -> tuple[int, str]:
        """`python -m bot check` against the shared database, beside the replicas."""
        return await run_bot_command(self.environment(), self.workdir, "check")

    async def stop(self) -> None:
        """SIGTERM to every replica still running (each finishes what it holds), then the rest."""
        await self.fleet.stop()
        await self.upstreams.stop()
        await self.emulator.stop()
