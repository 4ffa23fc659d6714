"""An operator of the soak, acting in the admin group as ADMIN_ID through the emulator, far less
often than customers: credits and debits customers, refunds orders customers ask about,
decides orders in review after looking at the supplier's side (as an operator checks the
supplier's dashboard), settles USDT transfers no request explained, refunds Stars payments
customers ask about, and broadcasts a short message. What each did and what the group showed goes
to the action log; what it asked for is kept as the outside record the auditor counts money by."""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sandbox.cloud import CloudSimulator
from sandbox.energy import EnergySimulator
from sandbox.soak.log import ActionLog
from sandbox.soak.stars import StarsReceipts
from sandbox.telegram import ChatDriver, ChatMessage

CENTS = 10_000  # micro-units in a cent
ANSWER_TIMEOUT = 10.0
BROADCAST_TIMEOUT = 20.0  # a copy to every customer, at the shop's pace
PAUSE = (4.0, 12.0)  # seconds between two of the operator's actions
CARD_ORDER = re.compile(r"Order (\S+) · (\w+)")
UPSTREAM_REF = re.compile(r"Upstream reference: (\S+)")
TRANSACTION = re.compile(r"Transaction: (\S+)")
TRANSFER = re.compile(r"USDT transfer #(\d+)")


def in_cents(amount: int) -> str:
    """Micro-units as an operator types them and the shop shows them: 3.07."""
    return f"{amount // 1_000_000}.{amount % 1_000_000 // CENTS:02d}"


@dataclass
class Adjustment:
    """A /credit or /debit the operator sent; `shown` is how the group answered ("done",
    "refused", or "" while no answer was seen)."""

    command: str
    user_id: int
    amount: int
    reason: str
    key: str  # the shop's idempotency key of the command: its chat and message
    shown: str = ""

    @property
    def money(self) -> str:
        return f"{in_cents(self.amount)} USDT"

    def answered(self, text: str) -> str:
        """ "done" or "refused" if `text` is the shop's answer to this command, else ""."""
        verb = "Credited" if self.command == "credit" else "Debited"
        if text.startswith(f"✅ {verb} {self.money}") and f": {self.reason}." in text:
            return "done"
        if self.command == "debit" and f"debiting {self.money} would take" in text:
            return "refused"
        return ""


@dataclass
class OperatorRecord:
    """What operators asked the shop to do, for the auditor."""

    adjustments: list[Adjustment] = field(default_factory=list)
    assigned: dict[str, str] = field(default_factory=dict)  # USDT txid -> its payment number
    broadcasts: list[str] = field(default_factory=list)  # the text of each message broadcast
    refunds: set[str] = field(default_factory=set)  # orders the operator asked to refund


@dataclass(frozen=True)
class Supplier:
    """The suppliers' own side of an order, as an operator reads it on their dashboards."""

    cloud: CloudSimulator
    energy: EnergySimulator

    def delivered(self, order_id: str, product: str, upstream_ref: str | None) -> bool | None:
        """Whether upstream delivered the order; None when the dashboard cannot say."""
        if product == "energy":
            return any(o.out_trade_no == order_id for o in self.energy.orders.values())
        if product == "cloud" and upstream_ref is not None:
            order = self.cloud.orders.get(upstream_ref)
            if order is None or order.status in ("failed", "refunded", "pending"):
                return False
            return True if order.status == "paid" else None
        return None


