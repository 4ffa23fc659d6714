"""Where conversations are kept and how each chat's updates wait their turn: the one place that
chooses between one process and several replicas.

- Without `REDIS_URL`: conversations in the database (`SQLiteStorage`, which remembers recent
  ones, written through), each chat's turn and its count of updates in hand in this process. Right
  for one `bot run` per database, which is what the process lock allows.
- With `REDIS_URL`: conversations in Redis (aiogram's `RedisStorage`), each chat's turn a Redis
  lock (`RedisEventIsolation`), and the count of its updates in hand a Redis counter
  (`bot.telegram.chat_places`), all shared by every replica: an update of a chat may reach any of
  them, and finds the conversation where the last one left it, after the last one is done.

Every key starts with `REDIS_KEY_PREFIX` and the bot's id (`<prefix>:<bot id>:<chat>:<user>:
<destiny>:state|data|lock`, `<prefix>:<bot id>:places:<chat>`), so two shops can share one Redis.

A shop that adds Redis loses no conversation: at start-up each one the database holds for this
bot is moved into Redis (unless Redis already holds that conversation, which is then newer) and
taken out of the database, one by one, so a crash half-way leaves each conversation in one place
or the other and the next start finishes the move. The dispatcher closes the storage, and with it
the connection to Redis, when it shuts down (aiogram's own shutdown step).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from aiogram import Bot
from aiogram.fsm.storage.base import (
    BaseEventIsolation,
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StorageKey,
)
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.services.config import ConfigError, Settings
from bot.telegram.chat_places import ChatPlaces, PlacesInProcess, RedisChatPlaces
from bot.telegram.conversation_storage import SQLiteStorage
from storage.conversations import EMPTY_DATA, ConversationStore

log = logging.getLogger(__name__)

# How often an update waiting for its chat's turn asks Redis again (aiogram's default: 0.1 s).
TURN_ASKED_EVERY = 0.05
# The database's keys, as `SQLiteStorage` builds them: fsm:<bot>:<chat>[:<thread>]:<user>:<destiny>
_DATABASE_KEYS = DefaultKeyBuilder(with_bot_id=True, with_destiny=True)


@dataclass(frozen=True)
class Conversations:
    """What the dispatcher is built with."""

    storage: BaseStorage
    isolation: BaseEventIsolation
    chat_places: ChatPlaces
    redis: Redis | None = None  # None: everything stays in this process and the database

    async def start(self, bot: Bot, store: ConversationStore) -> int:
        """With Redis, move the conversations the database holds for `bot` into it; how many
        were moved."""
        if self.redis is None or not isinstance(self.storage, RedisStorage):
            return 0
        await reach(self.redis)
        return await move_into_redis(store, self.storage, bot.id)


def conversations(
    config: Settings, store: ConversationStore, *, turn_held: float, shared: bool = False
) -> Conversations:
    """Conversations as `config` asks. `turn_held`: the longest one update may keep its chat's
    turn (its handler's bound); a turn held longer, by a replica that was killed, is given up
    then, and a chat's count of updates in hand outlives its last update as long. `shared`: other
    shop processes may use the same database (PostgreSQL)."""
    if config.redis_url is None:
        if not shared:
            return Conversations(SQLiteStorage(store), SimpleEventIsolation(), PlacesInProcess())
        # Another process may have moved a conversation on: none is answered from memory.
        log.warning(
            "conversations: the database may be shared by several shop processes and REDIS_URL"
            " is not set; conversations are read from the database each time, and each chat's"
            " turn holds in this process only: run several replicas with REDIS_URL"
        )
        return Conversations(
            SQLiteStorage(store, remembered=0), SimpleEventIsolation(), PlacesInProcess()
        )
    redis = Redis.from_url(config.redis_url.get_secret_value())
    keys = redis_keys(config.redis_key_prefix)
    held = max(60, int(turn_held) + 1)
    return Conversations(
        storage=RedisStorage(redis, keys),
        isolation=RedisEventIsolation(
            redis, keys, lock_kwargs={"timeout": held, "sleep": TURN_ASKED_EVERY}
        ),
        chat_places=RedisChatPlaces(redis, prefix=config.redis_key_prefix, kept_seconds=held),
        redis=redis,
    )


async def reach(redis: Redis) -> None:
    """Ask Redis once, so that a wrong REDIS_URL (no server there, a refused password) stops
    start-up in one line instead of failing every update; the line names host and port only."""
    try:
        await redis.ping()
    except RedisError as refused:
        where = redis.connection_pool.connection_kwargs
        raise ConfigError(
            f"REDIS_URL is invalid: Redis at {where.get('host')}:{where.get('port')} did not "
            f"answer ({type(refused).__name__}: {refused})"
        ) from None


def redis_keys(prefix: str) -> KeyBuilder:
    """`<prefix>:<bot id>:<chat id>[:<thread id>]:<user id>:<destiny>:<part>`."""
    return DefaultKeyBuilder(prefix=prefix, with_bot_id=True, with_destiny=True)


async def move_into_redis(store: ConversationStore, redis: RedisStorage, bot_id: int) -> int:
    """Move `bot_id`'s conversations from the database into Redis; how many were moved."""
    moved = 0
    for key, conversation in await store.every():
        found = _storage_key(key)
        if found is None or found.bot_id != bot_id:
            continue  # another bot's, or not one this shop wrote: left where it is
        newer = await redis.get_state(found) is not None or await redis.get_data(found)
        if not newer:
            await redis.set_data(found, json.loads(conversation.data))
            await redis.set_state(found, conversation.state)
        await store.set_state(key, None)  # a conversation holding nothing leaves no row
        await store.set_data(key, EMPTY_DATA)
        moved += not newer
    if moved:
        log.info("moved %d conversations from the database into Redis", moved)
    return moved


def _storage_key(key: str) -> StorageKey | None:
    """The conversation a database key names, or None for a key `SQLiteStorage` did not build
    (it builds them with `_DATABASE_KEYS`: checked by building it again)."""
    parts = key.split(":")
    if len(parts) not in (5, 6) or not all(_is_int(part) for part in parts[1:-1]):
        return None
    bot_id, chat_id, *thread, user_id = (int(part) for part in parts[1:-1])
    found = StorageKey(
        bot_id=bot_id,
        chat_id=chat_id,
        user_id=user_id,
        thread_id=thread[0] if thread else None,
        destiny=parts[-1],
    )
    return found if _DATABASE_KEYS.build(found) == key else None


def _is_int(text: str) -> bool:
    return text.removeprefix("-").isdigit()
