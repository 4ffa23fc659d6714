"""The deployment files, checked for what matters to an operator: the Dockerfile and
`.dockerignore`, compose.yaml, Caddy's and nginx's configuration and the systemd unit.

No image can be pulled here, so what can be verified offline is: the Dockerfile, compose.yaml and
the unit parsed and checked, the proxies' rules read from their files, the health check's command
run against a stand-in server, and the tools themselves on the files: Caddy serving the
Caddyfile, `nginx -t` on the example, `systemd-analyze verify` and `security` on the unit, each
where the tool is installed (a test that needs one is skipped, saying so, on a machine without
it). The Dockerfile's build and start steps are performed by `tests/e2e/test_dockerfile_steps.py`.
"""

from __future__ import annotations

import asyncio
import fnmatch
import io
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator
from importlib import metadata
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import yaml
from aiohttp import web
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from bot.services.config import Settings, setting_names
from bot.services.lines.topup import CALLBACK_PATH
from bot.wiring.app import updates_finish_within
from sandbox.replicas.proxy import configuration as replicas_proxy_configuration
from sandbox.server import free_port
from tests.dockerfile import (
    ROOT,
    build_context,
    healthcheck_command,
    ignore_rules,
    ignored,
    read_dockerfile,
)

COMPOSE_FILE = ROOT / "compose.yaml"
REPLICAS_FILE = ROOT / "compose.replicas.yaml"
CADDYFILE = ROOT / "deploy" / "Caddyfile"
REPLICAS_CADDYFILE = ROOT / "deploy" / "Caddyfile.replicas"
NGINX_EXAMPLE = ROOT / "deploy" / "nginx.conf"
UNIT = ROOT / "deploy" / "systemd" / "storefront.service"
DATA = "/data"  # the container's volume
SHAPE = ("DATABASE_PATH", "BACKUP_DIR", "WEB_HOST", "WEB_PORT")  # set by the image, not .env
WEBHOOK_SECRET = "webhook-secret_never-logged"
METRICS_TOKEN = "metrics-token-never-logged"
SHUTDOWN_MARGIN = 10.0  # seconds for closing the web server, the outbox and the database
_SECRET = re.compile(r"TOKEN|SECRET|KEY|PASSWORD")
_DURATION = re.compile(r"(?:(\d+)m)?\s*(?:(\d+)s)?")


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text("utf-8"))
    assert isinstance(loaded, dict)
    return loaded


class _ComposeLoader(yaml.SafeLoader):
    """YAML as compose reads an override file: `!reset` (drop what the first file said) and
    `!override` (replace it whole) kept as ("!reset", value) pairs for the tests to see."""


