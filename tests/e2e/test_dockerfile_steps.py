"""The Dockerfile's install and start steps, performed without Docker (no image can be pulled on
these machines): the image is built and started as Docker would, on this machine's Python 3.11 in
place of the `python:3.11-slim` base image, and the shop it starts answers a customer.

How the steps are performed. The Dockerfile itself is read (`tests.dockerfile`), not a copy of
its commands. The build context is copied into a temporary folder, honouring `.dockerignore`.
The container's filesystem root is another temporary folder: every absolute path the Dockerfile
writes (WORKDIR, COPY's destinations, ENV values) is moved under it, and RUN commands, which must
reach paths only through variables (checked), run unchanged with `sh -c` in the stage's working
directory and environment. So the build stage's RUN steps create a fresh virtual environment and
pip-install the dependencies and the shop into it, exactly as written. Of the runtime stage, the
user it creates is not (that needs root on this machine and would change it); its RUN is checked
to do nothing else. Its `COPY --from=build` of the environment is to the same path (a virtual
environment cannot move), so it is already in place.

Then the CMD starts, from the runtime stage's working directory, with the container's
environment: the Dockerfile's ENV, compose.yaml's `environment` over it, and what an operator's
.env gives (the token, and the Bot API, here the emulator). Two differences, both for this
machine: WEB_HOST is 127.0.0.1 (tests reach nothing else) and WEB_PORT a free port.

It takes about 30 s on a busy 2-core machine with pip's cache warm (the first run downloads the
dependencies from PyPI).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest_asyncio
import yaml

from sandbox.server import free_port
from sandbox.telegram import TelegramEmulator
from tests.dockerfile import (
    ROOT,
    Dockerfile,
    Stage,
    container_path,
    copy_context,
    env_pairs,
    healthcheck_command,
    read_dockerfile,
    relocated,
)
from tests.e2e.harness import BOT_TOKEN

# Ready: until /readyz lands on main, /health (the shop's answer that it runs) stands in for it.
READY_PATH = "/readyz"
START_WITHIN = 60.0  # seconds from the CMD to READY_PATH answering 200
STOP_WITHIN = 30.0  # SIGTERM to exit, with nothing in hand
BASE_IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# What a build on this machine needs of its environment to reach PyPI: proxies, pip's own settings
# and certificates; HOME keeps pip's cache, so that a second run downloads nothing.
PASSED_TO_BUILD = re.compile(r"(?i)(https?|no|all)_proxy|pip_\w+|ssl_cert_\w+|requests_ca_bundle")
# A container path written literally in a RUN command would not be moved under the root.
_LITERAL_PATH = re.compile(r"(?<![\w$}/.])/[A-Za-z]")
# What the runtime stage's RUN may do: create the shop's user and its data folder.
USER_SETUP = {"groupadd", "useradd", "mkdir", "chown", "chmod"}
_WHERE = (
    "import importlib, sys\nfor name in sys.argv[1:]: print(importlib.import_module(name).__file__)"
)


class Container:
    """The image's steps performed under `root`, and then its CMD."""

    def __init__(self, tmp: Path) -> None:
        self.dockerfile: Dockerfile = read_dockerfile()
        self.context = tmp / "context"
        self.root = tmp / "root"
        self.context.mkdir()
        self.root.mkdir()
        self.base_python = tmp / "base-image-bin"  # `python` of the base image
        self.base_python.mkdir()
        (self.base_python / "python").symlink_to(Path(base_interpreter()))
        self.skipped: list[str] = []
        self.process: asyncio.subprocess.Process | None = None
        self.log: list[str] = []
        self._reader: asyncio.Task[None] | None = None

    def build(self) -> None:
        copied = copy_context(self.context)
        assert "pyproject.toml" in copied and not any(
            name == ".env" or name.endswith(".sqlite3") for name in copied
        )
        env = {
            "PATH": f"{self.base_python}:{BASE_IMAGE_PATH}",
            "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8",
        }
        env.update({k: v for k, v in os.environ.items() if PASSED_TO_BUILD.fullmatch(k)})
        # Speed alone: no bytecode compiled ahead (pip reads this variable as `compile = 0`). The
        # environment here starts once, and compiling every module costs more than that start.
        env["PIP_NO_COMPILE"] = "0"
        *stages, runtime = self.dockerfile.stages
        for stage in stages:
            self._build_stage(stage, env)
        self._check_runtime_stage(runtime)

    def _build_stage(self, stage: Stage, base: dict[str, str]) -> None:
        env, workdir = dict(base), self.root
        for each in stage.instructions:
            if each.keyword == "ENV":
                env.update(env_pairs(each.text, env, self.root))
            elif each.keyword == "WORKDIR":
                assert "$" not in each.text, f"line {each.line}: WORKDIR as a plain path"
                workdir = container_path(each.text, self.root, workdir)
                workdir.mkdir(parents=True, exist_ok=True)
            elif each.keyword == "COPY":
                assert "from" not in each.flags, f"line {each.line}: a build stage copies sources"
                *sources, destination = shlex.split(each.text)
                self._copy(sources, destination, workdir)
            elif each.keyword == "RUN":
                assert not _LITERAL_PATH.search(each.text), (
                    f"line {each.line}: reach container paths through variables in RUN"
                )
                done = subprocess.run(
                    ["sh", "-c", each.text],
                    cwd=workdir,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                assert done.returncode == 0, (
                    f"Dockerfile line {each.line} failed:\n{done.stdout}\n{done.stderr}"
                )
            else:
                raise AssertionError(f"line {each.line}: {each.keyword} in a build stage")

    def _copy(self, sources: list[str], destination: str, workdir: Path) -> None:
        target = container_path(destination, self.root, workdir)
        into_folder = destination.endswith("/") or len(sources) > 1
        for source in sources:
            found = self.context / source
            assert found.exists(), f"COPY {source}: not in the build context (.dockerignore?)"
            if found.is_dir():
                shutil.copytree(found, target, dirs_exist_ok=True)
            else:
                place = target / found.name if into_folder else target
                place.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(found, place)

    def where_python_finds(self, *modules: str) -> list[Path]:
        """The files the built environment's Python imports `modules` from."""
        done = subprocess.run(
            [self.root / "opt" / "venv" / "bin" / "python", "-c", _WHERE, *modules],
            cwd=self.root,
            env={"PATH": BASE_IMAGE_PATH},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, f"the shop is not installed whole:\n{done.stderr}"
        return [Path(line) for line in done.stdout.splitlines()]

    def _check_runtime_stage(self, stage: Stage) -> None:
        for each in stage.all("RUN"):
            commands = [part.split()[0] for part in each.text.split("&&")]
            assert set(commands) <= USER_SETUP, (
                f"line {each.line}: the runtime stage's RUN does {commands}; perform new steps here"
            )
            self.skipped.append(each.text)
        for each in stage.all("COPY"):
            assert each.flags.get("from") in {s.name for s in self.dockerfile.stages[:-1]}, (
                f"line {each.line}: the runtime stage copies only what a build stage made"
            )
            *sources, destination = shlex.split(each.text)
            assert sources == [destination], f"line {each.line}: an environment cannot move"
            assert container_path(destination, self.root, self.root).is_dir()

    def environment(self, operator: dict[str, str]) -> tuple[dict[str, str], Path]:
        """The CMD's environment and working directory: the runtime stage's ENV, compose.yaml's
        `environment` over it, then the operator's .env (compose gives `environment` the last
        word, so the operator's values never move the data or the listening address)."""
        stage = self.dockerfile.final
        workdir = container_path(stage.last("WORKDIR").text, self.root, self.root)
        workdir.mkdir(parents=True, exist_ok=True)  # the volume
        image = {"PATH": BASE_IMAGE_PATH, "HOME": str(workdir), "LANG": "C.UTF-8"}
        env = stage.env(image, self.root)
        compose = yaml.safe_load((ROOT / "compose.yaml").read_text("utf-8"))
        shape = compose["services"]["bot"]["environment"]
        env.update(operator)
        env.update({name: relocated(str(value), self.root) for name, value in shape.items()})
        return env, workdir

    async def start(self, env: dict[str, str], workdir: Path) -> None:
        argv = self.dockerfile.final.last("CMD").exec_form()
        assert argv is not None, "CMD in exec form, so that the shop itself receives SIGTERM"
        program = shutil.which(argv[0], path=env["PATH"])
        assert program is not None and Path(program).is_relative_to(self.root), program
        self.process = await asyncio.create_subprocess_exec(
            program,
            *argv[1:],
            cwd=workdir,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self._reader = asyncio.create_task(self._read_log())

    async def beside(self, env: dict[str, str], workdir: Path, *argv: str) -> tuple[int, str]:
        """A command run in the running container (`docker exec`): its exit status and output."""
        program = shutil.which(argv[0], path=env["PATH"])
        assert program is not None
        process = await asyncio.create_subprocess_exec(
            program,
            *argv[1:],
            cwd=workdir,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode is not None
        return process.returncode, output.decode("utf-8", "replace")

    async def _read_log(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        async for raw in self.process.stdout:
            self.log.append(raw.decode("utf-8", "replace").rstrip("\n"))

    async def stop(self, sig: signal.Signals) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(sig)
            try:
                await asyncio.wait_for(self.process.wait(), STOP_WITHIN)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
                raise AssertionError(f"no exit {STOP_WITHIN} s after {sig.name}") from None
        if self._reader is not None:
            await self._reader
        assert self.process.returncode is not None
        return self.process.returncode


def base_interpreter() -> str:
    """This machine's Python itself (not the test's virtual environment), as the base image's."""
    return str(getattr(sys, "_base_executable", sys.executable))


async def until_ready(url: str, within: float, container: Container) -> None:
    """Wait until `url` answers 200; fails if it does not in time or the process ends."""
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        while True:
            assert container.process is not None
            if container.process.returncode is not None:
                raise AssertionError("the container's CMD exited:\n" + "\n".join(container.log))
            with contextlib.suppress(aiohttp.ClientConnectionError, TimeoutError):
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} not ready in {within} s:\n" + "\n".join(container.log))
            await asyncio.sleep(0.2)


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    telegram = TelegramEmulator()
    telegram.add_bot(token=BOT_TOKEN, username="storefront_test_bot", first_name="Shop")
    await telegram.start(host="127.0.0.1", port=0)
    yield telegram
    await telegram.stop()


async def test_the_image_built_from_the_dockerfile_starts_a_shop_that_answers(
    tmp_path: Path, emulator: TelegramEmulator
) -> None:
    container = Container(tmp_path)
    await asyncio.to_thread(container.build)
    assert len(container.skipped) == 1  # the user and /data: nothing else left undone

    # The shop runs from the environment, not from a folder of sources beside it.
    environment = container.root / "opt" / "venv"
    modules = await asyncio.to_thread(container.where_python_finds, "bot", "storage.migrations")
    assert len(modules) == 2, modules
    assert all(module.is_relative_to(environment) for module in modules), modules

    port = free_port()
    env, workdir = container.environment(
        {"BOT_TOKEN": BOT_TOKEN, "TELEGRAM_API_BASE": emulator.base_url}
    )
    env.update(WEB_HOST="127.0.0.1", WEB_PORT=str(port))  # this machine: loopback, a free port
    assert env["DATABASE_PATH"] == str(container.root / "data" / "shop.sqlite3")
    await container.start(env, workdir)
    try:
        await until_ready(f"http://127.0.0.1:{port}{READY_PATH}", START_WITHIN, container)

        customer = emulator.private_chat(
            user_id=100_001, first_name="Alice", username="alice", language_code="en"
        )
        await customer.send("/start")
        menu = await customer.wait_for_bot()
        assert "Welcome to the shop, Alice!" in menu.text  # the installed locales are there
        assert (workdir / "shop.sqlite3").exists()  # the data is in the volume
        # An operator's command beside it, as `docker compose exec bot python -m bot check`.
        code, report = await container.beside(env, workdir, "python", "-m", "bot", "check")
        assert code == 0 and "ledger OK" in report, report
        # The image's own HEALTHCHECK, run as Docker runs it inside the container.
        command = healthcheck_command(container.dockerfile.final)
        code, said = await container.beside(env, workdir, *command)
        assert code == 0, said
    finally:
        stop_signal = signal.Signals[container.dockerfile.final.last("STOPSIGNAL").text]
        returncode = await container.stop(stop_signal)
    assert returncode == 0, "\n".join(container.log)
    assert not [line for line in container.log if "Traceback" in line], "\n".join(container.log)
