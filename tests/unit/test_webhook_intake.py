"""The webhook's request handler over real HTTP: the secret, the shop not yet (or no longer)
taking updates, a failing handler, an update posted twice, a method sent back in the answer."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiogram import Bot
from aiogram.methods import SendMessage
from aiogram.types import Message, Update
from aiohttp import web
from yarl import URL

from bot.services.config import Webhook
from bot.telegram.intake import ShopDispatcher
from bot.wiring.webhook.intake import SECRET_HEADER, WebhookIntake, _RequestHandler
from bot.wiring.webhook.once import HandledOnce
from sandbox.server import free_port
from storage.sqlite import SqliteDatabase
from storage.webhook_updates import HandledUpdates

SECRET = "unit-test_secret"
PATH = "/telegram/webhook"


@dataclass
class Served:
    url: str
    intake: WebhookIntake
    seen: list[str] = field(default_factory=list)  # texts the handler was given
    go_on: asyncio.Event = field(default_factory=asyncio.Event)  # lets "wait" handlers end
    two_waiting: asyncio.Event = field(default_factory=asyncio.Event)


def _update(update_id: int, text: str, chat_id: int = 5) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Ann"},
            "text": text,
        },
    }


@pytest_asyncio.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    async with SqliteDatabase(tmp_path / "shop.sqlite3") as db:
        bot = Bot(token="42:TEST")  # no Bot API call is made
        dispatcher = ShopDispatcher(finish_within=1)
        once = HandledOnce(HandledUpdates(db))
        await once.open()
        webhook = Webhook(
            url="http://x" + PATH, path=PATH, secret=SECRET, drop_pending_updates=False
        )
        intake = WebhookIntake(bot, webhook, once, updates_in_flight=2)
        port = free_port()
        served = Served(f"http://127.0.0.1:{port}{PATH}", intake)

        async def handler(message: Message) -> SendMessage | None:
            text = message.text or ""
            served.seen.append(text)
            if text == "fail":
                raise RuntimeError("a bug in a handler")
            if text == "answer":
                return SendMessage(chat_id=message.chat.id, text="sent back in the answer")
            if text == "wait":
                if served.seen.count("wait") == 2:
                    served.two_waiting.set()
                await served.go_on.wait()
            await asyncio.sleep(0.05)
            return None

        dispatcher.message.register(handler)
        app = web.Application()
        app.add_routes(intake.routes(dispatcher))
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        intake.accepting = True
        try:
            yield served
        finally:
            await runner.cleanup()
            await once.close()
            await bot.session.close()


async def _post(url: str, update: dict[str, Any], secret: str | None = SECRET) -> tuple[int, str]:
    headers = {} if secret is None else {SECRET_HEADER: secret}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=update, headers=headers) as answer,
    ):
        return answer.status, await answer.text()


async def test_without_the_secret_nothing_is_handled(served: Served) -> None:
    for secret in (None, "", "wrong", SECRET + "-"):
        status, _ = await _post(served.url, _update(1, "hello"), secret)
        assert status == 401
    assert served.seen == []
    assert await _post(served.url, _update(1, "hello")) == (200, "{}")
    assert served.seen == ["hello"]


async def test_while_not_taking_updates_telegram_is_told_to_come_back(served: Served) -> None:
    served.intake.accepting = False
    status, _ = await _post(served.url, _update(1, "hello"))
    assert status == 503
    assert served.seen == []


async def test_a_failing_handler_still_answers_200(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    assert await _post(served.url, _update(1, "fail")) == (200, "{}")
    assert "update 1 failed" in caplog.text
    assert served.seen == ["fail"]
    assert await _post(served.url, _update(1, "fail")) == (200, "{}")  # not handled again
    assert served.seen == ["fail"]


async def test_an_update_posted_twice_at_once_is_handled_once(served: Served) -> None:
    answers = await asyncio.gather(*(_post(served.url, _update(3, "once")) for _ in range(3)))
    assert answers == [(200, "{}")] * 3
    assert served.seen == ["once"]


async def test_a_method_a_handler_returns_goes_back_in_the_answer(served: Served) -> None:
    status, body = await _post(served.url, _update(4, "answer"))
    assert status == 200
    assert 'name="method"' in body and "sendMessage" in body
    assert "sent back in the answer" in body


async def test_a_body_that_is_no_update_is_let_go(served: Served) -> None:
    status, _ = await _post(served.url, {"not": "an update"})
    assert status == 200
    assert served.seen == []


async def test_past_updates_in_flight_telegram_is_told_to_come_back(served: Served) -> None:
    """UPDATES_IN_FLIGHT (2 here) in hand: the next is refused and waits at Telegram."""
    waiting = [
        asyncio.create_task(_post(served.url, _update(10 + chat, "wait", chat_id=chat)))
        for chat in (1, 2)
    ]
    await served.two_waiting.wait()
    status, _ = await _post(served.url, _update(20, "hello", chat_id=3))
    assert status == 503
    served.go_on.set()
    assert [await answer for answer in waiting] == [(200, "{}")] * 2
    assert await _post(served.url, _update(20, "hello", chat_id=3)) == (200, "{}")
    assert served.seen == ["wait", "wait", "hello"]


async def _post_raw_secret(url: str, secret: bytes) -> bytes:
    """A request whose secret header carries raw bytes (no HTTP client sends those): the status
    line of the answer."""
    parsed = URL(url)
    body = json.dumps(_update(30, "hello")).encode()
    reader, writer = await asyncio.open_connection(parsed.host, parsed.port)
    writer.write(
        b"POST " + parsed.path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nConnection: close\r\n"
        + SECRET_HEADER.encode()
        + b": "
        + secret
        + b"\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )
    await writer.drain()
    status = await reader.readline()
    writer.close()
    await writer.wait_closed()
    return status.strip()


async def test_a_secret_of_other_than_ascii_is_refused_in_one_line(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    """Compared as text, `café` made the comparison raise: a 500 and a traceback each time."""
    with caplog.at_level(logging.WARNING):
        for secret in (b"caf\xc3\xa9", b"\xff\xfe", SECRET.encode() + b"\xc3\xa9"):
            assert await _post_raw_secret(served.url, secret) == b"HTTP/1.1 401 Unauthorized"
    assert served.seen == []
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 1 and lines[0].startswith("refused a webhook request from 127.0.0.1")
    assert not [record for record in caplog.records if record.exc_info]


async def test_a_stop_in_the_turn_an_update_is_taken_lets_it_finish(tmp_path: Path) -> None:
    """The update counts as in hand from the moment its request hands it over, not from when
    its handler first runs: a SIGTERM in between still gives it its time to finish."""
    finished: list[str] = []
    dispatcher = ShopDispatcher(finish_within=5)

    async def handler(message: Message) -> None:
        await asyncio.sleep(0.2)
        finished.append(message.text or "")

    dispatcher.message.register(handler)
    bot = Bot(token="42:TEST")
    webhook = Webhook(url="http://x" + PATH, path=PATH, secret=SECRET, drop_pending_updates=False)
    async with SqliteDatabase(tmp_path / "shop.sqlite3") as db:
        intake = WebhookIntake(bot, webhook, HandledOnce(HandledUpdates(db)), updates_in_flight=2)
        request_handler = _RequestHandler(dispatcher, intake)
        update = Update.model_validate(_update(40, "in hand"), context={"bot": bot})
        request = asyncio.ensure_future(request_handler._feed(update))
        await asyncio.sleep(0)  # the request handed the update over; its handler has not run
        assert len(dispatcher.in_hand) == 1  # what a stop reads to know it must wait
        await dispatcher.emit_shutdown()  # the stop, in the same turn of the loop
        assert finished == ["in hand"]
        assert await request is None
    await bot.session.close()
