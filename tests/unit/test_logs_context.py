"""What a log line is about follows the asyncio task that works on it: each update handled by
aiogram names its own update and user, aiogram's own lines and the error handler's included; a
scheduled job's run names none, whoever scheduled it; an order is named while it is worked on."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Chat, ErrorEvent, Message, Update, User
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services import log_context
from bot.services.jobs import Runs, run_every
from bot.services.log_context import about_the_order, handling_update, on_its_own
from bot.telegram.update_log_ids import TagLogWithUpdate

log = logging.getLogger("shop.test")


class Heard(logging.Handler):
    """Each line logged, with the ids it was about where it was logged."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[str, str, dict[str, int | str]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.name, record.getMessage(), log_context.current()))

    def about(self, text: str) -> list[dict[str, int | str]]:
        return [about for _, message, about in self.lines if text in message]


@pytest.fixture
def heard() -> Iterator[Heard]:
    handler = Heard()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        with on_its_own():
            yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def text_update(update_id: int, user_id: int, text: str) -> Update:
    user = User(id=user_id, is_bot=False, first_name="Ann")
    chat = Chat(id=user_id, type="private")
    message = Message(
        message_id=update_id, date=datetime.now(UTC), chat=chat, from_user=user, text=text
    )
    return Update(update_id=update_id, message=message)


async def test_each_update_names_its_own_update_and_user(heard: Heard) -> None:
    dispatcher = Dispatcher()
    dispatcher.update.outer_middleware(TagLogWithUpdate())
    later: list[asyncio.Task[None]] = []

    async def sent_on() -> None:
        await asyncio.sleep(0.02)
        log.info("sent on after the handler returned")

    @dispatcher.message()
    async def on_text(message: Message) -> None:
        log.info("handling %s", message.text)
        await asyncio.sleep(0.01)  # the other update's handler runs meanwhile
        if message.text == "boom":
            raise RuntimeError("boom")
        later.append(asyncio.create_task(sent_on()))
        log.info("done with %s", message.text)

    @dispatcher.error()
    async def on_error(event: ErrorEvent) -> None:
        log.error("update %s failed", event.update.update_id)

    bot = Bot(token="42:TEST-not-used")  # no call reaches Telegram
    # As aiogram's polling does: a task of its own for each update.
    await asyncio.gather(
        asyncio.create_task(dispatcher.feed_update(bot, text_update(1, 100001, "hello"))),
        asyncio.create_task(dispatcher.feed_update(bot, text_update(2, 100002, "boom"))),
    )
    await asyncio.gather(*later)
    await bot.session.close()

    first, second = {"update_id": 1, "user_id": 100001}, {"update_id": 2, "user_id": 100002}
    assert heard.about("handling hello") == [first]
    assert heard.about("done with hello") == [first]
    assert heard.about("sent on after the handler returned") == [first]
    assert heard.about("handling boom") == [second]
    assert heard.about("update 2 failed") == [second]
    assert heard.about("Update id=1 is handled") == [first]  # aiogram's own line
    assert log_context.current() == {}  # the test's own task handled no update


async def test_a_job_run_names_no_update_whoever_scheduled_it(heard: Heard) -> None:
    ran = asyncio.Event()

    async def job() -> None:
        log.info("reconciling")
        ran.set()

    handling_update(5, 100005)  # the scheduler is started from an update's task
    scheduler = AsyncIOScheduler(timezone=UTC)
    run_every(scheduler, job, timedelta(hours=1), "reconcile-orders", runs=Runs.EVERYWHERE)
    scheduler.start()
    try:
        await asyncio.wait_for(ran.wait(), 5)
    finally:
        scheduler.shutdown(wait=False)
    assert heard.about("reconciling") == [{}]


class Orders:
    @about_the_order
    async def submit(self, order_id: str, *, watched: bool = False) -> str:
        log.info("submitting, watched: %s", watched)
        return order_id


async def test_an_order_is_named_while_it_is_worked_on(heard: Heard) -> None:
    handling_update(9, 100009)
    assert await Orders().submit("260102100000123456", watched=True) == "260102100000123456"
    log.info("answered")
    assert heard.about("submitting, watched: True") == [
        {"update_id": 9, "user_id": 100009, "order_id": "260102100000123456"}
    ]
    assert heard.about("answered") == [{"update_id": 9, "user_id": 100009}]
