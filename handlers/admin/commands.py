"""`/help` for operators: every command of the admin group, also offered in Telegram's command menu
to each operator there (and to nobody else)."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import BotCommand, Message

router = Router(name="admin-commands")

# (command, arguments, what it does): the one list behind /help and the command menu.
OPERATOR_COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("stats", "[today|7d|30d]", "orders, revenue, upstream cost and margin per product line"),
    ("review", "", "orders waiting for a decision, with Refund, Mark delivered and Retry"),
    ("order", "ID", "an order with its upstream reference and whole history"),
    ("refund", "ORDER [REASON]", "give an order's money back to the wallet, once"),
    ("user", "ID|@name", "a customer's balance, holds, orders and wallet lines"),
    ("credit", "USER AMOUNT REASON", "add to a customer's balance (they are told)"),
    ("debit", "USER AMOUNT REASON", "take from a customer's balance, never below zero"),
    ("ban", "USER", "stop a customer from using the shop"),
    ("unban", "USER", "let a banned customer back in"),
    ("prices", "", "markups per product line and exchange rates"),
    ("setmarkup", "LINE PERCENT", "the markup for new quotes of a product line"),
    ("setrate", "CURRENCY RATE", "an exchange rate for new quotes"),
    ("groups", "", "price groups: their markups, spend thresholds and members"),
    ("setgroup", "NAME LINE PERCENT | NAME spend SUM | window DAYS", "a price group's terms"),
    ("group", "USER NAME|retail|auto", "put a customer in a price group"),
    ("promo", "new CODE 10%|2.50|gift 5 [terms] | off CODE", "create or end a promo code"),
    ("promos", "", "every promo code with its uses and what it cost"),
    ("setreferral", "[LINE PERCENT margin|amount | settle HOURS]", "referral rewards"),
    ("providers", "", "each upstream: configured, answering, balance and its threshold"),
    ("export", "orders|ledger [DAYS]", "a CSV document of orders or ledger entries"),
    ("payments", "", "USDT transfers and claims waiting for an operator, with their buttons"),
    ("assign", "PAYMENT USER", "credit a USDT transfer no request explains to a customer"),
    ("approve", "PAYMENT AMOUNT", "credit a USDT transfer a customer claimed, as checked"),
    ("refundstars", "PAYMENT [REASON]", "refund a Telegram Stars deposit the balance covers"),
    ("broadcast", "(as a reply)", "send the replied-to message to every customer"),
    ("help", "", "this list"),
)


def operator_menu() -> list[BotCommand]:
    return [BotCommand(command=name, description=what) for name, _, what in OPERATOR_COMMANDS]


@router.message(Command("help"))
async def operator_help(message: Message) -> None:
    lines = ["🛠 <b>Operator commands</b> (here, for ADMIN_IDS only)"]
    for name, arguments, what in OPERATOR_COMMANDS:
        usage = f"/{name} {arguments}".strip()
        lines.append(f"<code>{html.escape(usage)}</code>: {html.escape(what)}")
    await message.answer("\n".join(lines))
