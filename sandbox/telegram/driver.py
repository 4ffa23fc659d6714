"""Acting as a Telegram user in tests: send text, press buttons, pay invoices, read the bot's
replies."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from sandbox.telegram.payments import PaymentResult, pay_invoice, redeliver_payment
from sandbox.telegram.stars import PRE_CHECKOUT_TIMEOUT
from sandbox.telegram.state import BotAccount, Chat, ChatMessage, UserInfo

DEFAULT_TIMEOUT = 10.0


class ChatDriver:
    """One user in one chat (their private chat with the bot, or a group).

    Each driver reads the bot's changes to the chat in order: `wait_for_bot()` returns the message
    of the next change (a new message, an edit or a delete) since the driver's last action, so a
    test can follow a flow step by step. `settle()` waits until the bot went quiet.
    """

    def __init__(self, bot: BotAccount, chat: Chat, user: UserInfo) -> None:
        self.bot = bot
        self.chat = chat
        self.user = user
        self.callback_answers: list[dict[str, Any]] = []
        self._cursor = len(chat.events)
        self._last_update_id = 0

    @property
    def user_id(self) -> int:
        return self.user.id

    @property
    def chat_id(self) -> int:
        return self.chat.id

    # -- acting --

    async def send(self, text: str, *, reply_to: int | None = None) -> ChatMessage:
        """Send text (a `/command` gets its bot_command entity) as this user, as a reply to
        message `reply_to` if given."""
        self._cursor = len(self.chat.events)
        message, self._last_update_id = await self.bot.user_sends(
            self.chat, self.user, text, reply_to=reply_to
        )
        return message.snapshot()

    async def press(
        self,
        label: str | None = None,
        *,
        contains: str | None = None,
        message_id: int | None = None,
    ) -> None:
        """Press an inline button by its exact label (or a part of it with `contains=`) on the
        latest bot message with a keyboard, or on `message_id`."""
        message, button = self.chat.find_button(label, contains=contains, message_id=message_id)
        assert button.callback_data is not None
        await self.press_data(button.callback_data, message_id=message.message_id)

    async def press_data(self, data: str, *, message_id: int) -> None:
        """Send a callback query with any data, as a forged or stale button would."""
        message = self.chat.messages.get(message_id)
        if message is None:
            raise AssertionError(f"no message {message_id} in chat {self.chat.id}")
        self._cursor = len(self.chat.events)
        _, self._last_update_id = await self.bot.user_presses(
            self.chat, self.user, message, data, owner=self
        )

    async def pay(
        self,
        message_id: int,
        *,
        answer_within: float = PRE_CHECKOUT_TIMEOUT,
        stale: bool = False,
        deliver: bool = True,
    ) -> PaymentResult:
        """Pay invoice `message_id`: the bot gets a `pre_checkout_query` and has `answer_within`
        seconds (10 in Telegram) to answer it; if it approves, this user's `successful_payment`
        message reaches it. Returns when the payment ended: approved (with the charge id),
        declined (with the bot's error message) or not answered in time.

        `stale=True` pays an invoice the bot has deleted since, as a user whose app still shows
        it can; the bot should decline a request that is no longer open. `deliver=False` loses
        the update of the approved payment: only the bot's Stars transactions show it."""
        self._cursor = len(self.chat.events)
        result = await pay_invoice(
            self.bot,
            self.chat,
            self.user,
            message_id,
            answer_within=answer_within,
            stale=stale,
            deliver=deliver,
        )
        self._last_update_id = result.update_id
        return result

    async def redeliver_payment(self, charge_id: str) -> None:
        """The bot gets the `successful_payment` message of `charge_id` again, in a new update,
        as when Telegram delivers an update twice."""
        self._cursor = len(self.chat.events)
        self._last_update_id = await redeliver_payment(self.bot, charge_id)

    def block_bot(self) -> None:
        self.chat.blocked_bot = True

    def unblock_bot(self) -> None:
        self.chat.blocked_bot = False

    # -- reading --

    @property
    def bot_messages(self) -> list[ChatMessage]:
        return [m.snapshot() for m in self.chat.bot_messages()]

    @property
    def transcript(self) -> list[ChatMessage]:
        return [m.snapshot() for m in self.chat.messages.values() if not m.deleted]

    @property
    def last_bot_message(self) -> ChatMessage | None:
        messages = self.chat.bot_messages()
        return messages[-1].snapshot() if messages else None

    def describe(self) -> str:
        lines = []
        for message in self.chat.messages.values():
            who = "bot" if message.from_bot else message.sender.first_name
            flags = " (edited)" if message.edited else ""
            flags += " (deleted)" if message.deleted else ""
            body = repr(message.text)
            if message.invoice is not None:
                invoice = message.invoice
                body = f"invoice {invoice.title!r} {invoice.total_amount} {invoice.currency}"
            elif message.successful_payment is not None:
                paid = message.successful_payment
                body = f"paid {paid.total_amount} {paid.currency} ({paid.invoice_payload!r})"
            lines.append(f"  #{message.message_id} {who}{flags}: {body} {message.labels}")
        return "\n".join(lines) or "  (empty)"

    # -- waiting --

    async def wait_for_bot(self, timeout: float = DEFAULT_TIMEOUT) -> ChatMessage:
        """The message of the bot's next change to this chat since the last one read."""
        async with self.chat.changed:
            try:
                await asyncio.wait_for(
                    self.chat.changed.wait_for(lambda: len(self.chat.events) > self._cursor),
                    timeout,
                )
            except TimeoutError:
                raise AssertionError(
                    f"the bot did not answer in {timeout} s; chat {self.chat.id}:\n"
                    f"{self.describe()}"
                ) from None
            message_id = self.chat.events[self._cursor]
            self._cursor += 1
        return self.chat.messages[message_id].snapshot()

    async def wait_for_message(
        self,
        message_id: int,
        predicate: Callable[[ChatMessage], bool],
        timeout: float = DEFAULT_TIMEOUT,
    ) -> ChatMessage:
        """Wait until message `message_id` (as edited so far) satisfies `predicate`."""

        def matches() -> bool:
            message = self.chat.messages.get(message_id)
            return message is not None and predicate(message)

        await self._wait(matches, timeout, f"message {message_id} did not change as expected")
        return self.chat.messages[message_id].snapshot()

    async def wait_until(
        self, predicate: Callable[[ChatMessage], bool], timeout: float = DEFAULT_TIMEOUT
    ) -> ChatMessage:
        """Wait until the latest bot message satisfies `predicate`; returns it."""

        def latest_matches() -> bool:
            messages = self.chat.bot_messages()
            return bool(messages) and predicate(messages[-1])

        await self._wait(latest_matches, timeout, "no matching bot message")
        self._cursor = len(self.chat.events)
        last = self.last_bot_message
        assert last is not None
        return last

    async def _wait(self, condition: Callable[[], bool], timeout: float, failure: str) -> None:
        async with self.chat.changed:
            try:
                await asyncio.wait_for(self.chat.changed.wait_for(condition), timeout)
            except TimeoutError:
                raise AssertionError(
                    f"{failure} in {timeout} s; chat {self.chat.id}:\n{self.describe()}"
                ) from None

    async def settle(self, quiet: float = 0.3, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Wait until the bot fetched this driver's updates and then left the chat alone for
        `quiet` seconds; the driver's read position moves to the end."""
        deadline = time.monotonic() + timeout
        while self.bot.fetched_up_to < self._last_update_id:
            if time.monotonic() > deadline:
                raise AssertionError("the bot did not fetch its updates in time")
            await asyncio.sleep(0.02)
        fetched_at = time.monotonic()
        while True:
            now = time.monotonic()
            idle_since = max(self.chat.last_bot_activity, fetched_at)
            if now - idle_since >= quiet:
                break
            if now > deadline:
                raise AssertionError("the bot did not go quiet in time")
            await asyncio.sleep(min(0.05, quiet - (now - idle_since)))
        self._cursor = len(self.chat.events)
