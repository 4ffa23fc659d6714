"""The end-to-end harness's shop (`tests/e2e/harness.py`) run as several webhook replicas behind
nginx, on PostgreSQL and Redis.

The replicas and the proxy are `sandbox/replicas/fleet.py`'s, as in `make replicas`; the emulator,
the simulators, the customers and the view on the database stay the harness's, so what is written
against the harness's `Shop` (the e2e flows, `bench/purchases.py`'s run and checks) runs on it
unchanged. Each replica is configured as the harness configures its one bot, plus the proxy's
address (the PUBLIC_BASE_URL they share: Telegram's webhook and the upstreams' callbacks go through
nginx), its own port, and Redis under a key prefix of its own.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sandbox.replicas.fleet import Fleet, Replica
from sandbox.replicas.servers import fresh_schema, redis_prefix
from tests.e2e.harness import ROOT, Shop


class ReplicatedShop(Shop):
    def __init__(
        self,
        workdir: Path,
        *,
        replicas: int,
        database_url: str,
        redis_url: str,
        redis_prefix: str,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        super().__init__(workdir, extra_env, webhook=True, database_url=database_url)
        self.redis_url = redis_url
        self.redis_prefix = redis_prefix
        self.fleet = Fleet(workdir, replicas, self._replica_env)

    def _env(self) -> dict[str, str]:
        """The harness's configuration (also that of `python -m bot check` beside the replicas),
        with the proxy's address and Redis."""
        env = super()._env()
        env.update(
            PUBLIC_BASE_URL=self.fleet.proxy.base_url,
            REDIS_URL=self.redis_url,
            REDIS_KEY_PREFIX=self.redis_prefix,
        )
        return env

    def _replica_env(self, replica: Replica) -> dict[str, str]:
        return {**self._env(), "WEB_PORT": str(replica.port)}

    async def start_bot(self) -> None:
        """nginx, then the replicas one after another (the first migrates the schema)."""
        await self.fleet.start()

    async def stop(self) -> None:
        await self.fleet.stop()
        await super().stop()


@asynccontextmanager
async def replicated_shop(
    replicas: int,
    postgres_url: str,
    redis_url: str,
    extra_env: dict[str, str] | None = None,
) -> AsyncIterator[ReplicatedShop]:
    """A running shop of `replicas` replicas on a new schema of `postgres_url` and a new key
    prefix on `redis_url`; everything it made is removed on leaving (the schema dropped, its keys
    deleted by their prefix: nothing else on the shared servers is touched)."""
    (ROOT / "data").mkdir(exist_ok=True)
    async with (
        fresh_schema(postgres_url, prefix="bench") as url,
        redis_prefix(redis_url, prefix="bench") as prefix,
    ):
        with tempfile.TemporaryDirectory(
            dir=ROOT / "data", prefix=f"bench-replicas-{replicas}-"
        ) as workdir:
            shop = ReplicatedShop(
                Path(workdir),
                replicas=replicas,
                database_url=url,
                redis_url=redis_url,
                redis_prefix=prefix,
                extra_env=extra_env,
            )
            try:
                await shop.start()
                yield shop
            finally:
                await shop.stop()
