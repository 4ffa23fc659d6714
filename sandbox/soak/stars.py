"""Customers of the soak paying with Telegram Stars through the real flow: an invoice paid, paid
with its update delivered twice, or paid with its update lost (the shop must find it in its Stars
transactions). What each customer read is noted; the payments the shop numbered are kept for the
operators, who refund some of them."""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sandbox.telegram import ChatDriver, ChatMessage

PRESETS = (100, 250, 500, 1000)  # the Stars the shop offers as buttons
ANSWER_TIMEOUT = 10.0
CREDITED_TIMEOUT = 20.0
CREDITED = re.compile(r"added to your balance for ([\d,]+) ⭐ \(payment #(\d+)\)")
HOW = {"paid": 6, "delivered twice": 2, "update lost": 2}


@dataclass(frozen=True)
class StarsReceipt:
    customer: str
    user_id: int
    payment: int  # the shop's payment number, as the customer read it
    stars: int


@dataclass
class StarsReceipts:
    """The Stars payments customers saw credited: what an operator may be asked to refund."""

    seen: list[StarsReceipt] = field(default_factory=list)


def credited_payment(message: ChatMessage) -> tuple[int, int] | None:
    """(Stars, the shop's payment number) of a "added to your balance" message about Stars."""
    found = CREDITED.search(message.text)
    return (int(found.group(1).replace(",", "")), int(found.group(2))) if found else None


class StarsPayer:
    """One customer's Stars top-ups, chosen with the customer's own rng."""

    def __init__(
        self,
        name: str,
        chat: ChatDriver,
        rng: random.Random,
        note: Callable[[str, str], None],
        receipts: StarsReceipts,
        tally: Counter[str],
    ) -> None:
        self._name = name
        self._chat = chat
        self._rng = rng
        self._note = note
        self._receipts = receipts
        self._tally = tally

    async def _tap(self, label: str) -> None:
        await self._chat.press(label)
        await self._chat.wait_for_bot(ANSWER_TIMEOUT)

    async def pay_in_stars(self) -> None:
        stars = self._rng.choice(PRESETS)
        [how] = self._rng.choices(list(HOW), list(HOW.values()))
        await self._chat.send("/start")
        await self._chat.wait_for_bot(ANSWER_TIMEOUT)
        for label in ("💰 Wallet", "💰 Top up", "⭐ Telegram Stars"):
            await self._tap(label)
        await self._chat.press(f"{stars:,} ⭐")
        invoice = await self._chat.wait_until(lambda m: m.invoice is not None, ANSWER_TIMEOUT)
        paid = await self._chat.pay(invoice.message_id, deliver=how != "update lost")
        self._tally[f"stars {how}" if paid.approved else f"stars {paid.status.value}"] += 1
        if not paid.approved or paid.charge_id is None:
            self._note(f"pay {stars} ⭐", f"{paid.status.value}: {paid.error_message or ''}")
            return
        charge = paid.charge_id[:12]
        if how == "update lost":  # the shop books it from its Stars transactions, in its time
            self._note(f"pay {stars} ⭐ charge {charge}", "paid; Telegram lost the update")
            return
        credited = await self._chat.wait_until(
            lambda m: credited_payment(m) is not None, CREDITED_TIMEOUT
        )
        shown = credited_payment(credited)
        assert shown is not None
        self._receipts.seen.append(
            StarsReceipt(self._name, self._chat.user_id, payment=shown[1], stars=shown[0])
        )
        self._note(f"pay {stars} ⭐ ({how}) charge {charge}", credited.text[:70])
        if how == "delivered twice":
            await self._chat.redeliver_payment(paid.charge_id)
            self._note(f"charge {charge} delivered again", "update sent twice")
