"""What the emulated Telegram knows: bots, users, chats, messages, pending updates and files
(and, in `stars.py`, payments).

Everything lives on one asyncio loop. Every change a bot makes to a chat is appended to the chat's
event log and wakes whoever waits on it, so tests can wait for "the bot's next change" without
races.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.telegram.stars import Invoice, StarsLedger, SuccessfulPayment
from sandbox.telegram.webhook import NOT_SENT_BY_DEFAULT, Webhook, update_type

CALLBACK_QUERY_TTL = 15.0


class ApiError(Exception):
    """An error answer of the Bot API: `{"ok": false, "error_code": ..., "description": ...}`."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


@dataclass(frozen=True)
class Button:
    text: str
    callback_data: str | None = None
    url: str | None = None
    pay: bool = False  # an invoice's Pay button: paid with `ChatDriver.pay`, not pressed

    def to_api(self) -> dict[str, Any]:
        if self.pay:
            return {"text": self.text, "pay": True}
        if self.callback_data is not None:
            return {"text": self.text, "callback_data": self.callback_data}
        return {"text": self.text, "url": self.url}


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    file_name: str
    mime_type: str
    data: bytes


@dataclass
class UserInfo:
    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user


@dataclass
class ChatMessage:
    """A message as the chat shows it now (edits applied). Tests get copies (snapshots)."""

    message_id: int
    chat_id: int
    sender: UserInfo
    date: int
    text: str = ""
    html: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    buttons: list[list[Button]] = field(default_factory=list)
    document: StoredFile | None = None
    photo: StoredFile | None = None
    invoice: Invoice | None = None  # sent by the bot with sendInvoice
    successful_payment: SuccessfulPayment | None = None  # the user's service message
    edited: bool = False
    deleted: bool = False
    reply_to_message_id: int | None = None
    sent_at: float = 0.0  # time.monotonic() when the bot's message arrived, for rate checks

    @property
    def from_bot(self) -> bool:
        return self.sender.is_bot

    @property
    def labels(self) -> list[str]:
        return [button.text for row in self.buttons for button in row]

    def snapshot(self) -> ChatMessage:
        return copy.copy(self)

    def markup_api(self) -> dict[str, Any] | None:
        if not self.buttons:
            return None
        rows = []
        for row in self.buttons:
            rows.append([b.to_api() for b in row])
        return {"inline_keyboard": rows}

    def to_api(self, chat: Chat) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": chat.to_api(),
            "from": self.sender.to_api(),
        }
        body_key, entities_key = ("caption", "caption_entities")
        if self.invoice is not None:
            message["invoice"] = self.invoice.to_api()
            body_key = ""
        elif self.successful_payment is not None:
            message["successful_payment"] = self.successful_payment.to_api()
            body_key = ""
        elif self.document is not None:
            message["document"] = {
                "file_id": self.document.file_id,
                "file_unique_id": self.document.file_unique_id,
                "file_name": self.document.file_name,
                "mime_type": self.document.mime_type,
                "file_size": len(self.document.data),
            }
        elif self.photo is not None:
            message["photo"] = [
                {
                    "file_id": self.photo.file_id,
                    "file_unique_id": self.photo.file_unique_id,
                    "width": 512,
                    "height": 512,
                    "file_size": len(self.photo.data),
                }
            ]
        else:
            body_key, entities_key = ("text", "entities")
        if body_key and (self.text or body_key == "text"):
            message[body_key] = self.text
        if body_key and self.entities:
            message[entities_key] = self.entities
        markup = self.markup_api()
        if markup is not None:
            message["reply_markup"] = markup
        if self.edited:
            message["edit_date"] = int(time.time())
        if self.reply_to_message_id is not None and self.reply_to_message_id in chat.messages:
            replied = chat.messages[self.reply_to_message_id]
            message["reply_to_message"] = {
                "message_id": replied.message_id,
                "date": replied.date,
                "chat": chat.to_api(),
                "from": replied.sender.to_api(),
                "text": replied.text,
            }
        return message


