"""Customers buying from the lines beyond cloud and energy, each through its real conversation:
KUMQUAT mobile top-ups, ready-made accounts and AceData credits; and a customer who comes back to
a confirmation after its price expired and presses Confirm."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp

from sandbox import kumquat
from sandbox.acedata import DEMO_APPLICATION
from sandbox.soak.customers import (
    ANSWER_TIMEOUT,
    CONFIRM,
    SETTLED_TIMEOUT,
    Customer,
    purchase_outcome,
)
from sandbox.telegram import ChatMessage

TOPUP = "📱 Mobile top-up"
AIRTIME, DATA = "📶 Airtime", "🌐 Data"
ACCOUNTS = "🛒 Accounts"
ACCOUNT_KINDS = ("Facebook", "Email")
ACEDATA = "🤖 AceData credits"
STEPS = ("⬅️ Back", "✖️ Cancel", "🏠 Main menu", "🌍 Change country or carrier", "◀️", "▶️")
# KUMQUAT's mock numbers: topped up by callback; failed by callback (short, and any other number);
# refused at once with a signature error.
TOPUP_NUMBERS = {
    kumquat.MOCK_SUCCEEDS: 5,
    kumquat.MOCK_FAILS_SHORT: 2,
    "254700000001": 2,
    kumquat.MOCK_SIGNATURE_REFUSED: 1,
}
UNKNOWN_APPLICATION = "00000000-0000-4000-8000-000000000000"
PAY_LINK = "on AceData's page"
# What a customer pressing Confirm on an expired quote may read; anything else is wrong.
EXPIRED_ANSWERS = {
    "That price expired": "told expired",
    "The price changed": "told the price changed",
    "The supplier is not answering": "told the supplier is not answering",
    # The press seen again after a restart, once the quote was already found expired.
    "was cancelled. Nothing was charged": "told cancelled",
}
# The shop's published quote lifetime, in seconds: every Confirm screen says "This price holds
# for 5 minutes". The soak judges the shop from outside, so it knows this as a customer does; a
# test holds it to what the shop really does.
QUOTE_LIFETIME_SECONDS = 5 * 60
COME_BACK_AFTER = QUOTE_LIFETIME_SECONDS + 15  # seconds: surely past the quote's expiry
COMING_BACK = 0.25  # the share of customers who come back to an expired quote


@dataclass(frozen=True)
class ExpiredQuotePress:
    """Confirm pressed on a quote past its lifetime: nothing may be charged for `order_id`."""

    customer: str
    order_id: str
    seen: str  # one of EXPIRED_ANSWERS' values, or what else the customer read


def goods(message: ChatMessage) -> list[str]:
    """The labels of a screen that choose something to buy, not a step of the conversation."""
    return [label for label in message.labels if label not in STEPS]


def choose_goods(rng: random.Random, screen: ChatMessage) -> str:
    """One of the screen's goods; a screen without any (a late one, from an earlier step) is a
    screen that never came, and the customer gives up."""
    options = goods(screen)
    if not options:
        raise AssertionError(f"nothing to choose on {screen.text[:60]!r}")
    return rng.choice(options)


def accounts_file(message: ChatMessage) -> bool:
    document = message.document
    return document is not None and document.file_name.startswith("accounts-")


def accounts_outcome(message: ChatMessage) -> str | None:
    """The file of accounts follows the "Done!": either says the purchase succeeded."""
    return "succeeded" if accounts_file(message) else purchase_outcome(message)


def acedata_outcome(message: ChatMessage) -> str | None:
    return "awaiting payment" if PAY_LINK in message.text else purchase_outcome(message)


def quote_of(confirm_data: str) -> str:
    """The order id a confirmation's Confirm button names (`ord:confirm:<id>`)."""
    return confirm_data.rsplit(":", 1)[-1]


