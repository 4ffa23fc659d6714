"""How many updates of each chat are in hand: counted in this process, or in Redis for every
replica of the shop at once.

The intake (`bot.telegram.intake`) lets one chat hold at most `PER_CHAT` updates at a time, so a
customer tapping away cannot take every place and stall the others. With one process the count is
a `Counter`; with several replicas behind one webhook, a chat's updates reach any of them, and
each replica's own count would let it hold `PER_CHAT` in every replica, all of them queued on the
same chat's turn (`RedisEventIsolation`). `RedisChatPlaces` keeps the one count in Redis instead.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# A place is taken only if the chat holds fewer than the limit: one step in Redis, so two replicas
# taking the last place at once cannot both have it. The count lives as long as the longest an
# update may take after its chat's last update came in: a replica killed while holding places
# gives them back when it expires.
_TAKE = """
local held = redis.call('INCR', KEYS[1])
if tonumber(ARGV[1]) >= 0 and held > tonumber(ARGV[1]) then
    redis.call('DECR', KEYS[1])
    return 0
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""
# Given back: the key goes with its last place (never below zero, even after it expired).
_GIVE_BACK = """
local held = tonumber(redis.call('GET', KEYS[1]) or '0')
if held <= 1 then
    redis.call('DEL', KEYS[1])
    return 0
end
return redis.call('DECR', KEYS[1])
"""


class ChatPlaces(Protocol):
    async def take(self, bot_id: int, chat_id: int, *, limit: int | None) -> bool:
        """Take one of the chat's places if it holds fewer than `limit` (None: take it in any
        case, as for a payment); whether it was taken."""
        ...

    async def give_back(self, bot_id: int, chat_id: int) -> None:
        """The place of an update that was handled (or failed)."""
        ...


class PlacesInProcess:
    """The count of this process alone: enough for one bot process."""

    def __init__(self) -> None:
        self._held: Counter[int] = Counter()

    async def take(self, bot_id: int, chat_id: int, *, limit: int | None) -> bool:
        if limit is not None and self._held[chat_id] >= limit:
            return False
        self._held[chat_id] += 1
        return True

    async def give_back(self, bot_id: int, chat_id: int) -> None:
        self._held[chat_id] -= 1
        if self._held[chat_id] <= 0:
            del self._held[chat_id]


class RedisChatPlaces:
    """The count in Redis, under `<prefix>:<bot id>:places:<chat id>`, shared by every replica."""

    def __init__(self, redis: Redis, *, prefix: str, kept_seconds: int) -> None:
        """`kept_seconds`: how long a chat's count outlives its last update taken in (at least
        the longest an update may be in hand)."""
        self._redis = redis
        self._prefix = prefix
        self._kept = max(1, int(kept_seconds))
        self._take = redis.register_script(_TAKE)
        self._give_back = redis.register_script(_GIVE_BACK)

    def key(self, bot_id: int, chat_id: int) -> str:
        return f"{self._prefix}:{bot_id}:places:{chat_id}"

    async def take(self, bot_id: int, chat_id: int, *, limit: int | None) -> bool:
        taken = await self._take(
            keys=[self.key(bot_id, chat_id)], args=[-1 if limit is None else limit, self._kept]
        )
        return bool(taken)

    async def give_back(self, bot_id: int, chat_id: int) -> None:
        try:
            await self._give_back(keys=[self.key(bot_id, chat_id)])
        except RedisError as unreachable:  # the update was handled; its place expires
            log.warning("chat %s: its place was not given back in Redis: %r", chat_id, unreachable)