@dataclass
class Chat:
    id: int
    type: str  # "private" or "supergroup"
    title: str | None = None
    user: UserInfo | None = None  # the other party of a private chat
    members: dict[int, UserInfo] = field(default_factory=dict)
    messages: dict[int, ChatMessage] = field(default_factory=dict)
    events: list[int] = field(default_factory=list)  # message ids the bot sent, edited or deleted
    blocked_bot: bool = False
    username: str | None = None  # a public channel's, without the @
    # A channel's members by user id, with their status ("creator", "administrator", "member",
    # "left", "kicked"); anyone else has "left".
    statuses: dict[int, str] = field(default_factory=dict)
    last_bot_activity: float = 0.0
    sent_times: list[float] = field(default_factory=list)  # the bot's sends, for its chat limit
    flood_refusals: int = 0  # sends answered 429 by the chat's limit
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    # Called after every change to the chat (the bot's and its users'): the playground's live view.
    watchers: list[Callable[[Chat], None]] = field(default_factory=list)

    def next_message_id(self) -> int:
        return next(self._ids)

    def bot_messages(self) -> list[ChatMessage]:
        return [m for m in self.messages.values() if m.from_bot and not m.deleted]

    def find_button(
        self,
        label: str | None = None,
        *,
        contains: str | None = None,
        message_id: int | None = None,
    ) -> tuple[ChatMessage, Button]:
        """The button to press: by exact label (or a part of it) on the given message, or on the
        latest bot message that has an inline keyboard."""
        if message_id is not None:
            candidate = self.messages.get(message_id)
            candidates = [candidate] if candidate is not None and not candidate.deleted else []
        else:
            with_keyboard = [m for m in self.bot_messages() if m.buttons]
            candidates = with_keyboard[-1:]
        if not candidates:
            raise AssertionError(f"no bot message with buttons in chat {self.id}")
        message = candidates[0]
        for row in message.buttons:
            for button in row:
                if (label is not None and button.text == label) or (
                    contains is not None and contains in button.text
                ):
                    if button.pay:
                        raise AssertionError(
                            f"button {button.text!r} is a Pay button; pay the invoice with "
                            f"pay({message.message_id})"
                        )
                    if button.callback_data is None:
                        raise AssertionError(
                            f"button {button.text!r} opens a URL; it can't be pressed"
                        )
                    return message, button
        wanted = label if label is not None else f"…{contains}…"
        raise AssertionError(
            f"no button {wanted!r} on message {message.message_id}; buttons: {message.labels}"
        )

    def to_api(self) -> dict[str, Any]:
        if self.type == "private" and self.user is not None:
            chat: dict[str, Any] = {"id": self.id, "type": "private"}
            chat["first_name"] = self.user.first_name
            if self.user.username:
                chat["username"] = self.user.username
            return chat
        shown = {"id": self.id, "type": self.type, "title": self.title or "Group"}
        if self.username:
            shown["username"] = self.username
        return shown

    async def record_bot_change(self, message_id: int | None) -> None:
        """Note a change the bot made (or a call that touched this chat) and wake the waiters."""
        self.last_bot_activity = time.monotonic()
        async with self.changed:
            if message_id is not None:
                self.events.append(message_id)
            self.changed.notify_all()
        self.tell_watchers()

    def tell_watchers(self) -> None:
        for watcher in self.watchers:
            watcher(self)


def press_key(query_id: str) -> str:
    return f"callback_query {query_id}"


def message_key(chat_id: int, message_id: int) -> str:
    return f"message {chat_id}:{message_id}"


def update_key(update: dict[str, Any]) -> str:
    """What an update is about, to look up when it was handed out: a press or a message by id."""
    if "callback_query" in update:
        return press_key(update["callback_query"]["id"])
    message = update.get("message")
    if message is not None:
        return message_key(message["chat"]["id"], message["message_id"])
    return f"update {update['update_id']}"


@dataclass
class CallbackRecord:
    id: str
    chat_id: int
    created: float
    answered: bool = False
    answer: dict[str, Any] | None = None
    owner: Any = None  # the driver that pressed the button, to hand it the answer
    answered_now: asyncio.Event = field(default_factory=asyncio.Event)  # set with `answered`
    refused_too_old: bool = False  # an answer came after CALLBACK_QUERY_TTL and was refused
    message_id: int = 0  # the message whose button was pressed


