"""Posting a bot's pending updates to its webhook, as Telegram does.

While a bot has a webhook URL, each pending update is POSTed to it as JSON, one update per request,
with `X-Telegram-Bot-Api-Secret-Token` when a secret was set, and at most `max_connections`
requests in flight. An update leaves the queue only on a 2xx answer. Anything else (another
status, a refused connection, no answer within `WebhookTiming.timeout`) is recorded in the words
`getWebhookInfo` uses and the update is posted again: at once after its first failure, then
after a delay that doubles with each failure, or after the answer's `Retry-After` seconds; a
refused connection pauses all posts the same way. The updates of one chat go one at a time, in
order: the next waits until the one before was answered with a 2xx; other chats go in parallel.
As in telegram-bot-api, a user's button presses (and, apart, their pre-checkout queries) form
queues of their own beside their chat's messages.

A 2xx answer may carry a Bot API call (`{"method": "sendMessage", ...}` as JSON, a form or
multipart form): it is carried out as if the bot had sent it to `/bot{token}/{method}`, nobody
sees its result, and a failure is only recorded (`Webhook.answer_errors`), since Telegram drops it
silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import aiohttp

from sandbox.telegram.state import BotAccount
from sandbox.telegram.webhook import MAX_CONNECTIONS, AnswerError, WebhookTiming

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
READ_TIMEOUT = "Read timeout expired"
MAX_RETRY_AFTER = 3600

# Carries out a method from a webhook answer; returns why it failed, or None.
AnswerCall = Callable[[BotAccount, str, dict[str, Any]], Awaitable[str | None]]


def not_taken_in_answers(method: str) -> bool:
    """Methods Telegram ignores in a webhook answer: every get*, and the webhook's own."""
    name = method.lower()
    return name.startswith("get") or name in {"setwebhook", "deletewebhook", "close", "logout"}


def queue_of(update: dict[str, Any]) -> tuple[str, int]:
    """Which queue an update waits in, as telegram-bot-api keys them: a chat's messages share
    one; a user's button presses have another, and their pre-checkout queries a third."""
    message = update.get("message") or update.get("edited_message")
    if isinstance(message, dict):
        return ("chat", int(message["chat"]["id"]))
    for kind in ("callback_query", "pre_checkout_query"):
        if kind in update:
            return (kind, int(update[kind]["from"]["id"]))
    return ("update", int(update["update_id"]))


async def read_answer(response: aiohttp.ClientResponse) -> dict[str, Any]:
    """The parameters in a webhook's answer (JSON, form or multipart form); files as
    `(filename, bytes, content_type)`, as the Bot API routes read them."""
    kind = response.content_type
    if kind == "application/json":
        try:
            body = json.loads(await response.read())
        except (ValueError, UnicodeDecodeError):
            return {}
        return body if isinstance(body, dict) else {}
    if kind == "application/x-www-form-urlencoded":
        return dict(parse_qsl((await response.read()).decode("utf-8", "replace")))
    if kind.startswith("multipart/"):
        params: dict[str, Any] = {}
        reader = aiohttp.MultipartReader.from_response(response)
        while (part := await reader.next()) is not None:
            if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                continue
            data = bytes(await part.read(decode=True))
            if part.filename is not None:
                content_type = part.headers.get(aiohttp.hdrs.CONTENT_TYPE, "")
                params[part.name] = (part.filename, data, content_type)
            else:
                params[part.name] = data.decode(part.get_charset("utf-8"))
        return params
    return {}


def _retry_after(header: str | None) -> float | None:
    """A `Retry-After` in whole seconds, as telegram-bot-api reads it (at most an hour)."""
    if header is None or not header.strip().isdigit():
        return None
    seconds = int(header.strip())
    return float(min(seconds, MAX_RETRY_AFTER)) if seconds > 0 else None


def connection_error(error: aiohttp.ClientConnectorError) -> str:
    if isinstance(error.os_error, ConnectionRefusedError):
        return "Connection refused"
    return error.os_error.strerror or "Connection failed"


