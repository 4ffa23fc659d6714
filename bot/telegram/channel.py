"""Whether a customer is a member of the channel the shop requires (`REQUIRED_CHANNEL`), asked of
Telegram (`getChatMember`) and remembered for a short while."""

from __future__ import annotations

import logging
import time

from aiogram.exceptions import TelegramAPIError

from bot.services.config import ConfigError
from bot.telegram.link import BotLink

log = logging.getLogger(__name__)

REMEMBERED_SECONDS = 60.0  # a member's answer; a newcomer's "I've joined" asks again at once
REMEMBERED_AT_MOST = 10_000
MEMBERS = frozenset({"creator", "administrator", "member"})
ADMINISTRATORS = frozenset({"creator", "administrator"})


class ChannelMembership:
    def __init__(self, link: BotLink, channel: str) -> None:
        self.channel = channel  # @name
        self._link = link
        self._members: dict[int, float] = {}  # user id -> when they were last seen a member

    @property
    def url(self) -> str:
        return f"https://t.me/{self.channel.removeprefix('@')}"

    async def require_admin(self) -> None:
        """At start-up: the bot can only see who joined as one of the channel's administrators;
        if it is none (or there is no such channel), the shop does not start."""
        bot = self._link.bot
        try:
            me = await bot.me()
            member = await bot.get_chat_member(self.channel, me.id)
        except TelegramAPIError as refused:
            raise ConfigError(
                f"REQUIRED_CHANNEL is invalid: Telegram says of {self.channel}: {refused.message}"
            ) from None
        if member.status not in ADMINISTRATORS:
            raise ConfigError(
                f"REQUIRED_CHANNEL is invalid: the bot is not an administrator of "
                f"{self.channel}; make it one (it needs no rights), or leave REQUIRED_CHANNEL empty"
            )

    async def is_member(self, user_id: int, *, fresh: bool = False) -> bool:
        """Whether the customer is in the channel. When Telegram cannot say (it is down, or the
        bot lost its rights), they are let in: the shop's trouble never locks a customer out."""
        seen = self._members.get(user_id)
        if not fresh and seen is not None and time.monotonic() - seen < REMEMBERED_SECONDS:
            return True
        try:
            member = await self._link.bot.get_chat_member(self.channel, user_id)
        except TelegramAPIError as trouble:
            log.warning("cannot tell whether %s is in %s: %s", user_id, self.channel, trouble)
            return True
        if member.status in MEMBERS or getattr(member, "is_member", False):
            if len(self._members) >= REMEMBERED_AT_MOST:
                self._forget_the_stale()
            self._members[user_id] = time.monotonic()
            return True
        self._members.pop(user_id, None)
        return False

    def _forget_the_stale(self) -> None:
        now = time.monotonic()
        for user_id, seen in list(self._members.items()):
            if now - seen >= REMEMBERED_SECONDS:
                del self._members[user_id]