def _tagged(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> tuple[str, Any]:
    if isinstance(node, yaml.SequenceNode):
        value: Any = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        value = loader.construct_scalar(node)  # type: ignore[arg-type]
    return (f"!{tag_suffix}", value)


_ComposeLoader.add_multi_constructor("!", _tagged)


def replicas_override() -> dict[str, Any]:
    loaded = yaml.load(REPLICAS_FILE.read_text("utf-8"), Loader=_ComposeLoader)
    assert isinstance(loaded, dict)
    return loaded


def secret_names() -> set[str]:
    """The shop's variables that hold a secret: a token, a key, a signing secret."""
    return {name for name in setting_names() if _SECRET.search(name)}


def seconds(duration: str) -> float:
    """`90s`, `1m30s` or `90` (systemd's and compose's durations as used here)."""
    if duration.isdigit():
        return float(duration)
    found = _DURATION.fullmatch(duration.strip())
    assert found and any(found.groups()), f"not a duration: {duration}"
    minutes, secs = (int(part or 0) for part in found.groups())
    return 60.0 * minutes + secs


def shutdown_takes() -> float:
    """The longest a stop may take with the default settings: the updates in hand get
    `updates_finish_within`, then a job under way UPSTREAM_TIMEOUT_SECONDS + 1
    (`bot.wiring.app._stop`), then the rest closes."""
    defaults = Settings.model_construct()
    finishing = updates_finish_within(defaults) + defaults.upstream_timeout_seconds + 1
    return finishing + SHUTDOWN_MARGIN


def unit_settings(text: str) -> dict[str, dict[str, list[str]]]:
    """A unit file's sections and their settings; a key may be given more than once."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        assert current is not None, f"a setting outside a section: {line}"
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def webhook_path() -> str:
    """Where Telegram posts updates: the webhook setting's default, once the shop has one."""
    field = Settings.model_fields.get("webhook_path")
    return str(field.default) if field is not None else "/telegram/webhook"


# --- the Dockerfile -------------------------------------------------------------------------


def test_the_image_is_built_in_one_stage_and_runs_from_a_slim_one_as_a_user_of_its_own() -> None:
    dockerfile = read_dockerfile()
    assert len(dockerfile.stages) >= 2
    runtime = dockerfile.final
    assert "slim" in runtime.base
    builders = {stage.name for stage in dockerfile.stages[:-1]}
    # Only what a build stage made reaches the runtime stage: no sources, no build tools.
    assert all(each.flags.get("from") in builders for each in runtime.all("COPY"))
    user = runtime.last("USER").text.split(":")[0]
    assert user not in {"root", "0"}
    assert user.isdigit(), "a numeric user, so that a runtime can tell it is not root"


def test_the_data_lives_in_the_volume() -> None:
    runtime = read_dockerfile().final
    env = runtime.env()
    assert runtime.last("VOLUME").exec_form() == [DATA]
    assert env["DATABASE_PATH"].startswith(DATA + "/")
    assert env["BACKUP_DIR"].startswith(DATA + "/")
    assert runtime.last("WORKDIR").text == DATA  # a relative path lands in the volume too


def test_the_bot_listens_on_the_containers_network_at_the_exposed_port() -> None:
    runtime = read_dockerfile().final
    env = runtime.env()
    assert env["WEB_HOST"] == "0.0.0.0"
    assert runtime.last("EXPOSE").text.split() == [env["WEB_PORT"]]


def test_no_secret_is_baked_into_the_image() -> None:
    dockerfile = read_dockerfile()
    assert "BOT_TOKEN" in secret_names()
    for stage in dockerfile.stages:
        assert not set(stage.env()) & secret_names(), stage.name
        for each in stage.all("COPY"):
            assert not any(part.startswith(".env") for part in each.text.split()), each.line
    assert not set(dockerfile.args) & secret_names()


def test_the_build_context_leaves_out_secrets_data_and_caches() -> None:
    rules = ignore_rules()
    left_out = [
        ".env",
        ".env.production",
        "deploy/.env",
        ".git/HEAD",
        ".venv/bin/python",
        "data/storefront.sqlite3",
        "shop.sqlite3",
        "backups/shop-20261202T153000Z.sqlite3",
        "somewhere/shop.sqlite3-wal",
        "data/storefront.sqlite3.lock",
        "bot/__pycache__/config.cpython-311.pyc",
        "storage/models.pyc",
        ".mypy_cache/3.11/bot/shop.meta.json",
        ".pytest_cache/v/cache/lastfailed",
        "storefront.egg-info/PKG-INFO",
        "tests/test_docs.py",
    ]
    kept = [
        "pyproject.toml",
        "README.md",
        "bot/__main__.py",
        "bot/services/backups.py",
        "bot/locales/en/shop.ftl",
        "storage/migrations/0001_initial.sql",
        "sandbox/playground/static/index.html",
    ]
    assert [path for path in left_out if not ignored(path, rules)] == []
    assert [path for path in kept if ignored(path, rules)] == []
    context = build_context()
    for stage in read_dockerfile().stages:
        for each in stage.all("COPY"):
            if "from" in each.flags:
                continue
            for source in each.text.split()[:-1]:
                assert any(path == source or path.startswith(source + "/") for path in context), (
                    f"COPY {source}: left out of the build context"
                )


def test_stopping_gives_the_shop_the_time_its_shutdown_takes() -> None:
    runtime = read_dockerfile().final
    assert runtime.last("STOPSIGNAL").text == "SIGTERM"
    # Exec form: the shop is process 1 and receives the signal itself (no shell in between).
    assert runtime.last("CMD").exec_form() == ["python", "-m", "bot", "run"]
    bot = compose()["services"]["bot"]
    assert bot["stop_signal"] == "SIGTERM"
    assert seconds(bot["stop_grace_period"]) >= shutdown_takes()
    service = unit_settings(UNIT.read_text("utf-8"))["Service"]
    assert service["KillSignal"] == ["SIGTERM"]
    assert seconds(service["TimeoutStopSec"][-1]) == seconds(bot["stop_grace_period"])


def test_the_health_check_asks_healthz_with_python_alone() -> None:
    command = healthcheck_command(read_dockerfile().final)
    assert command[:2] == ["python", "-c"]
    assert "/healthz" in command[2] and "urllib" in command[2]
    # compose.yaml states the same check (a file read on its own), never a different one.
    assert compose()["services"]["bot"]["healthcheck"]["test"] == ["CMD", *command]


class StandIn:
    """A server in the bot's place: /healthz answers `status`, the rest 200; it notes the paths."""

    def __init__(self) -> None:
        self.status = 200
        self.paths: list[str] = []
        self.port = free_port()
        self._runner: web.AppRunner | None = None

    async def _answer(self, request: web.Request) -> web.Response:
        self.paths.append(request.path)
        await request.read()  # as the bot does: the whole body, before answering
        status = self.status if request.path == "/healthz" else 200
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        return web.json_response({"path": request.path, "secret": secret}, status=status)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._answer)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


