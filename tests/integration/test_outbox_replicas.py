"""Two shop processes ("replicas") sending one outbox on one PostgreSQL database, each with its
own bot against the Telegram emulator: every message reaches its chat once."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest_asyncio
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.services.news import Topic
from bot.telegram.link import BotLink
from bot.telegram.outbox import Letter, Outbox
from sandbox.telegram import ChatDriver, TelegramEmulator
from storage.database import Database
from storage.outbox import Entry
from tests.databases import fresh_database

TOKEN = "555222:OUTBOX-replicas"
CUSTOMERS = [7_101, 7_102, 7_103, 7_104, 7_105]


async def credited_letters(entry: Entry) -> list[Letter]:
    return [Letter(f"payment {entry.about} credited")]


@dataclass
class Replicas:
    db: Database
    senders: list[Outbox]
    emulator: TelegramEmulator
    chats: dict[int, ChatDriver]

    async def record(self, customer: int, payment: int) -> list[int]:
        async with self.db.write() as tx:
            return await self.senders[0].to_customer(
                tx, customer, Topic.DEPOSIT, str(payment), key=f"payment:{payment}:credited"
            )

    def texts(self, customer: int) -> list[str]:
        return [message.text for message in self.chats[customer].bot_messages]


@pytest_asyncio.fixture
async def replicas(tmp_path: Path) -> AsyncIterator[Replicas]:
    emulator = TelegramEmulator()
    emulator.add_bot(token=TOKEN, username="replicas_bot")
    await emulator.start()
    chats = {user: emulator.private_chat(user, f"customer {user}") for user in CUSTOMERS}
    links: list[BotLink] = []
    async with fresh_database("postgresql", tmp_path) as db:
        senders = []
        for _ in range(2):
            bot = Bot(
                TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))
            )
            link = BotLink()
            link.attach(bot)
            links.append(link)
            senders.append(Outbox(db, None, link, {Topic.DEPOSIT: credited_letters}))
        try:
            yield Replicas(db, senders, emulator, chats)
        finally:
            for sender in senders:
                await sender.close()
            for link in links:
                await link.close()
            await emulator.stop()


async def test_two_senders_draining_one_outbox_send_each_message_once(replicas: Replicas) -> None:
    recorded: list[int] = []
    for n in range(40):
        recorded += await replicas.record(CUSTOMERS[n % len(CUSTOMERS)], 1000 + n)
    one, two = replicas.senders
    # Both jobs at once, and both processes sending what they just recorded, at once.
    await asyncio.gather(
        one.send_due(), two.send_due(), one.send_now(recorded), two.send_now(recorded)
    )
    await asyncio.gather(one.send_due(), two.send_due())
    for n, customer in enumerate(CUSTOMERS):
        expected = [f"payment {1000 + m} credited" for m in range(n, 40, len(CUSTOMERS))]
        assert sorted(replicas.texts(customer)) == sorted(expected)
    assert await one.store.waiting() == []


async def test_a_message_one_replica_is_sending_is_left_alone_by_the_other(
    replicas: Replicas,
) -> None:
    news = await replicas.record(CUSTOMERS[0], 2001)
    one, two = replicas.senders
    held = replicas.emulator.hold("sendMessage", text_contains="payment 2001")
    sending = asyncio.create_task(one.send_now(news))
    await asyncio.wait_for(held.reached.wait(), 5)
    # Telegram has not answered the first sender yet: the other finds it claimed.
    assert await two.send_due() == 0
    await two.send_now(news)
    held.release()
    await sending
    assert replicas.texts(CUSTOMERS[0]) == ["payment 2001 credited"]
    sent = await one.store.get(news[0])
    assert sent is not None and sent.sent_at is not None


async def test_a_killed_replicas_messages_go_out_from_another_at_once(replicas: Replicas) -> None:
    """A replica killed mid-send leaves its claims behind; a replica on the same machine sees
    that process is gone and sends its messages now, not when the claims run out. A live
    process's claim is still left alone."""
    ended = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await ended.wait()  # its pid names no process now
    here = socket.gethostname()
    killed = await replicas.record(CUSTOMERS[0], 3001)
    living = await replicas.record(CUSTOMERS[1], 3002)
    one, two = replicas.senders
    assert await one.store.claim(killed[0], f"{here}:{ended.pid}:dead", 120) is not None
    assert await one.store.claim(living[0], f"{here}:{os.getppid()}:busy", 120) is not None
    assert await two.send_due() == 1
    assert replicas.texts(CUSTOMERS[0]) == ["payment 3001 credited"]
    assert replicas.texts(CUSTOMERS[1]) == []  # its sender lives: it is still that sender's
