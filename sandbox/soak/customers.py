"""Customers of the soak: each tops up by USDT and buys cloud recharges and TRON energy, taps twice,
walks away from flows and presses buttons of screens long gone, choosing with its own seeded
`random.Random`. What the chat showed is written to the action log."""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sandbox.energy import DOCUMENT_ADDRESS
from sandbox.soak.log import ActionLog
from sandbox.soak.stars import StarsPayer, StarsReceipts
from sandbox.telegram import ChatDriver, ChatMessage
from sandbox.trongrid import DEMO_DEPOSIT_ADDRESS, TronGridSimulator

if TYPE_CHECKING:
    from sandbox.soak.purchases import ExpiredQuotePress

USDT = 1_000_000
CONFIRM = "✅ Confirm and pay"
CANCEL = "✖️ Cancel"
ANSWER_TIMEOUT = 10.0  # a screen the bot shows at once (it may be down: then nothing comes)
SETTLED_TIMEOUT = 20.0  # a purchase's or a deposit's outcome, through upstream faults
CLOUD_ACCOUNTS = (
    ("Tencent Cloud", "200000000000"),  # rate 1.00
    ("Alibaba Cloud", "5123456789012345"),  # rate 0.98
    ("Tencent Cloud", "200000000409"),  # upstream refuses its recharges
)
CLOUD_AMOUNTS = ("10 USD", "50 USD")
TOP_UPS = (20, 50)  # preset USDT amounts
# What a customer reads once a purchase has an outcome (or needs one: the balance is short).
PURCHASE_OUTCOMES = {
    "Done!": "succeeded",
    "could not be completed": "failed",
    "did not go through": "failed",
    "is still being processed": "pending",
    "is waiting for the supplier": "pending",
    "is being checked by the shop": "review",
    "Your balance is": "short",
}
ORDER_ID = re.compile(r"Order (\S+?)[:\s]")


def pay_amount(request: ChatMessage) -> int:
    """The exact amount a USDT request asks for, in micro-USDT, as the customer reads it."""
    text = request.text.split("Send exactly ")[1].split(" USDT")[0]
    whole, _, fraction = text.partition(".")
    return int(whole) * USDT + int(fraction.ljust(6, "0"))


def purchase_outcome(message: ChatMessage) -> str | None:
    for words, outcome in PURCHASE_OUTCOMES.items():
        if words in message.text:
            return outcome
    return None


@dataclass
class Transfers:
    """What the customers sent on chain, for the auditor: transfers that match a request must be
    credited once; the others (a wrong amount, another token) never."""

    matching: list[str] = field(default_factory=list)
    not_matching: list[str] = field(default_factory=list)
    senders: dict[str, tuple[int, int]] = field(default_factory=dict)  # txid -> customer, amount


@dataclass
class Tally:
    purchases: Counter[str] = field(default_factory=Counter)  # "cloud succeeded" -> how many
    deposits: Counter[str] = field(default_factory=Counter)  # "exact" -> how many
    expired_quotes: list[ExpiredQuotePress] = field(default_factory=list)  # for the auditor


