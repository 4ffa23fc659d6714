from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from sandbox.telegram import TelegramEmulator

TOKEN = "555000:EMULATOR-test"


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    running = TelegramEmulator()
    running.add_bot(token=TOKEN, username="emulated_bot", first_name="Emulated")
    await running.start()
    yield running
    await running.stop()


@pytest_asyncio.fixture
async def bot(emulator: TelegramEmulator) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))
    client = Bot(TOKEN, session=session)
    yield client
    await client.session.close()