@pytest_asyncio.fixture
async def stand_in() -> AsyncIterator[StandIn]:
    server = StandIn()
    await server.start()
    yield server
    await server.stop()


async def health_check(port: int) -> int:
    """The image's HEALTHCHECK command, run as Docker runs it in the container (its `python` is
    this Python), with WEB_PORT=`port`: its exit status."""
    command = healthcheck_command(read_dockerfile().final)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *command[1:],
        env={"WEB_PORT": str(port)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await asyncio.wait_for(process.wait(), 10)


async def test_the_health_check_passes_only_while_the_shop_answers(stand_in: StandIn) -> None:
    assert await health_check(stand_in.port) == 0
    assert stand_in.paths == ["/healthz"]
    stand_in.status = 503
    assert await health_check(stand_in.port) != 0
    await stand_in.stop()
    assert await health_check(stand_in.port) != 0


# --- compose.yaml ---------------------------------------------------------------------------


def test_compose_runs_the_bot_with_its_data_in_a_volume_and_caddy_in_front() -> None:
    project = compose()
    services = project["services"]
    # What `docker compose up` starts: the bot and Caddy; the rest only with several replicas.
    assert {name for name, service in services.items() if "profiles" not in service} == {
        "bot",
        "caddy",
    }
    bot, caddy = services["bot"], services["caddy"]
    assert bot["build"] == "."
    assert bot["env_file"] in (".env", [".env"])
    assert bot["restart"] == caddy["restart"] == "unless-stopped"
    volume, _, mounted = bot["volumes"][0].partition(":")
    assert mounted == DATA and volume in project["volumes"]
    # What the image sets, compose sets again over .env (whose copy of .env.example names a
    # local path and 127.0.0.1), and to the same values.
    image = read_dockerfile().final.env()
    assert {name: str(bot["environment"][name]) for name in SHAPE} == {
        name: image[name] for name in SHAPE
    }
    # The bot's port on the host is for the host only; the world reaches Caddy.
    assert all(str(port).startswith("127.0.0.1:") for port in bot["ports"])
    assert {"80:80", "443:443"} <= set(caddy["ports"])
    caddyfile_mount = caddy["volumes"][0].split(":")
    assert (ROOT / caddyfile_mount[0]).resolve() == CADDYFILE
    assert caddyfile_mount[1] == "/etc/caddy/Caddyfile"


def test_compose_holds_no_secret_value() -> None:
    for name, service in compose()["services"].items():
        environment = service.get("environment", {})
        assert isinstance(environment, dict), f"{name}: environment as a mapping"
        assert not set(environment) & secret_names(), name
        if name != "bot":  # the rest take what they need from .env, by reference
            assert all(str(value).startswith("${") for value in environment.values()), name


def test_caddy_proxies_to_the_bots_port_on_the_compose_network() -> None:
    bot = compose()["services"]["bot"]
    targets = re.findall(r"^\s*reverse_proxy\s+(\S+)\s*\{?$", CADDYFILE.read_text("utf-8"), re.M)
    assert targets == [f"bot:{bot['environment']['WEB_PORT']}"]


def test_compose_has_postgresql_15_and_redis_7_for_replicas_with_volumes_and_health_checks() -> (
    None
):
    project = compose()
    postgres, redis = project["services"]["postgres"], project["services"]["redis"]
    assert postgres["image"] == "postgres:15" and redis["image"] == "redis:7"
    for service, data in ((postgres, "/var/lib/postgresql/data"), (redis, "/data")):
        assert service["profiles"] == ["replicas"]  # never started by the single setup
        assert service["restart"] == "unless-stopped"
        volume, _, mounted = service["volumes"][0].partition(":")
        assert mounted == data and volume in project["volumes"]
        assert {"test", "interval", "timeout", "retries"} <= set(service["healthcheck"])
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert "--appendonly" in redis["command"]
    assert "ports" not in postgres and "ports" not in redis  # the compose network only
    # The password is .env's, by reference; nothing in compose.yaml is a password.
    assert postgres["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD")


def test_the_replicas_file_runs_several_webhook_bots_on_postgres_and_redis_behind_caddy() -> None:
    services = replicas_override()["services"]
    bot, caddy = services["bot"], services["caddy"]
    assert bot["deploy"]["replicas"] == "${REPLICAS:-3}"
    environment = bot["environment"]
    assert environment["BOT_MODE"] == "webhook"  # several processes cannot poll one bot
    assert environment["DATABASE_URL"].startswith("postgresql://")
    assert "@postgres:5432/" in environment["DATABASE_URL"]
    assert "${POSTGRES_PASSWORD:?" in environment["DATABASE_URL"]  # from .env, never written here
    assert environment["REDIS_URL"].startswith("redis://redis:6379")
    assert {name for name in environment if name in secret_names()} == set()
    assert bot["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert bot["ports"] == ("!reset", [])  # replicas cannot share one host port
    assert services["postgres"]["profiles"] == services["redis"]["profiles"] == ("!reset", [])
    tag, volumes = caddy["volumes"]
    assert tag == "!override"
    mounted = volumes[0].split(":")
    assert (ROOT / mounted[0]).resolve() == REPLICAS_CADDYFILE
    assert mounted[1] == "/etc/caddy/Caddyfile"
    assert {name for name in compose()["services"]} >= set(services)  # it only overrides


def test_caddy_in_front_of_replicas_passes_on_the_same_paths_to_every_replica() -> None:
    text = REPLICAS_CADDYFILE.read_text("utf-8")
    shop_paths = re.compile(r"^\s*@shop\s+path\s+(.+)$", re.M)
    public, single = shop_paths.search(text), shop_paths.search(CADDYFILE.read_text("utf-8"))
    assert public is not None and single is not None
    assert public.group(1) == single.group(1)
    port = compose()["services"]["bot"]["environment"]["WEB_PORT"]
    assert re.search(rf"^\s*dynamic a bot {port}\b", text, re.M)
    assert re.search(r"^\s*lb_try_duration\s+\S+$", text, re.M)  # a dead replica is passed over
    assert re.search(r"handle\s*\{\s*respond 404\s*\}", text)
    assert "request>headers>X-Telegram-Bot-Api-Secret-Token delete" in text
    bot_closes = Settings.model_construct().web_read_timeout_seconds
    [keepalive] = re.findall(r"^\s*keepalive\s+(\S+)$", text, re.M)
    assert seconds(keepalive) < bot_closes


# --- Caddy and nginx ------------------------------------------------------------------------


def test_the_proxies_drop_idle_connections_to_the_bot_before_the_bot_does() -> None:
    """The bot closes a connection that sends no request for WEB_READ_TIMEOUT_SECONDS; a proxy
    that kept it longer could send an update on it just as it closes (a 502, and Telegram's
    retry). So both proxies let an idle connection go first."""
    bot_closes = Settings.model_construct().web_read_timeout_seconds
    caddy = re.findall(r"^\s*keepalive\s+(\S+)$", CADDYFILE.read_text("utf-8"), re.M)
    nginx = re.findall(r"^\s*keepalive_timeout\s+(\S+);$", NGINX_EXAMPLE.read_text("utf-8"), re.M)
    assert len(caddy) == len(nginx) == 1
    assert seconds(caddy[0]) < bot_closes and seconds(nginx[0]) < bot_closes


def caddy_public_paths() -> list[str]:
    found = re.search(r"^\s*@shop\s+path\s+(.+)$", CADDYFILE.read_text("utf-8"), re.M)
    assert found, "the Caddyfile names the public paths in @shop"
    return [re.sub(r"\{\$WEBHOOK_PATH:([^}]+)\}", r"\1", path) for path in found.group(1).split()]


def test_caddy_passes_on_only_the_webhook_and_the_upstreams_callbacks() -> None:
    public = caddy_public_paths()
    assert "{$WEBHOOK_PATH:" in CADDYFILE.read_text("utf-8")  # follows the bot's setting
    assert webhook_path() in public

    def passed(path: str) -> bool:
        return any(fnmatch.fnmatchcase(path, pattern) for pattern in public)

    assert passed(CALLBACK_PATH)
    assert not any(map(passed, ["/metrics", "/healthz", "/readyz", "/health", "/", "/callbacks"]))
    assert re.search(r"handle\s*\{\s*respond 404\s*\}", CADDYFILE.read_text("utf-8"))


def needs(*tools: str) -> pytest.MarkDecorator:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    return pytest.mark.skipif(bool(missing), reason=f"{', '.join(missing)} not installed here")


@needs("caddy")
async def test_caddy_serves_the_caddyfile_as_meant(tmp_path: Path, stand_in: StandIn) -> None:
    """Caddy itself, on the Caddyfile as shipped, with three changes for this machine: the site
    is plain HTTP on a free loopback port (SHOP_DOMAIN, as compose passes it), the bot is the
    stand-in (for `bot:8088`), and Caddy binds loopback only and opens no admin endpoint. The
    webhook's secret header reaches the bot, and neither it nor a bearer token reaches the log."""
    port = free_port()
    shipped = CADDYFILE.read_text("utf-8")
    config = tmp_path / "Caddyfile"
    config.write_text(
        "{\n\tadmin off\n\tdefault_bind 127.0.0.1\n}\n\n"
        + re.sub(r"reverse_proxy \S+", f"reverse_proxy 127.0.0.1:{stand_in.port}", shipped),
        "utf-8",
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "SHOP_DOMAIN": f"http://127.0.0.1:{port}",
    }
    caddy = await asyncio.create_subprocess_exec(
        "caddy",
        "run",
        "--config",
        str(config),
        "--adapter",
        "caddyfile",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            for _ in range(100):
                try:
                    async with session.get(base + "/"):
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            secret = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
            async with session.post(base + webhook_path(), json={}, headers=secret) as answer:
                assert answer.status == 200
                assert await answer.json() == {"path": webhook_path(), "secret": WEBHOOK_SECRET}
            async with session.post(base + CALLBACK_PATH, data={"a": "1"}) as answer:
                assert answer.status == 200
            bearer = {"Authorization": f"Bearer {METRICS_TOKEN}"}
            for path in ("/metrics", "/readyz", "/healthz", "/health", "/", "/telegram/other"):
                async with session.get(base + path, headers=bearer) as answer:
                    assert answer.status == 404, path
            too_large = io.BytesIO(b"x" * 2_000_000)
            async with session.post(base + CALLBACK_PATH, data=too_large) as answer:
                assert answer.status >= 400  # a body over the limit is not passed on whole
    finally:
        caddy.terminate()
        _, errors = await caddy.communicate()
    log = errors.decode()
    assert stand_in.paths[:2] == [webhook_path(), CALLBACK_PATH], log
    assert not set(stand_in.paths) - {webhook_path(), CALLBACK_PATH}
    # Caddy's access log has every request, and neither secret.
    assert f'"uri":"{webhook_path()}"' in log and '"uri":"/metrics"' in log
    assert WEBHOOK_SECRET not in log and METRICS_TOKEN not in log


def test_the_nginx_example_passes_on_the_same_paths_as_caddy() -> None:
    text = NGINX_EXAMPLE.read_text("utf-8")
    found = re.search(r"location ~ (\S+) \{\s*proxy_pass", text)
    assert found, "one regex location passes requests on to the bot"
    public = re.compile(found.group(1))
    assert public.match(webhook_path()) and public.match(CALLBACK_PATH)
    assert not any(public.match(path) for path in ["/metrics", "/readyz", "/healthz", "/"])
    assert re.search(r"location / \{\s*return 404;", text)


def test_the_replicas_proxy_passes_on_what_the_nginx_example_does_and_skips_dead_replicas(
    tmp_path: Path,
) -> None:
    """The proxy `make replicas` runs is the shipped example's rules on several replicas."""
    example = NGINX_EXAMPLE.read_text("utf-8")
    written = replicas_proxy_configuration(tmp_path, 18080, [18081, 18082, 18083])
    location = re.compile(r"location ~ (\S+) \{")
    assert location.findall(written) == location.findall(example)
    next_upstream = re.compile(r"^\s*proxy_next_upstream (.+);$", re.M)
    assert next_upstream.findall(written) == next_upstream.findall(example)
    assert "non_idempotent" in next_upstream.findall(example)[0]
    assert re.findall(r"server 127\.0\.0\.1:(\d+)", written) == ["18081", "18082", "18083"]
    assert "listen 127.0.0.1:18080;" in written  # loopback only


@needs("nginx", "openssl")
def test_nginx_accepts_the_example(tmp_path: Path) -> None:
    """`nginx -t` on the example as an http{} include, with a throw-away certificate in place of
    Let's Encrypt's files (the one change)."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=shop.example.com", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    site = re.sub(r"\S+/fullchain\.pem", str(cert), NGINX_EXAMPLE.read_text("utf-8"))
    site = re.sub(r"\S+/privkey\.pem", str(key), site)
    (tmp_path / "site.conf").write_text(site, "utf-8")
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n    include {tmp_path}/site.conf;\n}}\n",
        "utf-8",
    )
    done = subprocess.run(
        ["nginx", "-t", "-c", str(main), "-p", str(tmp_path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


# --- the systemd unit -----------------------------------------------------------------------


def test_the_unit_runs_the_shop_as_its_own_user_and_writes_only_its_data() -> None:
    unit = unit_settings(UNIT.read_text("utf-8"))
    service = unit["Service"]

    def one(key: str) -> str:
        assert key in service, f"the unit sets no {key}"
        return service[key][-1]

    assert one("User") not in {"root", "0", ""}
    assert one("ExecStart").endswith("/.venv/bin/python -m bot run")
    assert one("EnvironmentFile").startswith("/etc/")
    assert one("Restart") == "on-failure"
    assert one("NoNewPrivileges") == "yes"
    assert one("ProtectSystem") == "strict"
    assert one("PrivateTmp") == "yes"
    assert one("ProtectHome") == "yes"
    assert one("CapabilityBoundingSet") == ""
    data = f"/var/lib/{one('StateDirectory')}"
    assert one("WorkingDirectory") == data  # a relative DATABASE_PATH lands in the data too
    assert one("ReadWritePaths") == data
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]
    # A configuration error (exit 2) is not retried in a loop: the operator fixes it first.
    assert one("RestartPreventExitStatus") == "2"


def verified(text: str, folder: Path) -> subprocess.CompletedProcess[str]:
    copy = folder / UNIT.name
    copy.write_text(text, "utf-8")
    return subprocess.run(
        ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, check=False
    )


@needs("systemd-analyze")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    """`systemd-analyze verify` on a copy whose ExecStart names this machine's Python in place of
    /opt/storefront's (verify checks that the program exists; the rest is as shipped). Unknown or
    malformed settings are only warned about, so any output fails the test."""
    shipped = UNIT.read_text("utf-8")
    here = re.sub(r"^ExecStart=\S+", f"ExecStart={sys.executable}", shipped, flags=re.M)
    assert here != shipped
    done = verified(here, tmp_path)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")
    # The same check finds a mistake: a misspelled hardening setting.
    broken = verified(here.replace("ProtectSystem=", "ProtectSytem="), tmp_path)
    assert "ProtectSytem" in broken.stdout + broken.stderr

    verified(here, tmp_path)
    exposure = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", "--threshold=20", tmp_path / UNIT.name],
        capture_output=True,
        text=True,
        check=False,
    )
    assert exposure.returncode == 0, exposure.stdout[-400:]  # exposure 2.0 at most, of 10


# --- the deployment page --------------------------------------------------------------------


def test_the_deployment_page_states_what_the_files_say() -> None:
    page = (ROOT / "docs" / "deployment.md").read_text("utf-8")
    image = read_dockerfile().final.env()
    service = unit_settings(UNIT.read_text("utf-8"))["Service"]
    data = f"/var/lib/{service['StateDirectory'][-1]}"
    grace = int(seconds(compose()["services"]["bot"]["stop_grace_period"]))
    stated = [
        f"`{image['DATABASE_PATH']}`",
        f"`{image['BACKUP_DIR']}`",
        f"`{data}/shop.sqlite3`",
        f"`DATABASE_PATH={data}/shop.sqlite3`",
        f"`TimeoutStopSec={grace}`",
        f"up to {grace} s",
        f"`127.0.0.1:{image['WEB_PORT']}`",
        f"`{service['EnvironmentFile'][-1]}`",
        f"`{service['ExecStart'][-1]}`",
        f"`{webhook_path()}`",
    ]
    assert [text for text in stated if text not in page] == []


def _locked() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (ROOT / "requirements.lock").read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = Version(version)
    return pins


def test_the_lock_pins_every_dependency_at_a_version_the_project_allows_and_the_tests_run() -> None:
    """The image installs requirements.lock; make test's virtualenv is held to it too, so the
    versions shipped are the versions tested."""
    pins = _locked()
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    for dependency in map(Requirement, declared["dependencies"]):
        name = canonicalize_name(dependency.name)
        assert name in pins, f"{dependency.name} is not in requirements.lock: make lock"
        assert pins[name] in dependency.specifier, f"{name}=={pins[name]} outside {dependency}"
    for package, pinned in pins.items():
        assert Version(metadata.version(package)) == pinned, (
            f"the tests run {package} not at {pinned}"
        )
