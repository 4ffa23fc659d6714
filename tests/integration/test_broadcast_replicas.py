"""A broadcast on a database shared by two shop processes: one process sends it; when that one
dies, another goes on with it, and no customer gets a copy twice."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.telegram.broadcast import CLAIM_SECONDS, Broadcaster, Progress
from bot.telegram.link import BotLink
from sandbox.server import free_port
from sandbox.telegram import TelegramEmulator
from storage.admin_log import AdminLog
from storage.broadcasts import BroadcastStatus, BroadcastStore, Delivery
from storage.leases import Leases
from storage.users import CustomerStore
from tests.databases import fresh_database

TOKEN = "555333:BROADCAST-replicas"
GROUP = -100_900
CUSTOMERS = (9_001, 9_002, 9_003)


class Clock:
    def __init__(self) -> None:
        self.now = 2_000_000.0

    def __call__(self) -> float:
        return self.now


class Shown:
    async def show(self, progress: Progress) -> None:
        return None


async def until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    """Wait until `condition` holds; fails the test naming `what` if it does not in 10 s."""
    deadline = time.monotonic() + 10.0
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.02)


def _bot(base: str) -> tuple[Bot, BotLink]:
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(base)))
    link = BotLink()
    link.attach(bot)
    return bot, link


async def test_a_broadcast_goes_on_from_another_process_when_its_sender_dies(
    tmp_path: Path,
) -> None:
    emulator = TelegramEmulator()
    emulator.add_bot(token=TOKEN, username="replicas_bot")
    await emulator.start()
    emulator.group(GROUP, "Operators")
    chats = {user: emulator.private_chat(user, f"customer {user}") for user in CUSTOMERS}
    clock = Clock()
    # The first process's Telegram is out of reach: its first copy never leaves, and it keeps
    # trying, as a process stuck or dying mid-broadcast would.
    stuck_bot, stuck_link = _bot(f"http://127.0.0.1:{free_port()}")
    bot, link = _bot(emulator.base_url)
    try:
        async with fresh_database("postgresql", tmp_path) as db:
            customers = CustomerStore(db)
            for user in CUSTOMERS:
                await customers.register(user, username=None, first_name="C", language="en")
            store = BroadcastStore(db, AdminLog(db))
            one = Broadcaster(store, stuck_link, Shown(), claims=Leases(db, "one", clock=clock))
            two = Broadcaster(store, link, Shown(), claims=Leases(db, "two", clock=clock))
            source = await bot.send_message(GROUP, "the shop is open on Sunday")

            broadcast = await one.begin(900, (GROUP, source.message_id), (GROUP, 1))
            assert broadcast is not None

            async def first_on_its_way() -> bool:
                deliveries = await store.deliveries(broadcast.id)
                return deliveries[CUSTOMERS[0]] == Delivery.SENDING

            await until(first_on_its_way, "the first copy is on its way")
            assert await two.resume() == []  # the first process holds it

            clock.now += CLAIM_SECONDS  # the first process has not renewed its claim since
            assert [b.id for b in await two.resume()] == [broadcast.id]

            async def ended() -> bool:
                now = await store.get(broadcast.id)
                return now is not None and now.status != BroadcastStatus.RUNNING

            await until(ended, "the broadcast ended")
            await one.stop()
            await two.stop()

            finished = await store.get(broadcast.id)
            assert finished is not None and finished.status == BroadcastStatus.FINISHED
            # The copy the first process was sending may have arrived: never sent again.
            assert await store.deliveries(broadcast.id) == {
                CUSTOMERS[0]: Delivery.UNSURE,
                CUSTOMERS[1]: Delivery.SENT,
                CUSTOMERS[2]: Delivery.SENT,
            }
            copies = {user: len(chat.bot_messages) for user, chat in chats.items()}
            assert copies == {CUSTOMERS[0]: 0, CUSTOMERS[1]: 1, CUSTOMERS[2]: 1}
    finally:
        for each, its_bot in ((stuck_link, stuck_bot), (link, bot)):
            await each.close()
            await its_bot.session.close()
        await emulator.stop()
