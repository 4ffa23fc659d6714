"""nginx in front of several shop processes, as `deploy/nginx.conf` puts it in front of one: the
same public paths (Telegram's webhook, the upstreams' callbacks) and nothing else, plain HTTP on a
loopback port, run in the foreground from a configuration written into a temporary folder.

What the shipped file does not need with one bot and this one does with several: every replica in
the `upstream` block, and `proxy_next_upstream`, so a request that finds a replica dead (its
connection refused or cut) is passed on to a survivor. `non_idempotent` lets nginx pass a POST on
after it was sent: Telegram's updates and the callbacks are safe to deliver again (the shop handles
an update once whatever Telegram delivers again, and a callback is checked against upstream), and
without it a webhook post cut by a SIGKILL would wait for Telegram's own retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

NGINX = "nginx"
START_TIMEOUT = 10.0
PUBLIC_PATHS = r"^(/telegram/webhook|/callbacks/.+)$"


class ProxyMissing(RuntimeError):
    """nginx is not installed here (Debian's `nginx-light` is enough)."""


def nginx_path() -> str | None:
    """The nginx binary, on PATH or where Debian installs it (/usr/sbin is not on every PATH)."""
    return shutil.which(NGINX) or shutil.which(NGINX, path="/usr/sbin:/usr/local/sbin")


def configuration(folder: Path, port: int, replicas: Sequence[int]) -> str:
    """nginx.conf for a proxy on 127.0.0.1:`port` in front of the shop on each of `replicas`'
    ports, everything it writes kept in `folder`."""
    servers = "\n".join(
        f"        server 127.0.0.1:{replica} max_fails=1 fail_timeout=5s;" for replica in replicas
    )
    user = "user root root;\n" if os.geteuid() == 0 else ""  # workers stay who started them
    return f"""# Written by sandbox/replicas/proxy.py for one run; see deploy/nginx.conf.
{user}worker_processes 1;
daemon off;
master_process on;
pid {folder}/nginx.pid;
error_log stderr warn;

events {{
    worker_connections 1024;
}}

http {{
    log_format replicas '$status $upstream_addr $request_uri';
    access_log {folder}/access.log replicas;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;

    upstream storefront_bot {{
{servers}
        keepalive 16;
        keepalive_timeout 5s;
    }}

    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 1m;

        location ~ {PUBLIC_PATHS} {{
            proxy_pass http://storefront_bot;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_connect_timeout 2s;
            proxy_read_timeout 60s;
            proxy_next_upstream error timeout non_idempotent;
            proxy_next_upstream_tries 3;
        }}

        location / {{
            return 404;
        }}
    }}
}}
"""


class Nginx:
    """One foreground nginx; `stop` ends it (SIGQUIT: it finishes what it passes on)."""

    def __init__(self, folder: Path, port: int, replicas: Sequence[int]) -> None:
        self.folder = folder
        self.port = port
        self.replicas = tuple(replicas)
        self._process: asyncio.subprocess.Process | None = None
        self.errors: list[str] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.folder / "access.log"

    async def start(self) -> None:
        binary = nginx_path()
        if binary is None:
            raise ProxyMissing("nginx is not installed (apt-get install nginx-light)")
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / "nginx.conf"
        config.write_text(configuration(self.folder, self.port, self.replicas), "utf-8")
        self._process = await asyncio.create_subprocess_exec(
            binary,
            *("-p", str(self.folder), "-e", "stderr", "-c", str(config)),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._read_errors(self._process))
        await self._listening()

    async def _read_errors(self, process: asyncio.subprocess.Process) -> None:
        assert process.stderr is not None
        async for raw in process.stderr:
            self.errors.append(raw.decode("utf-8", "replace").rstrip("\n"))

    async def _listening(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT
        while loop.time() < deadline:
            if self._process is not None and self._process.returncode is not None:
                break
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                await writer.wait_closed()
                return
            await asyncio.sleep(0.05)
        await self.stop()
        raise AssertionError("nginx did not start:\n" + "\n".join(self.errors))

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(3)  # SIGQUIT: a graceful stop
            try:
                await asyncio.wait_for(process.wait(), 10.0)
            except TimeoutError:
                process.kill()
                await process.wait()
        await self._reader
