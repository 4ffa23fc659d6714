"""Faults only a webhook has, drawn from the seed (`python -m sandbox.soak --webhook`).

Each tick the injector draws whether Telegram loses the bot's next answer (the bot handled the
update and answered, the answer never arrived: Telegram posts the same `update_id` again) and
whether an update the webhook already answered is posted again (`replay_update`), as Telegram does
when it missed an answer. Either way the shop must not handle that update a second time
(`handled_once`) and must still answer every customer.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field

from sandbox.soak.log import ActionLog
from sandbox.telegram import BotAccount
from sandbox.telegram.state import update_key

RECENT = 20  # a replay picks one of the latest updates the webhook answered


@dataclass(frozen=True)
class WebhookRates:
    """The chance per tick (about once a second) of each webhook fault."""

    lost_answer: float = 0.1
    replay: float = 0.1


@dataclass
class Replays:
    """The updates posted again by the soak: update id -> when, and the same by what they are
    about (`update_key`), for the judge of answers."""

    at: dict[int, float] = field(default_factory=dict)
    by_key: dict[str, float] = field(default_factory=dict)


class WebhookFaultInjector:
    def __init__(
        self,
        bot: BotAccount,
        rates: WebhookRates,
        rng: random.Random,
        log: ActionLog,
        injected: Counter[str],
        replays: Replays,
    ) -> None:
        self._bot = bot
        self._rates = rates
        self._rng = rng
        self._log = log
        self._injected = injected
        self._replays = replays

    async def run(self, until: float) -> None:
        """Arm webhook faults until the loop's clock reaches `until`; then lose no more answers."""
        loop = asyncio.get_running_loop()
        try:
            while loop.time() < until:
                await asyncio.sleep(self._rng.uniform(0.5, 1.5))
                if self._rng.random() < self._rates.lost_answer:
                    self._bot.webhook.lose_answers(1)
                    self._injected["webhook answer lost"] += 1
                    self._log.add("faults", "arm webhook answer lost", "the next answer is lost")
                if self._rng.random() < self._rates.replay:
                    self.replay()
        finally:
            self._bot.webhook.answers_to_lose = 0

    def replay(self) -> None:
        """Post one of the latest answered updates again, with its `update_id`."""
        pending = {update["update_id"] for update in self._bot.updates}
        answered = sorted(set(self._bot.delivered) - pending)[-RECENT:]
        if not answered:
            return
        update_id = self._rng.choice(answered)
        update = self._bot.delivered[update_id]
        self._bot.replay_update(update_id)
        now = self._log.add("faults", "replay webhook update", f"update {update_id} again").at
        self._replays.at.setdefault(update_id, now)
        self._replays.by_key.setdefault(update_key(update), now)
        self._injected["webhook replay"] += 1