class BotAccount:
    """One bot: its identity, chats, queue of updates, files, and what it configured."""

    def __init__(self, token: str, username: str, first_name: str) -> None:
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError("a bot token looks like 123456:secret")
        self.token = token
        self.user = UserInfo(int(bot_id), first_name, username, is_bot=True)
        self.chats: dict[int, Chat] = {}
        self.updates: list[dict[str, Any]] = []  # pending, by update_id
        self._update_ids = itertools.count(1)
        self.last_update_id = 0  # the latest update created
        # Every update up to this one was handed out (by getUpdates, or posted to the webhook).
        self.fetched_up_to = 0
        self.offered: set[str] = set()  # update_key of every update the bot was sent
        self.handed_out: dict[str, list[float]] = {}  # by update_key: each time the bot got it
        self.new_update = asyncio.Condition()
        self.pending_changed = asyncio.Event()  # set at each change of `updates`, for delivery
        self.allowed_updates: list[str] = []  # empty: Telegram's default types
        self.webhook = Webhook()
        self.delivered: dict[int, dict[str, Any]] = {}  # updates the webhook confirmed, by id
        self.callback_queries: dict[str, CallbackRecord] = {}
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}  # by scope, see server._scope
        self.get_updates_calls = 0
        # Bot API calls that came over HTTP, by method as named in the URL (the calls in webhook
        # answers are counted apart, in `webhook.answered_calls`).
        self.calls_over_http: Counter[str] = Counter()
        self.closing = False
        self.sent_times: list[float] = []  # for the flood limit
        self.flood_refusals: Counter[str] = Counter()  # calls answered 429 for it, by method
        self.stars = StarsLedger()  # invoices paid, pre-checkout queries, charges, refunds

    # -- chats -------------------------------------------------------------------------------

    def private_chat(self, user: UserInfo) -> Chat:
        chat = self.chats.get(user.id)
        if chat is None:
            chat = Chat(id=user.id, type="private", user=user)
            self.chats[user.id] = chat
        else:
            chat.user = user
        return chat

    def group(self, chat_id: int, title: str) -> Chat:
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = Chat(id=chat_id, type="supergroup", title=title)
            self.chats[chat_id] = chat
        return chat

    def channel(self, chat_id: int, username: str, title: str) -> Chat:
        if chat_id >= 0:
            raise ValueError("channel chat ids are negative")
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = Chat(id=chat_id, type="channel", title=title, username=username)
            self.chats[chat_id] = chat
        return chat

    def chat(self, chat_id: int) -> Chat:
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def chat_named(self, reference: str) -> Chat:
        """A chat by its id, or a public channel by `@username`, as the Bot API takes them."""
        if reference.startswith("@"):
            for chat in self.chats.values():
                if chat.username and chat.username.lower() == reference[1:].lower():
                    return chat
            raise bad_request("chat not found")
        try:
            return self.chat(int(reference))
        except ValueError:
            raise bad_request("chat not found") from None

    # -- updates -----------------------------------------------------------------------------

    def sends(self, kind: str) -> bool:
        """Whether Telegram creates updates of this type for the bot (its `allowed_updates`)."""
        if not self.allowed_updates:
            return kind not in NOT_SENT_BY_DEFAULT
        return kind in self.allowed_updates

    async def push_update(self, payload: dict[str, Any]) -> int:
        """Queue an update for the bot; returns its id, or 0 when the bot's `allowed_updates`
        leave its type out (Telegram then creates no update at all)."""
        if not self.sends(update_type(payload)):
            return 0
        update_id = next(self._update_ids)
        self.last_update_id = update_id
        update = {"update_id": update_id, **payload}
        self.offered.add(update_key(update))
        async with self.new_update:
            self.updates.append(update)
            self.new_update.notify_all()
        self.pending_changed.set()
        return update_id

    async def take_updates(self, offset: int, limit: int, timeout: float) -> list[dict[str, Any]]:
        self.get_updates_calls += 1
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        async with self.new_update:
            while not self.updates and not self.closing and not self.webhook.active:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                try:
                    await asyncio.wait_for(self.new_update.wait(), remaining)
                except TimeoutError:
                    return []
        if self.webhook.active:
            raise ApiError(409, "Conflict: terminated by setWebhook request")
        batch = self.updates[: max(1, min(limit, 100))]
        if batch:
            self.fetched_up_to = max(self.fetched_up_to, batch[-1]["update_id"])
        now = time.monotonic()
        for update in batch:
            self.handed_out.setdefault(update_key(update), []).append(now)
        return batch

    def drop_pending_updates(self) -> None:
        self.updates.clear()
        self.pending_changed.set()

    # -- webhook deliveries (see delivery.py) ----------------------------------------------------

    def note_posted(self, update: dict[str, Any], at: float) -> None:
        """A webhook post of `update` reached the bot (whatever it answered)."""
        self.handed_out.setdefault(update_key(update), []).append(at)
        self.webhook.deliveries[update["update_id"]] += 1
        never_posted = (
            u["update_id"] for u in self.updates if not self.webhook.deliveries[u["update_id"]]
        )
        first = next(never_posted, None)
        reached = self.last_update_id if first is None else first - 1
        self.fetched_up_to = max(self.fetched_up_to, reached)

    def confirm(self, update: dict[str, Any]) -> None:
        """The webhook answered `update` with a 2xx: it leaves the queue."""
        self.delivered[update["update_id"]] = update
        for index, pending in enumerate(self.updates):
            if pending is update:
                del self.updates[index]
                break
        self.pending_changed.set()

    def replay_update(self, update_id: int) -> None:
        """Queue a delivered update again with the same `update_id`, as Telegram posts an update
        again when the bot's answer to it was lost."""
        update = self.delivered.get(update_id)
        if update is None:
            raise ValueError(f"update {update_id} was never delivered to the webhook")
        if any(pending is update for pending in self.updates):
            raise ValueError(f"update {update_id} is still waiting to be delivered")
        position = next(
            (i for i, pending in enumerate(self.updates) if pending["update_id"] > update_id),
            len(self.updates),
        )
        self.updates.insert(position, update)
        self.pending_changed.set()

    async def wait_until_delivered(self, timeout: float = 10.0) -> None:
        """Wait until no update waits for delivery (each one answered with a 2xx, and the
        method in that answer carried out)."""
        deadline = time.monotonic() + timeout
        while self.updates:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{len(self.updates)} updates still undelivered after {timeout} s; "
                    f"the webhook's last error: {self.webhook.last_error_message}"
                )
            await asyncio.sleep(0.01)

    async def wake_pollers(self, closing: bool = False) -> None:
        self.closing = closing
        async with self.new_update:
            self.new_update.notify_all()

    # -- what users do ------------------------------------------------------------------------

    async def user_sends(
        self, chat: Chat, user: UserInfo, text: str, *, reply_to: int | None = None
    ) -> tuple[ChatMessage, int]:
        """A user's text message (a reply to message `reply_to`, if given); returns it and the id
        of the update the bot will get."""
        if reply_to is not None and reply_to not in chat.messages:
            raise ValueError(f"no message {reply_to} in chat {chat.id} to reply to")
        message = ChatMessage(
            message_id=chat.next_message_id(),
            chat_id=chat.id,
            sender=user,
            date=int(time.time()),
            text=text,
            reply_to_message_id=reply_to,
        )
        if text.startswith("/"):
            command = text.split()[0]
            message.entities = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        chat.messages[message.message_id] = message
        chat.tell_watchers()
        update_id = await self.push_update({"message": message.to_api(chat)})
        return message, update_id

    async def user_presses(
        self, chat: Chat, user: UserInfo, message: ChatMessage, data: str, owner: Any = None
    ) -> tuple[CallbackRecord, int]:
        """A press of an inline button (or any callback data, for forged-button tests)."""
        record = CallbackRecord(
            id=secrets.token_hex(8),
            chat_id=chat.id,
            created=time.monotonic(),
            owner=owner,
            message_id=message.message_id,
        )
        self.callback_queries[record.id] = record
        update_id = await self.push_update(
            {
                "callback_query": {
                    "id": record.id,
                    "from": user.to_api(),
                    "message": message.to_api(chat),
                    "chat_instance": str(chat.id),
                    "data": data,
                }
            }
        )
        return record, update_id

    # -- files -------------------------------------------------------------------------------

    def store_file(self, data: bytes, file_name: str, mime_type: str) -> StoredFile:
        stored = StoredFile(
            file_id="F" + secrets.token_urlsafe(12),
            file_unique_id="U" + secrets.token_urlsafe(6),
            file_name=file_name,
            mime_type=mime_type,
            data=data,
        )
        self.files[stored.file_id] = stored
        return stored


