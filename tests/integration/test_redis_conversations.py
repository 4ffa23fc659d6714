"""Two replicas of the shop on one Redis (REDIS_URL): a conversation started on one goes on on
the other, one chat's updates are handled one after the other whichever replica each reaches,
a chat's limit of updates in hand holds across both, and a shop that adds Redis keeps the
conversations its database held.

Each replica is the real dispatcher (`ShopDispatcher`) with what `bot.wiring.conversations`
builds for it, its own connection to the real Redis on 127.0.0.1; each test writes under a key
prefix of its own and deletes its keys afterwards.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import Chat, Message, Update, User
from redis.asyncio import Redis

from bot.services.config import ConfigError, Settings, load_settings
from bot.telegram.conversation_storage import SQLiteStorage
from bot.telegram.intake import PER_CHAT, ShopDispatcher
from bot.wiring.conversations import Conversations, conversations
from sandbox.server import free_port
from storage.conversations import ConversationStore
from storage.database import Database
from storage.sqlite import SqliteDatabase
from tests.servers import need_redis

BOT_ID = 4242424242
TOKEN = f"{BOT_ID}:TEST-token-never-logged"
CUSTOMER = 100_001
TURN_HELD = 30.0  # seconds: a turn held longer is given up (a replica killed holding it)

_update_ids = itertools.count(1)


async def until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    """Wait until `condition` holds; a test that would wait for ever fails naming `what`."""
    for _ in range(2000):  # twenty seconds or so
        if await condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never came to pass: {what}")


class Buying(StatesGroup):
    amount = State()


@dataclass
class World:
    url: str
    prefix: str
    redis: Redis  # the test's own look at the server
    db: Database
    settings: Settings = field(init=False)
    replicas: list[Conversations] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.settings = load_settings(redis_url=self.url, redis_key_prefix=self.prefix)

    def conversations(self) -> Conversations:
        chats = conversations(self.settings, ConversationStore(self.db), turn_held=TURN_HELD)
        self.replicas.append(chats)
        return chats

    def replica(self, router: Router) -> ShopDispatcher:
        """A replica of the shop: its own dispatcher and connection, on the shared Redis."""
        chats = self.conversations()
        dispatcher = ShopDispatcher(
            finish_within=TURN_HELD,
            storage=chats.storage,
            events_isolation=chats.isolation,
            chat_places=chats.chat_places,
        )
        dispatcher.include_router(router)
        return dispatcher

    async def keys(self) -> list[str]:
        return sorted([key.decode() async for key in self.redis.scan_iter(f"{self.prefix}:*")])


@pytest_asyncio.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    url = need_redis()
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    redis = Redis.from_url(url)
    async with SqliteDatabase(tmp_path / "shop.sqlite3") as db:
        found = World(url, prefix, redis, db)
        try:
            yield found
        finally:
            for chats in found.replicas:
                await chats.storage.close()
            keys = [key async for key in redis.scan_iter(f"{prefix}:*")]
            if keys:
                await redis.delete(*keys)
            await redis.aclose()


@pytest_asyncio.fixture
async def bot() -> AsyncIterator[Bot]:
    made = Bot(TOKEN)  # never called: the handlers here answer nothing to Telegram
    try:
        yield made
    finally:
        await made.session.close()


async def _now(value: bool) -> bool:
    return value


def message(text: str, user_id: int = CUSTOMER) -> Update:
    customer = User(id=user_id, is_bot=False, first_name="Customer")
    return Update(
        update_id=next(_update_ids),
        message=Message(
            message_id=next(_update_ids),
            date=datetime.now(UTC),
            chat=Chat(id=user_id, type="private"),
            from_user=customer,
            text=text,
        ),
    )


def buying(heard: list[str]) -> Router:
    """A conversation of two steps: /buy asks for an amount, the next message gives it."""
    router = Router()

    @router.message(Command("buy"))
    async def ask(message: Message, state: FSMContext) -> None:
        await state.set_state(Buying.amount)
        await state.update_data(product="energy")
        heard.append("how much energy?")

    @router.message(Buying.amount)
    async def amount(message: Message, state: FSMContext) -> None:
        data = await state.get_data()
        await state.clear()
        heard.append(f"{data['product']}: {message.text}")

    @router.message()
    async def anything_else(message: Message) -> None:
        heard.append(f"menu ({message.text})")

    return router


async def test_a_conversation_started_on_one_replica_goes_on_on_another(
    world: World, bot: Bot
) -> None:
    heard: list[str] = []
    first, second = world.replica(buying(heard)), world.replica(buying(heard))

    await first.feed_update(bot, message("/buy"))
    await second.feed_update(bot, message("250"))
    await first.feed_update(bot, message("250"))  # the conversation ended on the second

    assert heard == ["how much energy?", "energy: 250", "menu (250)"]
    assert await world.keys() == []  # an ended conversation leaves nothing behind


async def test_the_conversation_is_kept_under_the_prefix_and_the_bots_id(
    world: World, bot: Bot
) -> None:
    heard: list[str] = []
    await world.replica(buying(heard)).feed_update(bot, message("/buy"))

    assert await world.keys() == [
        f"{world.prefix}:{BOT_ID}:{CUSTOMER}:{CUSTOMER}:default:data",
        f"{world.prefix}:{BOT_ID}:{CUSTOMER}:{CUSTOMER}:default:state",
    ]


def one_at_a_time(
    entered: list[str], inside: list[int], ask_redis: Callable[[], Awaitable[Any]]
) -> Router:
    """Each message records when it is handled; the first stays inside until the second is
    inside too (which only happens if nothing keeps a chat's updates apart) or it has asked
    Redis a hundred times meanwhile, time enough for the other to come in."""
    router = Router()

    @router.message()
    async def handle(message: Message) -> None:
        inside.append(1)
        entered.append(f"in {message.text} ({len(inside)} inside)")
        if message.text == "first":
            for _ in range(100):
                if len(entered) > 1:
                    break
                await ask_redis()
        inside.pop()
        entered.append(f"out {message.text}")

    return router


async def test_two_updates_of_one_chat_on_two_replicas_are_handled_one_after_the_other(
    world: World, bot: Bot
) -> None:
    entered: list[str] = []
    inside: list[int] = []
    first = world.replica(one_at_a_time(entered, inside, world.redis.ping))
    second = world.replica(one_at_a_time(entered, inside, world.redis.ping))

    handling_first = asyncio.create_task(first.feed_update(bot, message("first")))
    await until(lambda: _now(bool(entered)), "the first has its chat's turn")
    await second.feed_update(bot, message("second"))
    await handling_first

    assert entered == ["in first (1 inside)", "out first", "in second (1 inside)", "out second"]


def held_up(heard: list[str], release: asyncio.Event) -> Router:
    """Every message is heard; the first one's handler waits for `release` (a slow upstream),
    so the chat's next updates wait for their turn meanwhile."""
    router = Router()

    @router.message()
    async def handle(message: Message) -> None:
        heard.append(str(message.text))
        if message.text == "1":
            await release.wait()

    return router


async def test_a_chats_limit_of_updates_in_hand_holds_across_replicas(
    world: World, bot: Bot
) -> None:
    heard: list[str] = []
    release = asyncio.Event()
    first = world.replica(held_up(heard, release))
    second = world.replica(held_up(heard, release))
    held = f"{world.prefix}:{BOT_ID}:places:{CUSTOMER}"  # the chat's count, every replica's

    on_first = [asyncio.create_task(first.feed_update(bot, message("1")))]
    await until(lambda: _now(bool(heard)), "the first holds its chat's turn")
    on_first += [
        asyncio.create_task(first.feed_update(bot, message(str(n)))) for n in range(2, PER_CHAT)
    ]

    async def in_hand(count: int) -> bool:
        return int(await world.redis.get(held) or 0) == count

    await until(lambda: in_hand(PER_CHAT - 1), "the first replica took them all in")
    # One place left: the second replica takes it; the next update finds none, on either.
    on_second = asyncio.create_task(second.feed_update(bot, message(str(PER_CHAT))))
    await until(lambda: in_hand(PER_CHAT), "the second replica took the last place")
    await second.feed_update(bot, message("one too many"))
    await first.feed_update(bot, message("another one too many"))
    other_customer = message("someone else", user_id=CUSTOMER + 1)
    await second.feed_update(bot, other_customer)  # another chat is not held up

    assert heard == ["1", "someone else"]
    release.set()
    await asyncio.gather(*on_first, on_second)
    assert sorted(heard) == sorted(["someone else", *(str(n) for n in range(1, PER_CHAT + 1))])
    assert await world.redis.exists(held) == 0  # every place was given back


async def test_a_shop_adding_redis_moves_the_conversations_its_database_held(
    world: World, bot: Bot
) -> None:
    in_database = SQLiteStorage(ConversationStore(world.db))
    customer = StorageKey(bot_id=BOT_ID, chat_id=CUSTOMER, user_id=CUSTOMER)
    in_a_group = StorageKey(bot_id=BOT_ID, chat_id=-100123, user_id=CUSTOMER, thread_id=7)
    newer_in_redis = StorageKey(bot_id=BOT_ID, chat_id=CUSTOMER + 1, user_id=CUSTOMER + 1)
    another_bots = StorageKey(bot_id=BOT_ID + 1, chat_id=CUSTOMER, user_id=CUSTOMER)
    await in_database.set_state(customer, Buying.amount)
    await in_database.set_data(customer, {"product": "energy", "note": "越南"})
    await in_database.set_data(in_a_group, {"draft": "hello"})
    await in_database.set_state(newer_in_redis, "Buying:amount")
    await in_database.set_state(another_bots, Buying.amount)

    chats = world.conversations()
    assert isinstance(chats.storage, RedisStorage)
    await chats.storage.set_state(newer_in_redis, "Topup:phone")
    assert await chats.start(bot, ConversationStore(world.db)) == 2

    redis = chats.storage
    assert await redis.get_state(customer) == "Buying:amount"
    assert await redis.get_data(customer) == {"product": "energy", "note": "越南"}
    assert (await redis.get_state(in_a_group), await redis.get_data(in_a_group)) == (
        None,
        {"draft": "hello"},
    )
    assert await redis.get_state(newer_in_redis) == "Topup:phone"
    left = await ConversationStore(world.db).every()
    assert [key for key, _ in left] == [f"fsm:{BOT_ID + 1}:{CUSTOMER}:{CUSTOMER}:default"]
    # Started again (another replica, or after a restart): nothing is moved twice.
    assert await world.conversations().start(bot, ConversationStore(world.db)) == 0


async def test_a_redis_that_does_not_answer_stops_start_up_in_one_line(
    world: World, bot: Bot
) -> None:
    port = free_port()
    settings = load_settings(
        redis_url=f"redis://:hunter2-s3cret@127.0.0.1:{port}/0", redis_key_prefix=world.prefix
    )
    chats = conversations(settings, ConversationStore(world.db), turn_held=TURN_HELD)
    try:
        with pytest.raises(ConfigError) as refused:
            await chats.start(bot, ConversationStore(world.db))
    finally:
        await chats.storage.close()
    message = str(refused.value)
    assert message.startswith(f"REDIS_URL is invalid: Redis at 127.0.0.1:{port} did not answer")
    assert "hunter2" not in message


async def test_places_past_the_limit_for_payments_and_never_below_zero(world: World) -> None:
    places = world.conversations().chat_places
    held = f"{world.prefix}:{BOT_ID}:places:{CUSTOMER}"

    assert [await places.take(BOT_ID, CUSTOMER, limit=2) for _ in range(3)] == [True, True, False]
    assert await places.take(BOT_ID, CUSTOMER, limit=None)  # a payment is always handled
    assert int(await world.redis.get(held) or 0) == 3
    assert 0 < await world.redis.ttl(held) <= 60  # a killed replica's places expire

    await world.redis.delete(held)  # expired while its updates were still being handled
    for _ in range(3):
        await places.give_back(BOT_ID, CUSTOMER)
    assert await world.redis.exists(held) == 0
    assert [await places.take(BOT_ID, CUSTOMER, limit=2) for _ in range(3)] == [True, True, False]
