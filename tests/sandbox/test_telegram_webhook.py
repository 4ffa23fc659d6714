"""The emulator's webhooks as Telegram runs them: setWebhook, getWebhookInfo and deleteWebhook
answered as Telegram answers them, each update posted to a receiver on 127.0.0.1 with the secret
header, retried after a failure, in order within a chat, and the Bot API call in an answer carried
out."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramConflictError
from aiogram.methods import SendDocument, SendMessage
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from sandbox.server import SimulatorServer, free_port
from sandbox.telegram import TelegramEmulator, WebhookTiming
from tests.sandbox.conftest import TOKEN
from tests.sandbox.webhook_receiver import PATH, Receiver, Reply

ALICE, BOB = 7101, 7102
SECRET = "s3cret_-TOKEN"


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    webhook = Receiver()
    await webhook.start()
    yield webhook
    await webhook.stop()


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession, emulator: TelegramEmulator, method: str, **params: Any
) -> dict[str, Any]:
    """A Bot API call as Telegram answers it: the whole JSON body."""
    async with http.post(f"{emulator.base_url}/bot{TOKEN}/{method}", json=params) as response:
        body: dict[str, Any] = await response.json()
        return body


async def info(http: aiohttp.ClientSession, emulator: TelegramEmulator) -> dict[str, Any]:
    answer = await call(http, emulator, "getWebhookInfo")
    assert answer["ok"] is True
    result: dict[str, Any] = answer["result"]
    return result


async def until(condition: Any, what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        await asyncio.sleep(0.01)


def dead_url() -> str:
    """A webhook URL on a port nothing listens on."""
    return f"http://127.0.0.1:{free_port()}{PATH}"


# -- setWebhook, getWebhookInfo, deleteWebhook ---------------------------------------------------


async def test_set_info_and_delete_are_answered_as_telegram_answers_them(
    emulator: TelegramEmulator, bot: Bot, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    assert await info(http, emulator) == {
        "url": "",
        "has_custom_certificate": False,
        "pending_update_count": 0,
    }

    url = receiver.url
    assert await call(http, emulator, "setWebhook", url=url, secret_token=SECRET) == {
        "ok": True,
        "result": True,
        "description": "Webhook was set",
    }
    again = await call(http, emulator, "setWebhook", url=url, secret_token=SECRET)
    assert again["description"] == "Webhook is already set"
    assert await info(http, emulator) == {
        "url": url,
        "has_custom_certificate": False,
        "pending_update_count": 0,
        "ip_address": "127.0.0.1",
        "max_connections": 40,
    }

    changed = await call(
        http,
        emulator,
        "setWebhook",
        url=url,
        secret_token=SECRET,
        max_connections=500,
        allowed_updates=["message", "callback_query"],
    )
    assert changed["description"] == "Webhook was set"
    seen = await bot.get_webhook_info()  # aiogram reads it as its WebhookInfo
    assert (seen.url, seen.max_connections, seen.allowed_updates, seen.ip_address) == (
        url,
        100,  # Telegram clamps it to 1..100
        ["message", "callback_query"],
        "127.0.0.1",
    )
    assert seen.last_error_message is None and seen.last_error_date is None

    assert (await call(http, emulator, "deleteWebhook"))["description"] == "Webhook was deleted"
    gone = await call(http, emulator, "deleteWebhook")
    assert gone == {"ok": True, "result": True, "description": "Webhook is already deleted"}
    emptied = await call(http, emulator, "setWebhook", url="")
    assert emptied["description"] == "Webhook is already deleted"
    assert await info(http, emulator) == {
        "url": "",
        "has_custom_certificate": False,
        "pending_update_count": 0,
    }
    assert await bot.set_webhook(url) is True
    assert await bot.delete_webhook() is True


async def test_get_updates_is_refused_while_a_webhook_is_set(
    emulator: TelegramEmulator, bot: Bot, http: aiohttp.ClientSession
) -> None:
    alice = emulator.private_chat(ALICE, "Alice")
    polling = asyncio.create_task(bot.get_updates(timeout=20))
    await until(lambda: emulator.bot().get_updates_calls == 1, "the long poll is waiting")

    await bot.set_webhook(dead_url())

    with pytest.raises(TelegramConflictError, match="terminated by setWebhook request"):
        await polling
    refused = await call(http, emulator, "getUpdates")
    assert refused == {
        "ok": False,
        "error_code": 409,
        "description": "Conflict: can't use getUpdates method while webhook is active; use "
        "deleteWebhook to delete the webhook first",
    }
    with pytest.raises(TelegramConflictError):
        await bot.get_updates()

    await alice.send("sent while the webhook was down")
    await until(lambda: emulator.bot().webhook.last_error_message is not None, "a failure")
    await bot.delete_webhook()
    updates = await bot.get_updates(timeout=1)
    assert [u.message.text for u in updates if u.message] == ["sent while the webhook was down"]


async def test_a_url_or_secret_telegram_refuses_changes_nothing(
    emulator: TelegramEmulator, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    alice = emulator.private_chat(ALICE, "Alice")
    await call(http, emulator, "setWebhook", url=receiver.url, secret_token=SECRET)

    refusals = {
        "secret token contains unallowed characters": {"secret_token": "has space"},
        "secret token is too long": {"secret_token": "a" * 257},
        "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443": {
            "url": "https://127.0.0.1:9443/hook"
        },
        "invalid webhook URL specified": {"url": "ftp://127.0.0.1/hook"},
    }
    for reason, params in refusals.items():
        answer = await call(
            http, emulator, "setWebhook", **{"url": dead_url(), "max_connections": 3, **params}
        )
        assert answer == {"ok": False, "error_code": 400, "description": f"Bad Request: {reason}"}
    outside = await call(http, emulator, "setWebhook", url="https://shop.example.com/hook")
    assert outside["error_code"] == 400 and "127.0.0.1" in outside["description"]
    longest = await call(http, emulator, "setWebhook", url=receiver.url, secret_token="a" * 256)
    assert longest["ok"] is True

    now = await info(http, emulator)
    assert (now["url"], now["max_connections"]) == (receiver.url, 40)
    await alice.send("hello")
    await emulator.bot().wait_until_delivered()
    assert [post.secret for post in receiver.posts] == ["a" * 256]


# -- delivery ------------------------------------------------------------------------------------


async def test_each_update_is_posted_as_json_with_the_secret_header(
    emulator: TelegramEmulator, bot: Bot, receiver: Receiver
) -> None:
    alice = emulator.private_chat(ALICE, "Alice", "alice", "en")
    await bot.set_webhook(receiver.url, secret_token=SECRET)

    sent = await alice.send("hello")
    await emulator.bot().wait_until_delivered()

    [post] = receiver.posts
    assert (post.secret, post.content_type) == (SECRET, "application/json")
    assert post.update["update_id"] == 1
    message = post.update["message"]
    assert (message["message_id"], message["text"], message["from"]["id"]) == (
        sent.message_id,
        "hello",
        ALICE,
    )
    assert emulator.bot().webhook.deliveries == {1: 1}
    webhook = await bot.get_webhook_info()
    assert (webhook.pending_update_count, webhook.last_error_message) == (0, None)

    await bot.set_webhook(receiver.url)  # no secret: no header
    await alice.send("again")
    await emulator.bot().wait_until_delivered()
    assert [(p.text, p.secret) for p in receiver.posts] == [("hello", SECRET), ("again", None)]


async def test_allowed_updates_filter_what_is_delivered_and_stay_until_changed(
    emulator: TelegramEmulator, bot: Bot, receiver: Receiver
) -> None:
    alice = emulator.private_chat(ALICE, "Alice")
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Wallet", callback_data="wallet")]]
    )
    await bot.send_message(ALICE, "menu", reply_markup=keyboard)
    await bot.set_webhook(receiver.url, allowed_updates=["callback_query"])

    await alice.send("not for this bot")
    await alice.press("Wallet")
    await bot.set_webhook(receiver.url, secret_token=SECRET)  # allowed_updates left out: kept
    await alice.send("still not")
    await alice.press("Wallet")
    await emulator.bot().wait_until_delivered()

    kinds = [next(k for k in post.update if k != "update_id") for post in receiver.posts]
    assert kinds == ["callback_query", "callback_query"]
    assert (await bot.get_webhook_info()).allowed_updates == ["callback_query"]

    # The same setting filters getUpdates, until getUpdates gives another.
    await bot.delete_webhook()
    await alice.send("polled, filtered")
    assert await bot.get_updates(timeout=0) == []
    everything = await bot.get_updates(timeout=0, allowed_updates=[])
    assert everything == []
    await alice.send("polled")
    polled = await bot.get_updates(timeout=1)
    assert [u.message.text for u in polled if u.message] == ["polled"]


async def test_a_500_is_retried_and_recorded_until_the_webhook_takes_the_update(
    emulator: TelegramEmulator, bot: Bot, receiver: Receiver
) -> None:
    emulator.webhook_timing.retry_delay = 0.5
    alice = emulator.private_chat(ALICE, "Alice")
    receiver.replies(Reply(status=500), Reply(status=500))
    await bot.set_webhook(receiver.url)

    before = int(time.time())
    await alice.send("hello")
    # The first retry goes at once, as in Telegram; the next one after retry_delay.
    await until(lambda: len(receiver.posts) == 2, "the first post and its retry")
    failing = await bot.get_webhook_info()
    assert failing.pending_update_count == 1
    assert (
        failing.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    )
    assert failing.last_error_date is not None
    assert before <= failing.last_error_date.timestamp() <= time.time() + 1

    await emulator.bot().wait_until_delivered()
    assert receiver.update_ids() == [1, 1, 1]
    _, second, third = receiver.posts
    assert third.at - second.answered_at >= 0.45
    delivered = await bot.get_webhook_info()
    assert delivered.pending_update_count == 0
    # Telegram keeps the last error on record after the update got through.
    assert delivered.last_error_message == failing.last_error_message


async def test_a_retry_after_in_a_refusal_is_waited_for(
    emulator: TelegramEmulator, bot: Bot, receiver: Receiver
) -> None:
    alice = emulator.private_chat(ALICE, "Alice")
    receiver.replies(Reply(status=503, headers={"Retry-After": "1"}))
    await bot.set_webhook(receiver.url)

    await alice.send("later, please")
    await emulator.bot().wait_until_delivered()

    first, second = receiver.posts
    assert second.at - first.answered_at >= 0.95
    assert emulator.bot().webhook.last_error_message == (
        "Wrong response from the webhook: 503 Service Unavailable"
    )


async def test_no_answer_in_time_is_a_read_timeout_and_the_same_update_comes_again(
    emulator: TelegramEmulator, bot: Bot, receiver: Receiver
) -> None:
    emulator.webhook_timing = WebhookTiming(timeout=0.3)
    alice = emulator.private_chat(ALICE, "Alice")
    receiver.replies(Reply(delay=1.0))
    await bot.set_webhook(receiver.url)

    await alice.send("slow")
    await emulator.bot().wait_until_delivered()
    await until(lambda: len(receiver.posts) == 2, "the slow answer")

    assert receiver.update_ids() == [1, 1]
    assert emulator.bot().webhook.deliveries[1] == 2
    assert (await bot.get_webhook_info()).last_error_message == "Read timeout expired"


async def test_a_refused_connection_is_recorded_and_delivery_resumes_when_the_bot_is_back(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    port = free_port()
    await bot.set_webhook(f"http://127.0.0.1:{port}{PATH}")
    alice = emulator.private_chat(ALICE, "Alice")
    await alice.send("while the bot is down")
    account = emulator.bot()
    await until(lambda: account.webhook.last_error_message == "Connection refused", "refused")
    assert (await bot.get_webhook_info()).pending_update_count == 1
    assert account.webhook.deliveries[1] == 0 and account.fetched_up_to == 0

    back = Receiver()
    await back.start(port)
    try:
        await account.wait_until_delivered()
        assert [post.text for post in back.posts] == ["while the bot is down"]
        assert account.fetched_up_to == 1
    finally:
        await back.stop()


async def test_one_chat_goes_in_order_and_other_chats_in_parallel(
    emulator: TelegramEmulator, bot: Bot, receiver: Receiver
) -> None:
    emulator.webhook_timing.retry_delay = 0.2
    first_answers = {"a1": [Reply(status=500), Reply(delay=1.0)]}

    def reply(update: dict[str, Any]) -> Reply:
        queued = first_answers.get(update["message"]["text"], [])
        return queued.pop(0) if queued else Reply()

    receiver.reply = reply
    await bot.set_webhook(receiver.url)
    alice = emulator.private_chat(ALICE, "Alice")
    bob = emulator.private_chat(BOB, "Bob")

    await alice.send("a1")
    await alice.send("a2")
    await bob.send("b1")
    await emulator.bot().wait_until_delivered()

    posts = {(post.text, index): post for index, post in enumerate(receiver.posts)}
    a1_failed, a1_taken = sorted(
        (post for (text, _), post in posts.items() if text == "a1"), key=lambda p: p.at
    )
    [a2] = [post for (text, _), post in posts.items() if text == "a2"]
    [b1] = [post for (text, _), post in posts.items() if text == "b1"]
    assert a2.at >= a1_taken.answered_at  # a2 waited for a1, retried, to be taken
    assert b1.answered_at < a1_taken.answered_at  # Bob was not held up by Alice's chat
    assert [p.text for p in sorted(receiver.posts, key=lambda p: p.at)][-1] == "a2"
    assert a1_failed.update_id == a1_taken.update_id


async def test_a_press_does_not_wait_for_a_message_of_the_same_chat(
    emulator: TelegramEmulator, bot: Bot, receiver: Receiver
) -> None:
    """As in telegram-bot-api, a user's button presses queue apart from their chat's messages."""
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Cancel", callback_data="cancel")]]
    )
    alice = emulator.private_chat(ALICE, "Alice")
    await bot.send_message(ALICE, "menu", reply_markup=keyboard)
    receiver.reply = lambda update: Reply(delay=1.0) if "message" in update else Reply()
    await bot.set_webhook(receiver.url)

    await alice.send("/start")
    await alice.press("Cancel")
    await alice.send("/help")
    await emulator.bot().wait_until_delivered()

    start, help_ = (p for p in receiver.posts if "message" in p.update)
    [press] = [p for p in receiver.posts if "callback_query" in p.update]
    assert press.answered_at < start.answered_at
    assert help_.at >= start.answered_at


async def test_no_more_posts_in_flight_than_max_connections(
    emulator: TelegramEmulator, bot: Bot, receiver: Receiver
) -> None:
    receiver.reply = lambda update: Reply(delay=0.3)
    await bot.set_webhook(receiver.url, max_connections=2)

    for user_id in range(8001, 8007):
        await emulator.private_chat(user_id, "Customer").send("/start")
    await emulator.bot().wait_until_delivered()

    assert len(receiver.posts) == 6
    assert receiver.most_in_flight == 2


# -- methods in the answer -----------------------------------------------------------------------


async def test_a_method_in_the_answer_is_carried_out_and_a_bad_one_breaks_nothing(
    emulator: TelegramEmulator, bot: Bot, receiver: Receiver
) -> None:
    alice = emulator.private_chat(ALICE, "Alice")
    receiver.replies(
        Reply(
            json={
                "method": "sendMessage",
                "chat_id": ALICE,
                "text": "<b>from</b> the answer",
                "parse_mode": "HTML",
            }
        ),
        Reply(json={"method": "sendMessage", "chat_id": ALICE, "text": " "}),
        Reply(json={"method": "getMe"}),
        Reply(form={"method": "sendMessage", "chat_id": str(ALICE), "text": "as a form"}),
    )
    await bot.set_webhook(receiver.url)

    await alice.send("one")
    shown = await alice.wait_for_bot()
    assert (shown.text, shown.html) == ("from the answer", "<b>from</b> the answer")
    await alice.send("two")
    await alice.send("three")
    await alice.send("four")
    shown = await alice.wait_for_bot()
    await emulator.bot().wait_until_delivered()

    assert shown.text == "as a form"
    assert [m.text for m in alice.bot_messages] == ["from the answer", "as a form"]
    webhook = emulator.bot().webhook
    assert webhook.answered_calls == {"sendMessage": 3, "getMe": 1}
    assert [(e.update_id, e.method, e.description) for e in webhook.answer_errors] == [
        (2, "sendMessage", "Bad Request: message text is empty"),
        (3, "getMe", "getMe is not taken in a webhook answer"),
    ]
    assert receiver.update_ids() == [1, 2, 3, 4]  # each taken once: the answer's failure is silent
    assert (await bot.get_webhook_info()).last_error_message is None


@pytest.mark.parametrize("in_background", [False, True])
async def test_aiogram_webhook_handler_against_the_emulator(
    emulator: TelegramEmulator, bot: Bot, in_background: bool
) -> None:
    """aiogram's own request handler: with `handle_in_background=False` the handler's method goes
    back in the answer (a multipart form); in the background it is a call of its own."""
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> SendMessage | None:
        reply = message.answer(f"echo: {message.text}")
        if in_background:
            await reply
            return None
        return reply

    app = web.Application()
    SimpleRequestHandler(
        dispatcher, bot, secret_token=SECRET, handle_in_background=in_background
    ).register(app, path=PATH)
    setup_application(app, dispatcher, bot=bot)
    server = SimulatorServer(app)
    url = await server.start() + PATH
    alice = emulator.private_chat(ALICE, "Alice")
    try:
        await bot.set_webhook(url, secret_token=SECRET)
        await alice.send("ping")
        assert (await alice.wait_for_bot()).text == "echo: ping"
        await alice.settle()
        await emulator.bot().wait_until_delivered()
        answered = emulator.bot().webhook.answered_calls
        assert answered == ({} if in_background else {"sendMessage": 1})
        direct = emulator.bot().calls_over_http["sendMessage"]
        assert direct == (1 if in_background else 0)

        await bot.set_webhook(url, secret_token="not-the-bots-secret")
        await alice.send("forged")
        account = emulator.bot()
        await until(lambda: account.webhook.last_error_message is not None, "a refusal")
        assert account.webhook.last_error_message == (
            "Wrong response from the webhook: 401 Unauthorized"
        )
        assert (await bot.get_webhook_info()).pending_update_count == 1
        assert [m.text for m in alice.bot_messages] == ["echo: ping"]
    finally:
        await bot.delete_webhook()
        await server.stop()


async def test_a_file_sent_in_aiogram_answer_arrives_in_the_chat(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def send_file(message: Message) -> SendDocument:
        data = BufferedInputFile(b"login:password\n", filename="accounts.txt")
        return message.answer_document(data, caption="<b>Your accounts</b>", parse_mode="HTML")

    app = web.Application()
    SimpleRequestHandler(dispatcher, bot, handle_in_background=False).register(app, path=PATH)
    server = SimulatorServer(app)
    url = await server.start() + PATH
    alice = emulator.private_chat(ALICE, "Alice")
    try:
        await bot.set_webhook(url)
        await alice.send("my accounts")
        shown = await alice.wait_for_bot()
        assert shown.document is not None
        assert (shown.document.file_name, shown.document.data) == (
            "accounts.txt",
            b"login:password\n",
        )
        assert (shown.text, shown.html) == ("Your accounts", "<b>Your accounts</b>")
        assert emulator.bot().webhook.answered_calls == {"sendDocument": 1}
        assert emulator.bot().webhook.answer_errors == []
    finally:
        await bot.delete_webhook()
        await server.stop()


# -- dropping, replaying, losing answers, stopping ----------------------------------------------


async def test_drop_pending_updates_empties_the_queue(
    emulator: TelegramEmulator, bot: Bot, receiver: Receiver
) -> None:
    alice = emulator.private_chat(ALICE, "Alice")
    url = dead_url()
    await bot.set_webhook(url)
    for text in ("one", "two", "three"):
        await alice.send(text)
    assert (await bot.get_webhook_info()).pending_update_count == 3

    await bot.set_webhook(url, drop_pending_updates=True)
    assert (await bot.get_webhook_info()).pending_update_count == 0
    await alice.send("four")
    assert (await bot.get_webhook_info()).pending_update_count == 1
    await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).pending_update_count == 0

    await bot.set_webhook(receiver.url)
    await alice.send("five")
    await emulator.bot().wait_until_delivered()
    assert [post.text for post in receiver.posts] == ["five"]


async def test_a_replayed_update_comes_again_with_the_same_update_id(
    emulator: TelegramEmulator, bot: Bot, receiver: Receiver
) -> None:
    alice = emulator.private_chat(ALICE, "Alice")
    account = emulator.bot()
    await bot.set_webhook(receiver.url)
    await alice.send("pay")
    await account.wait_until_delivered()

    account.replay_update(1)
    await account.wait_until_delivered()

    assert receiver.update_ids() == [1, 1]
    assert receiver.posts[0].update == receiver.posts[1].update
    assert account.webhook.deliveries[1] == 2
    with pytest.raises(ValueError, match="never delivered"):
        account.replay_update(99)


async def test_a_lost_answer_makes_telegram_post_an_update_the_bot_handled_again(
    emulator: TelegramEmulator, bot: Bot, receiver: Receiver
) -> None:
    alice = emulator.private_chat(ALICE, "Alice")
    account = emulator.bot()
    receiver.reply = lambda update: Reply(
        json={"method": "sendMessage", "chat_id": ALICE, "text": "got it"}
    )
    await bot.set_webhook(receiver.url)

    account.webhook.lose_answers(1)
    await alice.send("top up")
    await account.wait_until_delivered()

    assert receiver.update_ids() == [1, 1]  # the bot handled it and answered, twice
    assert account.webhook.last_error_message == "Read timeout expired"
    assert [m.text for m in alice.bot_messages] == ["got it"]  # the lost answer did nothing
    with pytest.raises(ValueError):
        account.webhook.lose_answers(0)


async def test_stop_ends_delivery_and_leaves_nothing_running(receiver: Receiver) -> None:
    before = asyncio.all_tasks()
    emulator = TelegramEmulator()
    emulator.add_bot(token=TOKEN, username="emulated_bot")
    await emulator.start()
    account = emulator.bot()
    gate = asyncio.Event()
    receiver.reply = lambda update: Reply(gate=gate)  # stuck in flight until the gate opens
    async with aiohttp.ClientSession() as http:
        await call(http, emulator, "setWebhook", url=receiver.url)
        await emulator.private_chat(ALICE, "Alice").send("in flight")
        await until(lambda: receiver.in_flight == 1, "a post in flight")

        await emulator.stop()
    gate.set()  # the receiver's own handler of the abandoned post ends
    await until(lambda: receiver.in_flight == 0, "the receiver's handler ended")
    await asyncio.sleep(0.05)

    assert asyncio.all_tasks() - before == {asyncio.current_task()} - before
    assert account.updates and account.webhook.url == receiver.url  # kept for the next start

    receiver.reply = lambda update: Reply()
    await emulator.start()
    try:
        await account.wait_until_delivered()
        # The receiver answered the abandoned post too late; the update came again.
        assert receiver.update_ids() == [1, 1]
    finally:
        await emulator.stop()


# -- the driver routes ---------------------------------------------------------------------------


async def test_driver_routes_for_webhooks(
    emulator: TelegramEmulator, bot: Bot, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    base = f"{emulator.base_url}/_emulator/webhook"
    alice = emulator.private_chat(ALICE, "Alice")
    receiver.reply = lambda update: Reply(
        json={"method": "sendMessage", "chat_id": ALICE, "text": "hi"}
    )
    async with http.post(f"{base}/timing", json={"retry_delay": 0.05, "timeout": 2}) as r:
        assert await r.json() == {"timeout": 2.0, "retry_delay": 0.05, "max_retry_delay": 2.0}
    async with http.post(f"{base}/timing", json={"timeout": 0}) as r:
        assert r.status == 400
    await bot.set_webhook(receiver.url)

    async with http.post(f"{base}/lose_answers", json={"times": 1}) as r:
        assert (await r.json())["answers_to_lose"] == 1
    async with http.post(f"{base}/lose_answers", json={"times": 0}) as r:
        assert r.status == 400
    await alice.send("hello")
    async with http.get(f"{base}/wait", params={"timeout": "5"}) as r:
        waited = await r.json()
    assert waited["delivered"] is True and waited["pending"] == 0
    assert waited["deliveries"] == {"1": 2}
    assert waited["last_error_message"] == "Read timeout expired"

    foreign = {"Origin": "https://evil.example"}
    async with http.post(f"{base}/replay", json={"update_id": 1}, headers=foreign) as r:
        assert r.status == 403  # another site open in a browser cannot replay an update
    async with http.post(f"{base}/replay", json={"update_id": 1}) as r:
        assert await r.json() == {"update_id": 1}
    async with http.post(f"{base}/replay", json={"update_id": 42}) as r:
        assert r.status == 400
    async with http.get(f"{base}/wait", params={"timeout": "5"}) as r:
        assert (await r.json())["deliveries"] == {"1": 3}
    async with http.get(base) as r:
        now = await r.json()
    assert now["url"] == receiver.url
    assert now["answered_calls"] == {"sendMessage": 2}  # the lost answer's call never arrived
    assert now["calls_over_http"] == {"setWebhook": 1}  # the answered ones are not among them
    assert now["answer_errors"] == []
    assert [m.text for m in alice.bot_messages] == ["hi", "hi"]
