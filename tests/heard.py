"""What the outbox holds for customers and operators, read the way tests check it: the services
run without a bot, so everything they must say stays in the outbox, in order."""

from __future__ import annotations

import html

from bot.services.news import Priority, Topic
from bot.telegram.outbox import Outbox
from storage.orders import OrderStatus

OPERATORS_CHAT = -100_200_300  # the operators' group of services built for a test


class Heard:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    async def alerts(self) -> list[str]:
        """The operators' alerts, oldest first, as the plain text they were raised with."""
        return [
            html.unescape(entry.body["text"]).removeprefix("⚠️ ")
            for entry in await self.outbox.store.waiting()
            if entry.priority == Priority.ALERT
        ]

    async def told_of(self, topic: Topic) -> list[str]:
        """What each customer's news of `topic` is about (an order id, a payment id), oldest
        first."""
        return [entry.about for entry in await self.outbox.store.waiting() if entry.topic == topic]

    async def orders_told(self) -> list[OrderStatus]:
        """What customers were told of their orders, oldest first: the status each news tells."""
        return [
            OrderStatus(entry.body["status"])
            for entry in await self.outbox.store.waiting()
            if entry.topic == Topic.ORDER
        ]