@dataclass(frozen=True)
class ChatLimit:
    """At most `messages` sent by the bot into one chat within any `seconds`."""

    messages: int
    seconds: float


# What Telegram enforces (https://core.telegram.org/bots/faq#broadcasting-to-users): about 20
# messages a minute in a group, and about one a second in a private chat.
TELEGRAM_GROUP_LIMIT = ChatLimit(20, 60.0)
TELEGRAM_PRIVATE_LIMIT = ChatLimit(1, 1.0)


@dataclass
class HeldCalls:
    """Bot API calls held back before they take effect, until released: a test can stop a bot
    at an exact point (say, while it shows "processing") and kill it there. Dropped instead,
    they never take effect: the bot that made them died before they reached Telegram."""

    method: str  # lower case, e.g. "editmessagetext"
    text_contains: str | None = None
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    dropped: bool = False
    _released: asyncio.Event = field(default_factory=asyncio.Event)

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        if method != self.method or self._released.is_set():
            return False
        return self.text_contains is None or self.text_contains in str(params.get("text", ""))

    async def wait_for_release(self) -> bool:
        """False if the calls were dropped rather than released."""
        self.reached.set()
        await self._released.wait()
        return not self.dropped

    def release(self) -> None:
        self._released.set()

    def drop(self) -> None:
        """The held calls end without taking effect (answered as a gateway's error page, should
        their caller still be there), and later ones are not held."""
        self.dropped = True
        self._released.set()
