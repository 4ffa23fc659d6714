from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from providers.http import RetryPolicy, Timeouts
from sandbox.server import SimulatorServer, free_port

FAST = Timeouts(connect=1.0, total=1.0)
NO_WAIT = RetryPolicy(attempts=3, first_delay=0.01, max_delay=0.02)


def closed_port_url() -> str:
    """A loopback URL where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"


@asynccontextmanager
async def serving(simulator: Any) -> AsyncIterator[str]:
    """The simulator's app on a free loopback port, for the block's duration; yields its URL."""
    server = SimulatorServer(simulator.app())
    try:
        yield await server.start()
    finally:
        await server.stop()