class Operator:
    def __init__(
        self,
        group: ChatDriver,
        rng: random.Random,
        log: ActionLog,
        customers: list[ChatDriver],
        receipts: StarsReceipts,
        told_outcome: Callable[[], list[str]],
        supplier: Supplier,
        record: OperatorRecord,
    ) -> None:
        self.group = group
        self._rng = rng
        self._log = log
        self._customers = customers
        self._receipts = receipts
        self._told_outcome = told_outcome
        self._supplier = supplier
        self._record = record
        self._numbers = iter(range(1, 10**6))

    async def run(self, until: float) -> None:
        loop = asyncio.get_running_loop()
        actions: dict[Callable[[], Awaitable[None]], int] = {
            self.credit: 3,
            self.debit: 2,
            self.refund_order: 2,
            self.review: 3,
            self.payments: 3,
            self.refund_stars: 2,
            self.broadcast: 1,
        }
        while True:
            await asyncio.sleep(self._rng.uniform(*PAUSE))
            if loop.time() >= until:
                return
            [action] = self._rng.choices(list(actions), weights=list(actions.values()))
            try:
                await action()
            except AssertionError as missing:
                first_line = str(missing).splitlines()[0] if str(missing) else "nothing"
                self._note(action.__name__.replace("_", " "), f"gave up: {first_line}")

    def _note(self, action: str, outcome: str) -> None:
        self._log.add("operator", action, outcome)

    async def _answer(self, matches: Callable[[str], bool]) -> ChatMessage:
        """The group's next bot message that `matches`, past the alerts arriving meanwhile."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ANSWER_TIMEOUT
        while True:
            message = await self.group.wait_for_bot(max(deadline - loop.time(), 0.01))
            if matches(message.text):
                return message

    async def _command(self, text: str, matches: Callable[[str], bool]) -> ChatMessage:
        await self.group.send(text)
        return await self._answer(matches)

    # -- money by hand --

    async def credit(self) -> None:
        await self._adjust("credit")

    async def debit(self) -> None:
        await self._adjust("debit")

    async def _adjust(self, command: str) -> None:
        """A credit or debit of an amount no other command of the run has (its cents and
        dollars say which it was), so the group's answer to it can be told from any other."""
        number = next(self._numbers)
        customer = self._rng.choice(self._customers)
        amount = (self._rng.randint(1, 5) * 1000 + number) * CENTS
        reason = f"soak {command} {number}"
        money = in_cents(amount)
        sent = await self.group.send(f"/{command} {customer.user_id} {money} {reason}")
        adjustment = Adjustment(
            command,
            customer.user_id,
            amount,
            reason,
            key=f"admin:{self.group.chat_id}:{sent.message_id}:{command}",
        )
        self._record.adjustments.append(adjustment)
        answer = await self._answer(
            lambda text: bool(adjustment.answered(text)) or text.startswith("⚠️ Not done")
        )
        adjustment.shown = adjustment.answered(answer.text)
        self._note(f"/{command} {customer.user_id} {money} ({reason})", answer.text[:80])

    # -- orders --

    async def refund_order(self) -> None:
        """A customer asks for the money of an order back (one told "Done!", or one told it
        failed, to be sure); the operator refunds the order, which the shop does at most once."""
        told = self._told_outcome()
        if not told:
            return
        order_id = self._rng.choice(told)
        self._record.refunds.add(order_id)
        answer = await self._command(
            f"/refund {order_id} the customer asked", lambda text: order_id in text
        )
        self._note(f"/refund {order_id}", answer.text[:90])

    async def review(self) -> None:
        answer = await self._command(
            "/review", lambda text: "need review" in text or "No order needs review" in text
        )
        if "No order" in answer.text:
            self._note("/review", answer.text[:60])
            return
        await asyncio.sleep(1.0)  # the cards follow the count
        cards = [m for m in self.group.bot_messages if "🔁 Retry" in m.labels]
        if not cards:
            self._note("/review", f"{answer.text[:60]}, no card with buttons came")
            return
        card = self._rng.choice(cards)
        _, retry = self.group.chat.find_button("🔁 Retry", message_id=card.message_id)
        assert retry.callback_data is not None
        order_id = retry.callback_data.rsplit(":", 1)[1]
        found = CARD_ORDER.search(card.text)
        if found is None:  # an alert with the buttons: the operator opens the order's card
            card = await self._command(f"/order {order_id}", lambda text: order_id in text)
            found = CARD_ORDER.search(card.text)
        if found is None:
            self._note(f"/order {order_id}", f"unreadable card: {card.text[:60]}")
            return
        product = found.group(2)
        ref = UPSTREAM_REF.search(card.text)
        delivered = self._supplier.delivered(order_id, product, ref.group(1) if ref else None)
        label = {True: "✅ Mark delivered", False: "💸 Refund", None: "🔁 Retry"}[delivered]
        if self._rng.random() < 0.2:
            label = "🔁 Retry"  # sometimes the operator asks upstream again first
        if label not in card.labels:
            self._note(f"review order {order_id}", f"decided already: {card.text[-60:]}")
            return
        await self.group.press(label, message_id=card.message_id)
        self._note(
            f"review order {order_id} ({product}, upstream delivered: {delivered})",
            f"pressed {label}",
        )

    # -- payments --

    async def payments(self) -> None:
        """The transfers waiting for an operator: credit one to the customer it names, or
        ignore it."""
        answer = await self._command(
            "/payments", lambda text: "Payments waiting" in text or "No payment waits" in text
        )
        if "No payment" in answer.text:
            self._note("/payments", answer.text[:60])
            return
        await asyncio.sleep(1.0)
        cards = [
            m
            for m in self.group.bot_messages
            if "matches no open top-up request" in m.text and m.labels
        ]
        if not cards:
            self._note("/payments", "no card with buttons came")
            return
        card = self._rng.choice(cards)
        transaction, number = TRANSACTION.search(card.text), TRANSFER.search(card.text)
        if transaction is None or number is None or self._rng.random() < 0.2:
            await self.group.press("🚫 Ignore", message_id=card.message_id)
            self._note(f"payment card {card.message_id}", "pressed 🚫 Ignore")
            return
        txid = transaction.group(1)
        credit = [label for label in card.labels if label.startswith("✅ Credit")]
        if credit:
            label = self._rng.choice(credit)
            self._record.assigned[txid] = number.group(1)
            await self.group.press(label, message_id=card.message_id)
            self._note(f"transfer {txid}", f"pressed {label}")
            return
        # No customer asked for this amount: one says it was theirs, and the operator believes it.
        customer = self._rng.choice(self._customers)
        self._record.assigned[txid] = number.group(1)
        answer = await self._command(
            f"/assign {number.group(1)} {customer.user_id}",
            lambda text: f"#{number.group(1)}" in text or text.startswith("⚠️ Not done"),
        )
        self._note(f"/assign {number.group(1)} {customer.user_id} ({txid})", answer.text[:80])

    async def refund_stars(self) -> None:
        """A customer asks for their Stars back."""
        if not self._receipts.seen:
            return
        receipt = self._rng.choice(self._receipts.seen)
        number = f"#{receipt.payment}"
        answer = await self._command(
            f"/refundstars {receipt.payment} asked by {receipt.customer}",
            lambda text: number in text or f"payment {receipt.payment}" in text,
        )
        self._note(f"/refundstars {receipt.payment} ({receipt.stars} ⭐)", answer.text[:90])

    # -- news --

    async def broadcast(self) -> None:
        text = f"Soak news {next(self._numbers)}: the shop is open."
        source = await self.group.send(text)
        await self.group.send("/broadcast", reply_to=source.message_id)
        confirmation = await self._answer(lambda shown: "📣 Send the message above" in shown)
        self._record.broadcasts.append(text)
        await self.group.press(contains="📣 Send to", message_id=confirmation.message_id)
        progress = confirmation.message_id  # the confirmation becomes the broadcast's progress
        with contextlib.suppress(AssertionError):
            await self.group.wait_for_message(
                progress,
                lambda m: "Sent:" in m.text and ("finished" in m.text or "stopped" in m.text),
                BROADCAST_TIMEOUT,
            )
        self._note(f"broadcast {text!r}", self.group.chat.messages[progress].text[:90])
