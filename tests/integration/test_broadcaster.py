"""A broadcast while Telegram cannot be reached: nothing went out, so nobody is skipped."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.telegram.broadcast import Broadcaster, Progress
from bot.telegram.link import BotLink
from sandbox.server import free_port
from storage.admin_log import AdminLog
from storage.broadcasts import BroadcastStatus, BroadcastStore, Delivery
from storage.users import CustomerStore
from tests.databases import fresh_database


class Shown:
    """The progress the operators would see, in the order it was shown."""

    def __init__(self) -> None:
        self.progress: list[Progress] = []

    async def show(self, progress: Progress) -> None:
        self.progress.append(progress)


async def test_an_outage_skips_nobody_and_cancel_leaves_them_unsent(
    tmp_path: Path, backend: str
) -> None:
    async with fresh_database(backend, tmp_path) as db:
        customers = CustomerStore(db)
        for user in (1, 2, 3):
            await customers.register(user, username=None, first_name="C", language="en")
        store = BroadcastStore(db, AdminLog(db))
        link = BotLink()
        api = TelegramAPIServer.from_base(f"http://127.0.0.1:{free_port()}")
        bot = Bot("123456:TEST", session=AiohttpSession(api=api))
        link.attach(bot)
        shown = Shown()
        broadcaster = Broadcaster(store, link, shown)

        broadcast = await broadcaster.begin(900, (-100, 7), (-100, 8))
        assert broadcast is not None
        await asyncio.sleep(2.5)  # several attempts on the first customer, each refused
        assert await store.deliveries(broadcast.id) == {
            1: Delivery.SENDING,
            2: Delivery.PENDING,
            3: Delivery.PENDING,
        }
        assert await broadcaster.cancel(broadcast.id, 901)
        await broadcaster.stop()
        await link.close()
        await bot.session.close()

        assert set((await store.deliveries(broadcast.id)).values()) == {Delivery.PENDING}
        ended = await store.get(broadcast.id)
        assert ended is not None and ended.status == BroadcastStatus.CANCELLED
        # The operators saw it start, then end cancelled with nothing sent.
        assert shown.progress[0].broadcast.status == BroadcastStatus.RUNNING
        last = shown.progress[-1]
        assert last.broadcast.status == BroadcastStatus.CANCELLED and last.tally.sent == 0