class LinePurchases:
    """The customer's actions on these lines, for its weighted table."""

    def __init__(self, customer: Customer, until: float) -> None:
        self._customer = customer
        self._until = until
        # A few customers come back to an expired quote, once: the others keep buying meanwhile.
        self._comes_back = customer._rng.random() < COMING_BACK

    def actions(self) -> dict[Callable[[], Awaitable[None]], int]:
        return {
            self.buy_topup: 2,
            self.buy_accounts: 2,
            self.buy_acedata: 1,
            self.come_back_to_an_expired_quote: 1,
        }

    # -- mobile top-ups --

    async def _topup_chosen(self, number: str) -> str | None:
        """Through the top-up conversation for `number` up to pressing a product, whose
        confirmation comes next: what was chosen (None if the screens offered nothing)."""
        customer = self._customer
        kind = customer._rng.choices((AIRTIME, DATA), (3, 1))[0]
        await customer._open_shop()
        await customer.chat.press(TOPUP)
        await customer._screen()
        await customer.chat.send(f"+{number}")
        target = await customer._screen()
        if kind not in target.labels:
            customer._note(f"top-up +{number}", target.text[:80])
            return None
        await customer.chat.press(kind)
        offers = await customer._screen()
        if not goods(offers):
            customer._note(f"top-up {kind} +{number}", offers.text[:80])
            return None
        offer = choose_goods(customer._rng, offers)
        await customer.chat.press(offer)
        return f"top-up {offer} to +{number}"

    async def buy_topup(self) -> None:
        customer = self._customer
        [number] = customer._rng.choices(list(TOPUP_NUMBERS), list(TOPUP_NUMBERS.values()))
        what = await self._topup_chosen(number)
        if what is not None:
            await customer._confirm_or_walk_away(what, "topup")

    # -- ready-made accounts --

    async def buy_accounts(self) -> None:
        customer = self._customer
        kind = customer._rng.choice(ACCOUNT_KINDS)
        await customer._open_shop()
        await customer.chat.press(ACCOUNTS)
        await customer._screen()
        await customer.chat.press(kind)
        listing = await customer._screen()
        services = [label for label in goods(listing) if " · " in label]
        if not services:
            customer._note(f"accounts {kind}", listing.text[:80])
            return
        # Mostly what is in stock; now and then a sold-out one, which cannot be opened.
        weights = [1 if "sold out" in label else 10 for label in services]
        [service] = customer._rng.choices(services, weights)
        detail = await self._screen_or_alert(lambda: customer.chat.press(service))
        if isinstance(detail, str):  # sold out, or gone: nothing to buy
            customer._tally.purchases["accounts not for sale"] += 1
            customer._note(f"accounts {service}", f"alert: {detail[:80]}")
            return
        quantities = [label for label in detail.labels if label.isdigit()]
        quantity = customer._rng.choice(quantities[:2] or ["1"])
        await customer.chat.press(quantity)
        await customer._confirm_or_walk_away(
            f"accounts {quantity} × {service}", "accounts", read=accounts_outcome
        )

    async def _screen_or_alert(self, press: Callable[[], Awaitable[None]]) -> ChatMessage | str:
        """The screen a press brings, or the alert it was answered with instead."""
        chat = self._customer.chat
        events, answers = len(chat.chat.events), len(chat.callback_answers)
        await press()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ANSWER_TIMEOUT
        while loop.time() < deadline:
            if len(chat.chat.events) > events:
                return await self._customer._screen()
            alert = next((a["text"] for a in chat.callback_answers[answers:] if a.get("text")), "")
            if alert:
                return str(alert)
            await asyncio.sleep(0.05)
        raise AssertionError("neither a screen nor an alert")

    # -- AceData credits --

    async def buy_acedata(self) -> None:
        customer = self._customer
        rng = customer._rng
        [application] = rng.choices((DEMO_APPLICATION, UNKNOWN_APPLICATION), (9, 1))
        await customer._open_shop()
        await customer.chat.press(ACEDATA)
        await customer._screen()
        await customer.chat.send(application)
        packages = await customer._screen()
        if not goods(packages):
            customer._note("acedata packages", packages.text[:80])
            return
        package = choose_goods(rng, packages)
        await customer.chat.press(package)
        ways = await customer._screen()
        way = choose_goods(rng, ways)
        await customer.chat.press(way)
        what = f"acedata {package} by {way}"
        settled = await customer._confirm_or_walk_away(what, "acedata", read=acedata_outcome)
        if settled is None or acedata_outcome(settled) != "awaiting payment":
            return
        await self._pay_or_leave(what, settled)

    async def _pay_or_leave(self, what: str, link: ChatMessage) -> None:
        """The customer pays on AceData's page, or leaves the link unpaid (it expires)."""
        customer = self._customer
        url = next((b.url for row in link.buttons for b in row if b.url), None)
        if url is None or customer._rng.random() < 0.2:
            self._settled_as("left unpaid")
            customer._note(what, "left the pay link unpaid")
            return
        async with aiohttp.ClientSession() as session, session.get(url) as page:
            paid = page.status == 200
        settled = await customer.chat.wait_until(
            lambda m: acedata_outcome(m) not in (None, "awaiting payment", "pending"),
            SETTLED_TIMEOUT,
        )
        outcome = acedata_outcome(settled)
        self._settled_as(str(outcome))
        customer._note(f"{what}, paid at AceData ({paid})", f"{outcome}: {settled.text[:80]}")

    def _settled_as(self, outcome: str) -> None:
        """The purchase tallied as awaiting payment is tallied by what it came to instead."""
        tally = self._customer._tally.purchases
        tally["acedata awaiting payment"] -= 1
        if tally["acedata awaiting payment"] <= 0:
            del tally["acedata awaiting payment"]
        tally[f"acedata {outcome}"] += 1

    # -- a quote left past its lifetime --

    async def come_back_to_an_expired_quote(self) -> None:
        """Walk away from a confirmation, come back after its price expired and press Confirm:
        the customer is told, and nothing is charged. Only in a run long enough for that, by a
        few customers, once each."""
        customer = self._customer
        loop = asyncio.get_running_loop()
        if not self._comes_back or loop.time() + COME_BACK_AFTER + 60 > self._until:
            return
        self._comes_back = False
        what = await self._topup_chosen(kumquat.MOCK_SUCCEEDS)
        if what is None:
            return
        confirmation = await customer._screen()
        message, button = customer.chat.chat.find_button(
            CONFIRM, message_id=confirmation.message_id
        )
        assert button.callback_data is not None
        order_id = quote_of(button.callback_data)
        customer._note(what, f"walked away from quote {order_id}, back in {COME_BACK_AFTER:g} s")
        await asyncio.sleep(COME_BACK_AFTER)
        await customer.chat.press_data(button.callback_data, message_id=message.message_id)
        try:
            answer = await customer.chat.wait_for_message(
                message.message_id, lambda m: m.text != confirmation.text, ANSWER_TIMEOUT
            )
            seen = next(
                (said for words, said in EXPIRED_ANSWERS.items() if words in answer.text),
                answer.text[:80],
            )
        except AssertionError:
            seen = "no answer"
        customer._tally.expired_quotes.append(ExpiredQuotePress(customer.name, order_id, seen))
        known = seen in EXPIRED_ANSWERS.values() or seen == "no answer"
        customer._tally.purchases[f"expired quote {seen if known else 'answered otherwise'}"] += 1
        customer._note(f"Confirm on expired quote {order_id}", seen)
