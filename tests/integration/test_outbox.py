"""The outbox against the Telegram emulator, over real HTTP with a real aiogram Bot: each message
goes out once, what Telegram did not take goes out later, and alerts go first."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest_asyncio
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from bot.services.news import Topic, alert_text
from bot.telegram.link import BotLink
from bot.telegram.outbox import Letter, Outbox
from sandbox.telegram import ChatDriver, ChatLimit, GroupDriver, TelegramEmulator
from storage.database import Database, as_stored
from storage.outbox import Entry
from tests.databases import fresh_database

TOKEN = "555111:OUTBOX-test"
GROUP = -100_777
CUSTOMER = 7_001


class Clock:
    """Real time (the emulator's limits run in it), which a test can move `ahead`."""

    def __init__(self) -> None:
        self.ahead = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.ahead


@dataclass
class Post:
    db: Database
    outbox: Outbox
    link: BotLink
    bot: Bot
    clock: Clock
    emulator: TelegramEmulator
    group: GroupDriver
    customer: ChatDriver

    def group_texts(self) -> list[str]:
        return [message.text for message in self.group.chat.bot_messages()]

    def customer_texts(self) -> list[str]:
        return [message.text for message in self.customer.bot_messages]

    async def alert(self, text: str) -> list[int]:
        async with self.db.write() as tx:
            return await self.outbox.to_operators(tx, Topic.ALERT, alert_text(text))

    async def question(self, text: str) -> list[int]:
        async with self.db.write() as tx:
            return await self.outbox.to_operators(tx, Topic.SUPPORT, text, about=str(CUSTOMER))

    async def credited(self, payment: int, *, screen: int | None = None) -> list[int]:
        async with self.db.write() as tx:
            return await self.outbox.to_customer(
                tx,
                CUSTOMER,
                Topic.DEPOSIT,
                str(payment),
                key=f"payment:{payment}:credited",
                screen=screen,
            )

    async def entry(self, entry_id: int) -> Entry:
        entry = await self.outbox.store.get(entry_id)
        assert entry is not None
        return entry


async def credited_letters(entry: Entry) -> list[Letter]:
    """The customer's news of a payment, as the test's renderer words it."""
    return [Letter(f"payment {entry.about} credited")]


@pytest_asyncio.fixture
async def post(tmp_path: Path, backend: str) -> AsyncIterator[Post]:
    emulator = TelegramEmulator()
    emulator.add_bot(token=TOKEN, username="outbox_bot")
    await emulator.start()
    group = emulator.group(GROUP, "Operators")
    customer = emulator.private_chat(CUSTOMER, "Alice")
    session = AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))
    bot = Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    clock = Clock()
    async with fresh_database(backend, tmp_path) as db:
        link = BotLink()
        link.attach(bot)
        outbox = Outbox(db, GROUP, link, {Topic.DEPOSIT: credited_letters}, clock=clock)
        try:
            yield Post(db, outbox, link, bot, clock, emulator, group, customer)
        finally:
            await outbox.close()
            await link.close()
            await bot.session.close()
            await emulator.stop()


async def test_a_message_is_sent_once_however_often_it_is_sent(post: Post) -> None:
    alert = await post.alert("upstream <b>down</b> & out")
    news = await post.credited(41)
    assert await post.credited(41) == []  # the same news recorded again is the same message
    await post.outbox.send_now([*alert, *news])
    await post.outbox.send_now([*alert, *news])
    assert await post.outbox.send_due() == 0
    assert post.group_texts() == ["⚠️ upstream <b>down</b> & out"]  # escaped: shown as written
    assert post.customer_texts() == ["payment 41 credited"]
    assert await post.outbox.store.waiting() == []
    assert (await post.entry(alert[0])).sent_at is not None


async def test_a_message_telegram_did_not_take_is_sent_again_after_a_pause(post: Post) -> None:
    held = post.emulator.hold("sendMessage", text_contains="payment 42")
    news = await post.credited(42)
    sending = asyncio.create_task(post.outbox.send_now(news))
    await asyncio.wait_for(held.reached.wait(), 5)
    held.drop()  # a gateway's error page: nothing was shown
    await sending
    waiting = await post.entry(news[0])
    assert (waiting.sent_at, waiting.attempts) == (None, 1)
    assert "ClientDecodeError" in waiting.last_error
    assert waiting.not_before > as_stored(post.clock())  # a pause, growing with attempts

    assert await post.outbox.send_due() == 0  # not before its pause
    post.clock.ahead += timedelta(seconds=2)
    assert await post.outbox.send_due() == 1
    assert await post.outbox.send_due() == 0
    assert post.customer_texts() == ["payment 42 credited"]
    assert (await post.entry(news[0])).sent_at is not None


