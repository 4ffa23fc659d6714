"""Whether a customer is a member of the channel the shop requires (`REQUIRED_CHANNEL`), asked of
Telegram (`getChatMember`) and remembered for a short while."""

from __future__ import annotations

import logging
import time

from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
)

from bot.services.config import ConfigError
from bot.telegram.link import BotLink

log = logging.getLogger(__name__)

REMEMBERED_SECONDS = 60.0  # a member's answer; a newcomer's "I've joined" asks again at once
OUTSIDER_SECONDS = 5.0
REMEMBERED_AT_MOST = 10_000
MEMBERS = frozenset({"creator", "administrator", "member"})
ADMINISTRATORS = frozenset({"creator", "administrator"})


class ChannelMembership:
    def __init__(self, link: BotLink, channel: str) -> None:
        self.channel = channel  # @name
        self._link = link
        self._members: dict[int, float] = {}  # user id -> when they were last seen a member
        self._outsiders: dict[int, float] = {}  # user id -> when they were last seen outside

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
        except (TelegramBadRequest, TelegramForbiddenError) as refused:
            raise ConfigError(
                f"REQUIRED_CHANNEL is invalid: Telegram says of {self.channel}: {refused.message}"
            ) from None
        # Telegram's own trouble (a gateway's page among it): checked again on each use
        except (TelegramAPIError, ClientDecodeError) as trouble:
            log.warning("cannot check the bot's place in %s now: %s", self.channel, trouble)
            return
        if member.status not in ADMINISTRATORS:
            raise ConfigError(
                f"REQUIRED_CHANNEL is invalid: the bot is not an administrator of "
                f"{self.channel}; make it one (it needs no rights), or leave REQUIRED_CHANNEL empty"
            )

    async def is_member(self, user_id: int, *, fresh: bool = False) -> bool:
        """Whether the customer is in the channel. When Telegram cannot say (it is down, or the
        bot lost its rights), they are let in: the shop's trouble never locks a customer out.
        A "no" is remembered for a few seconds, so that taps meanwhile ask Telegram nothing."""
        now = time.monotonic()
        seen = self._members.get(user_id)
        if not fresh and seen is not None and now - seen < REMEMBERED_SECONDS:
            return True
        outside = self._outsiders.get(user_id)
        if not fresh and outside is not None and now - outside < OUTSIDER_SECONDS:
            return False
        try:
            member = await self._link.bot.get_chat_member(self.channel, user_id)
        except (TelegramAPIError, ClientDecodeError) as trouble:  # a gateway's page too
            log.warning("cannot tell whether %s is in %s: %s", user_id, self.channel, trouble)
            return True
        if len(self._members) + len(self._outsiders) >= REMEMBERED_AT_MOST:
            self._forget_the_stale(now)
        if member.status in MEMBERS or getattr(member, "is_member", False):
            self._members[user_id] = now
            self._outsiders.pop(user_id, None)
            return True
        self._members.pop(user_id, None)
        self._outsiders[user_id] = now
        return False

    def _forget_the_stale(self, now: float) -> None:
        for remembered, lasts in (
            (self._members, REMEMBERED_SECONDS),
            (self._outsiders, OUTSIDER_SECONDS),
        ):
            for user_id, seen in list(remembered.items()):
                if now - seen >= lasts:
                    del remembered[user_id]