class Customer:
    def __init__(
        self,
        name: str,
        chat: ChatDriver,
        rng: random.Random,
        log: ActionLog,
        tron: TronGridSimulator,
        transfers: Transfers,
        tally: Tally,
        receipts: StarsReceipts,
    ) -> None:
        self.name = name
        self.chat = chat
        self._rng = rng
        self._log = log
        self._tron = tron
        self._transfers = transfers
        self._tally = tally
        self._stars = StarsPayer(name, chat, rng, self._note, receipts, tally.deposits)

    async def run(self, until: float) -> None:
        """Act until the loop's clock reaches `until`: money first, then whatever the dice say."""
        from sandbox.soak.purchases import LinePurchases  # it builds on this module

        loop = asyncio.get_running_loop()
        actions: dict[Callable[[], Awaitable[None]], int] = {
            self.top_up: 2,
            self._stars.pay_in_stars: 1,
            self.buy_cloud: 3,
            self.buy_energy: 3,
            self.press_a_stale_button: 1,
            self.look_at_wallet: 1,
            **LinePurchases(self, until).actions(),
        }
        await self._act("open the shop", self._open_shop)
        await self._act("top up", self.top_up)
        while loop.time() < until:
            [action] = self._rng.choices(list(actions), weights=list(actions.values()))
            await self._act(action.__name__.replace("_", " "), action)
            await asyncio.sleep(self._rng.uniform(0.2, 1.5))

    async def _act(self, what: str, action: Callable[[], Awaitable[None]]) -> None:
        """Run one action; a screen that never came (the bot was down) is an outcome too."""
        try:
            await action()
        except AssertionError as missing:
            first_line = str(missing).splitlines()[0] if str(missing) else "nothing"
            self._log.add(self.name, what, f"gave up: {first_line}")

    def _note(self, action: str, outcome: str) -> None:
        self._log.add(self.name, action, outcome)

    async def _screen(self, timeout: float = ANSWER_TIMEOUT) -> ChatMessage:
        return await self.chat.wait_for_bot(timeout)

    async def _open_shop(self) -> None:
        await self.chat.send("/start")
        self._note("/start", (await self._screen()).text[:60])

    # -- money in --

    async def top_up(self) -> None:
        amount = self._rng.choice(TOP_UPS)
        [how] = self._rng.choices(("exact", "unconfirmed", "wrong", "decoy"), (6, 2, 1, 1))
        await self._open_shop()
        await self.chat.press("💰 Wallet")
        await self._screen()
        await self.chat.press("💰 Top up")
        await self._screen()
        await self.chat.press("💵 USDT (TRC20)")
        await self._screen()
        await self.chat.press(f"{amount} USDT")
        request = await self.chat.wait_until(lambda m: m.photo is not None, ANSWER_TIMEOUT)
        pay = pay_amount(request)
        self._tally.deposits[how] += 1
        if how == "wrong":
            txid = self._tron.transfer(DEMO_DEPOSIT_ADDRESS, pay + USDT // 2)
            self._transfers.not_matching.append(txid)
            self._note(f"send {pay + USDT // 2} instead of {pay}", f"transfer {txid}")
            return
        if how == "decoy":
            txid = self._tron.transfer(DEMO_DEPOSIT_ADDRESS, pay, token="USDC")
            self._transfers.not_matching.append(txid)
            self._note(f"send {pay} USDC instead of USDT", f"transfer {txid}")
            return
        txid = self._tron.transfer(DEMO_DEPOSIT_ADDRESS, pay, confirmed=how == "exact")
        self._transfers.matching.append(txid)
        self._transfers.senders[txid] = (self.chat.user_id, pay)
        if how == "unconfirmed":
            await asyncio.sleep(self._rng.uniform(0.5, 3.0))
            self._tron.confirm(txid)
        credited = await self.chat.wait_until(
            lambda m: "added to your balance (USDT transfer" in m.text, SETTLED_TIMEOUT
        )
        self._note(f"send {pay} ({how}) as transfer {txid}", credited.text[:60])

    async def look_at_wallet(self) -> None:
        await self._open_shop()
        await self.chat.press("💰 Wallet")
        self._note("wallet", (await self._screen()).text.splitlines()[0][:60])

    # -- purchases --

    async def buy_cloud(self) -> None:
        [(cloud, uid)] = self._rng.choices(CLOUD_ACCOUNTS, (4, 4, 1))
        amount = self._rng.choice(CLOUD_AMOUNTS)
        await self._open_shop()
        await self.chat.press("☁️ Cloud recharge")
        await self._screen()
        await self.chat.press(cloud)
        await self._screen()
        await self.chat.send(uid)
        await self._screen()
        await self.chat.press(amount)
        await self._confirm_or_walk_away(f"cloud {cloud} {uid} {amount}", "cloud")

    async def buy_energy(self) -> None:
        await self._open_shop()
        await self.chat.press("⚡ TRON energy")
        await self._screen()
        await self.chat.send(DOCUMENT_ADDRESS)
        await self._screen()
        await self.chat.press("65,000 energy")
        await self._screen()
        await self.chat.press(contains="1 hour")
        await self._confirm_or_walk_away("energy 65,000 for 1 hour", "energy")

    async def _confirm_or_walk_away(
        self, what: str, line: str, read: Callable[[ChatMessage], str | None] = purchase_outcome
    ) -> ChatMessage | None:
        """At the confirmation: cancel, walk away, confirm, or confirm with a double tap. What a
        confirmed purchase came to, as `read` tells it, is tallied; its message is returned."""
        confirmation = await self._screen()
        [choice] = self._rng.choices(("cancel", "walk away", "confirm", "double tap"), (1, 1, 6, 2))
        order = ORDER_ID.search(confirmation.text)
        if choice == "walk away":
            self._tally.purchases[f"{line} abandoned"] += 1
            self._note(what, "walked away at the confirmation")
            return None
        if choice == "cancel":
            await self.chat.press(CANCEL, message_id=confirmation.message_id)
            self._tally.purchases[f"{line} cancelled"] += 1
            self._note(what, f"cancelled: {(await self._screen()).text[:60]}")
            return None
        message, button = self.chat.chat.find_button(CONFIRM, message_id=confirmation.message_id)
        assert button.callback_data is not None
        taps = 2 if choice == "double tap" else 1
        for _ in range(taps):
            await self.chat.press_data(button.callback_data, message_id=message.message_id)
        settled = await self.chat.wait_until(lambda m: read(m) is not None, SETTLED_TIMEOUT)
        if read(settled) == "pending":  # the supplier is still at it: wait for news
            with contextlib.suppress(AssertionError):
                settled = await self.chat.wait_until(
                    lambda m: read(m) not in (None, "pending"), SETTLED_TIMEOUT
                )
        outcome = read(settled)
        self._tally.purchases[f"{line} {outcome}"] += 1
        shown = settled.document.file_name if settled.document else settled.text  # its goods
        seen = ORDER_ID.search(settled.text) or order
        named = f" order {seen.group(1)}" if seen else ""
        self._note(f"{what}, {choice}", f"{outcome}{named}: {shown[:80]}")
        return settled

    # -- old screens --

    async def press_a_stale_button(self) -> None:
        """A button of an earlier screen, as a customer scrolling up presses it."""
        with_buttons = [
            message
            for message in self.chat.bot_messages[:-1]
            if any(button.callback_data for row in message.buttons for button in row)
        ]
        if not with_buttons:
            return
        message = self._rng.choice(with_buttons)
        buttons = [b for row in message.buttons for b in row if b.callback_data is not None]
        button = self._rng.choice(buttons)
        assert button.callback_data is not None
        await self.chat.press_data(button.callback_data, message_id=message.message_id)
        try:
            seen = (await self._screen(timeout=3.0)).text[:80]
        except AssertionError:
            seen = "no change to the chat"
        self._note(f"stale {button.text!r} on message {message.message_id}", seen)