async def test_alerts_go_first_when_telegram_holds_the_group_back(post: Post) -> None:
    post.emulator.group_limit = ChatLimit(messages=2, seconds=1.0)
    for number in range(3):
        await post.outbox.send_now(await post.question(f"question {number}"))
    assert post.group_texts() == ["question 0", "question 1"]  # the third got a 429
    assert post.group.chat.flood_refusals == 1
    alert = await post.alert("recharge failed")
    await post.outbox.send_now(alert)  # the group is held back: not even tried
    await post.outbox.send_now(await post.question("question 3"))
    assert post.group.chat.flood_refusals == 1

    while len(post.group_texts()) < 5:  # the job, as often as OUTBOX_RETRY_SECONDS
        await asyncio.sleep(0.2)
        await post.outbox.send_due()
    assert post.group_texts() == [
        "question 0",
        "question 1",
        "⚠️ recharge failed",
        "question 2",
        "question 3",
    ]
    assert await post.outbox.store.waiting() == []


async def test_the_news_edits_its_screen_or_comes_as_a_message_of_its_own(post: Post) -> None:
    bot = post.bot
    screen = await bot.send_message(CUSTOMER, "⏳ Processing…")
    await post.outbox.send_now(await post.credited(43, screen=screen.message_id))
    await post.outbox.send_now(await post.credited(44, screen=9_999))  # no such message
    assert post.customer_texts() == ["payment 43 credited", "payment 44 credited"]
    assert post.customer.chat.messages[screen.message_id].edited
    # The screen shows it already (the answer to an edit was lost): that is no failure.
    await bot.edit_message_text(
        "payment 45 credited", chat_id=CUSTOMER, message_id=screen.message_id
    )
    await post.outbox.send_now(await post.credited(45, screen=screen.message_id))
    assert post.customer_texts() == ["payment 45 credited", "payment 44 credited"]
    assert await post.outbox.store.waiting() == []


async def test_a_customer_who_blocked_the_bot_is_given_up_the_operators_never(
    post: Post,
) -> None:
    post.customer.block_bot()
    news = await post.credited(46)
    await post.outbox.send_now(news)
    given_up = await post.entry(news[0])
    assert given_up.given_up_at is not None and "blocked" in given_up.last_error
    post.customer.unblock_bot()
    post.clock.ahead += timedelta(hours=1)
    assert await post.outbox.send_due() == 0
    assert post.customer_texts() == []

    gone = Outbox(post.db, -100_404, post.link, clock=post.clock)  # a group the bot is not in
    async with post.db.write() as tx:
        alert = await gone.to_operators(tx, Topic.ALERT, alert_text("nobody there"))
    await gone.send_now(alert)
    waiting = await post.entry(alert[0])
    assert waiting.given_up_at is None and "chat not found" in waiting.last_error
    assert waiting.not_before > as_stored(post.clock() + timedelta(minutes=9))


async def test_a_message_in_parts_sends_each_part_once(post: Post) -> None:
    async def with_goods(entry: Entry) -> list[Letter]:
        return [Letter("Done!"), Letter("your accounts", document=("accounts.txt", b"a:b"))]

    post.outbox.renderers[Topic.ORDER] = with_goods
    async with post.db.write() as tx:
        news = await post.outbox.to_customer(tx, CUSTOMER, Topic.ORDER, "O1", key="order:O1")
    held = post.emulator.hold("sendDocument")
    sending = asyncio.create_task(post.outbox.send_now(news))
    await asyncio.wait_for(held.reached.wait(), 5)
    held.drop()
    await sending
    assert (await post.entry(news[0])).parts_sent == 1
    post.clock.ahead += timedelta(seconds=2)
    assert await post.outbox.send_due() == 1
    shown = post.customer.bot_messages
    assert [(m.text, m.document is not None) for m in shown] == [
        ("Done!", False),
        ("your accounts", True),
    ]


async def test_an_alert_that_cannot_be_recorded_still_reaches_the_operators(post: Post) -> None:
    await post.db.close()  # the database is in trouble: what the alert may well be about
    await post.outbox.tell_operators(Topic.ALERT, alert_text("the database <fails>"))
    assert post.group_texts() == ["⚠️ the database <fails>"]


async def test_messages_that_never_go_out_hold_back_only_their_own_chat(post: Post) -> None:
    """Alerts whose wording fails every time (a bug, a record gone) sort first; the customer's
    news behind them still goes out on the next run."""

    async def broken(entry: Entry) -> list[Letter]:
        raise LookupError(f"order {entry.about} is gone")

    post.outbox.renderers[Topic.ORDER_ALERT] = broken
    async with post.db.write() as tx:
        for number in range(20):
            await post.outbox.to_operators(tx, Topic.ORDER_ALERT, "x", about=f"O{number}")
    news = await post.credited(47)
    assert await post.outbox.send_due() == 1
    assert post.customer_texts() == ["payment 47 credited"]
    assert (await post.entry(news[0])).sent_at is not None
    stuck = await post.outbox.store.waiting()
    assert len(stuck) == 20 and all(entry.topic == Topic.ORDER_ALERT for entry in stuck)


async def test_an_alert_telegram_refuses_as_it_is_reaches_the_operators_as_plain_text(
    post: Post,
) -> None:
    async with post.db.write() as tx:
        alert = await post.outbox.to_operators(tx, Topic.ALERT, "⚠️ order <b>O9 failed")
    await post.outbox.send_now(alert)
    assert post.group_texts() == ["⚠️ order <b>O9 failed"]  # its HTML was broken: shown as typed
    assert (await post.entry(alert[0])).sent_at is not None
