"""Bot API faults drawn from the seed: Telegram refusing a call with 429 and `retry_after`, a
gateway's 502 page after the call was carried out or before it reached Telegram, and a call held
past the bot's own request timeout, then carried out or not."""

from __future__ import annotations

import random

from sandbox.telegram import ApiFault

# aiogram's session waits 60 s for an answer (the shop keeps that default): a call held longer is
# a timeout for the bot. getUpdates waits its long poll on top of that, so holding it would stall
# the whole shop for minutes; it is refused and lost behind a 502 instead.
BOT_REQUEST_TIMEOUT = 60.0
HELD_SECONDS = BOT_REQUEST_TIMEOUT + 1.0
SENDING_METHODS = (
    "sendMessage",
    "editMessageText",
    "answerCallbackQuery",
    "sendPhoto",
    "sendInvoice",
)
# Stars calls: refused or lost behind a gateway's page, never held (a pre-checkout has 10 s).
STARS_METHODS = ("answerPreCheckoutQuery", "refundStarPayment", "getStarTransactions")
KIND_WEIGHTS = {"429": 3, "5xx": 3, "timeout": 1}
RETRY_AFTER = (1, 5)  # seconds Telegram names in a 429


def draw_telegram_fault(rng: random.Random, *, polling: bool = True) -> ApiFault:
    """A fault of a call the bot makes; getUpdates only when it polls (on a webhook it never
    calls it)."""
    [kind] = rng.choices(list(KIND_WEIGHTS), list(KIND_WEIGHTS.values()))
    methods: tuple[str, ...] = SENDING_METHODS
    if kind != "timeout":
        methods = (*SENDING_METHODS, *STARS_METHODS, *(("getUpdates",) if polling else ()))
    method = rng.choice(methods)
    if kind == "429":
        return ApiFault("429", method, carried_out=False, retry_after=rng.randint(*RETRY_AFTER))
    carried_out = rng.random() < 0.5
    return ApiFault(kind, method, carried_out=carried_out, seconds=HELD_SECONDS)


def describe(fault: ApiFault) -> str:
    if fault.kind == "429":
        return f"429 retry after {fault.retry_after} s, not carried out"
    done = "carried out" if fault.carried_out else "not carried out"
    if fault.kind == "timeout":
        return f"held {fault.seconds:g} s, then {done}"
    return f"502 page, {done}"