class WebhookDelivery:
    """Posts one bot's pending updates to its webhook until stopped."""

    def __init__(self, bot: BotAccount, owner: WebhookDeliveries) -> None:
        self.bot = bot
        self._owner = owner  # its timing, read at each use, and how to carry out an answer
        self._posting: dict[int, asyncio.Task[None]] = {}  # by update_id
        self._retry_at: dict[int, float] = {}  # updates that failed: when to post them again
        self._failures: dict[int, int] = {}
        self._paused_until = 0.0  # after a refused connection, nothing is posted until then
        self._refusals = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop posting; posts in flight are abandoned (their updates stay pending)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait([task])  # its CancelledError stays in it; the caller's does not

    async def _run(self) -> None:
        connector = aiohttp.TCPConnector(limit=MAX_CONNECTIONS, ssl=False)
        async with aiohttp.ClientSession(connector=connector) as session:
            try:
                while True:
                    self.bot.pending_changed.clear()
                    wait = self._post_ready(session)
                    # asyncio.timeout, not wait_for: wait_for may swallow the cancel of `stop`.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(wait):
                            await self.bot.pending_changed.wait()
            finally:
                for posting in self._posting.values():
                    posting.cancel()
                await asyncio.gather(*self._posting.values(), return_exceptions=True)
                self._posting.clear()

    def _post_ready(self, session: aiohttp.ClientSession) -> float | None:
        """Start posting every update that may go now; returns the seconds until the next one
        waiting for a retry may go (None: wait for a change)."""
        now = time.monotonic()
        if now < self._paused_until:
            return self._paused_until - now
        next_due: float | None = None
        queues_taken: set[tuple[str, int]] = set()
        for update in self.bot.updates:
            queue = queue_of(update)
            if queue in queues_taken:
                continue  # an earlier update of this chat is not answered yet
            queues_taken.add(queue)
            update_id = update["update_id"]
            if update_id in self._posting:
                continue
            due = self._retry_at.get(update_id, 0.0)
            if due > now:
                next_due = due if next_due is None else min(next_due, due)
                continue
            if len(self._posting) >= self.bot.webhook.max_connections:
                break
            self._posting[update_id] = asyncio.create_task(self._post(session, update))
        return None if next_due is None else next_due - now

    async def _post(self, session: aiohttp.ClientSession, update: dict[str, Any]) -> None:
        update_id = update["update_id"]
        try:
            await self._deliver(session, update)
        finally:
            self._posting.pop(update_id, None)
            self.bot.pending_changed.set()

    async def _deliver(self, session: aiohttp.ClientSession, update: dict[str, Any]) -> None:
        webhook = self.bot.webhook
        headers = {"Content-Type": "application/json"}
        if webhook.secret_token:
            headers[SECRET_HEADER] = webhook.secret_token
        started = time.monotonic()
        answer: dict[str, Any] = {}
        retry_after: float | None = None
        try:
            async with session.post(
                webhook.url,
                data=json.dumps(update, ensure_ascii=False).encode(),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self._owner.timing.timeout),
                allow_redirects=False,
            ) as response:
                if webhook.take_lost_answer():
                    await response.read()  # the bot answered; Telegram never hears it
                    failure: str | None = READ_TIMEOUT
                elif 200 <= response.status < 300:
                    failure = None
                    with contextlib.suppress(ValueError, AssertionError, UnicodeDecodeError):
                        answer = await read_answer(response)  # unreadable: no call in it
                else:
                    status = f"{response.status} {response.reason}"
                    failure = f"Wrong response from the webhook: {status}"
                    retry_after = _retry_after(response.headers.get(aiohttp.hdrs.RETRY_AFTER))
        except aiohttp.ClientConnectorError as error:
            self._connection_refused(connection_error(error))
            return
        except TimeoutError:
            failure = READ_TIMEOUT
        except aiohttp.ClientError:
            failure = "Webhook connection closed"
        self.bot.note_posted(update, started)
        self._refusals = 0
        if failure is not None:
            self._failed(update["update_id"], failure, retry_after)
            return
        method = answer.pop("method", None)
        if isinstance(method, str) and method:
            await self._carry_out(update["update_id"], method, answer)
        self._retry_at.pop(update["update_id"], None)
        self._failures.pop(update["update_id"], None)
        self.bot.confirm(update)

    async def _carry_out(self, update_id: int, method: str, params: dict[str, Any]) -> None:
        webhook = self.bot.webhook
        webhook.answered_calls[method] += 1
        if not_taken_in_answers(method):
            error: str | None = f"{method} is not taken in a webhook answer"
        else:
            error = await self._owner.answer_call(self.bot, method, params)
        if error is not None:
            webhook.answer_errors.append(AnswerError(update_id, method, error))

    def _delay(self, failures: int) -> float:
        """Telegram posts an update again at once after its first failure, then after a delay
        that doubles with each failure, up to a cap."""
        if failures <= 1:
            return 0.0
        delay = self._owner.timing.retry_delay * 2 ** (failures - 2)
        return float(min(delay, self._owner.timing.max_retry_delay))

    def _failed(self, update_id: int, message: str, retry_after: float | None) -> None:
        self.bot.webhook.failed(message)
        failures = self._failures.get(update_id, 0) + 1
        self._failures[update_id] = failures
        delay = self._delay(failures) if retry_after is None else retry_after
        self._retry_at[update_id] = time.monotonic() + delay

    def _connection_refused(self, message: str) -> None:
        """Telegram stops connecting for a while, for every update, not update by update."""
        self.bot.webhook.failed(message)
        self._refusals += 1
        self._paused_until = time.monotonic() + self._delay(self._refusals + 1)


class WebhookDeliveries:
    """The deliveries of every bot of an emulator: one while a bot has a webhook URL and the
    emulator runs."""

    def __init__(self, timing: WebhookTiming, answer_call: AnswerCall) -> None:
        self.timing = timing
        self.answer_call = answer_call
        self.running = False
        self._by_token: dict[str, WebhookDelivery] = {}

    async def follow(self, bot: BotAccount) -> None:
        """Start or stop posting to the bot's webhook, as its URL now says."""
        delivery = self._by_token.get(bot.token)
        if bot.webhook.active and self.running:
            if delivery is None:
                delivery = WebhookDelivery(bot, self)
                self._by_token[bot.token] = delivery
                delivery.start()
            bot.pending_changed.set()
        elif delivery is not None:
            del self._by_token[bot.token]
            await delivery.stop()

    async def start(self, bots: list[BotAccount]) -> None:
        self.running = True
        for bot in bots:
            await self.follow(bot)

    async def stop(self) -> None:
        self.running = False
        deliveries = list(self._by_token.values())
        self._by_token.clear()
        for delivery in deliveries:
            await delivery.stop()
