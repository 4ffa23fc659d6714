from __future__ import annotations

import socket

from providers.http import RetryPolicy, Timeouts

FAST = Timeouts(connect=1.0, total=1.0)
NO_WAIT = RetryPolicy(attempts=3, first_delay=0.01, max_delay=0.02)


def closed_port_url() -> str:
    """A loopback URL where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
