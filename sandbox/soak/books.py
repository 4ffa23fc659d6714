"""The auditor's own books: money in and out of the customers' wallets counted from records kept
outside the shop, so a wrong booking in the shop cannot hide itself by being in its own tables.

- USDT: the transfers on TronGrid's chain that matched a request, or that an operator credited;
- Telegram Stars: Telegram's own record of payments and refunds (the emulator's `StarsLedger`);
- operators' credits and debits: the commands the soak's operator sent, and how the group answered;
- what orders cost: the orders that succeeded (an order refunded by an operator is reversed, and
  costs nothing; one refunded in review is failed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sandbox.soak.invariants import Violation
from sandbox.soak.operators import Adjustment, OperatorRecord
from sandbox.soak.reader import Reader
from sandbox.telegram.stars import StarsLedger
from sandbox.telegram.state import Chat
from sandbox.trongrid import TronGridSimulator


@dataclass(frozen=True)
class OutsideRecords:
    tron: TronGridSimulator
    matching: tuple[str, ...]  # transfers that matched a customer's request
    stars: StarsLedger
    stars_rate: int  # micro-units credited for one Star
    operators: OperatorRecord
    group: Chat  # the admin group, where the shop answered each operator's command


def unbooked_stars(db: Reader, stars: StarsLedger) -> list[str]:
    """The Stars payments in Telegram's record the shop has not booked (yet)."""
    booked = {
        row[0].removeprefix("stars:")
        for row in db.execute("SELECT reference FROM payments WHERE reference LIKE 'stars:%'")
    }
    return [
        charge_id
        for charge_id, charge in stars.charges.items()
        if charge.in_stars and charge_id not in booked
    ]


def customers_hold(db: Reader) -> int:
    held: int = db.execute(
        "SELECT COALESCE(SUM(balance), 0) FROM ledger_accounts WHERE code LIKE 'customer:%'"
    ).fetchone()[0]
    return held


def stars_credited_once(db: Reader, outside: OutsideRecords) -> Iterable[Violation]:
    """Every Stars payment in Telegram's record is credited by the shop (once: one payment per
    charge) for exactly its Stars at the rate, or refunded if Telegram refunded it; the shop
    holds no Stars payment Telegram does not know."""
    booked = {
        row["reference"].removeprefix("stars:"): row
        for row in db.execute(
            "SELECT id, reference, status, paid, credited FROM payments"
            " WHERE reference LIKE 'stars:%'"
        )
    }
    for charge_id, charge in outside.stars.charges.items():
        if not charge.in_stars:
            continue
        stars = charge.payment.total_amount
        row = booked.pop(charge_id, None)
        want = "refunded" if charge.refunded_at is not None else "credited"
        about = (charge_id[:12],)
        if row is None:
            yield Violation(
                "stars payment not credited",
                f"charge {charge_id[:12]}… of {stars} ⭐ is in Telegram's record,"
                " not in the shop's",
                about,
            )
        elif row["status"] != want:
            shop = f"payment #{row['id']} (charge {charge_id[:12]}…) is {row['status']}"
            yield Violation(
                "stars payment not as Telegram has it",
                f"{shop}; Telegram's record says {want}",
                (*about, f"#{row['id']}"),
            )
        elif row["paid"] != stars or row["credited"] != stars * outside.stars_rate:
            yield Violation(
                "stars payment credited wrong",
                f"payment #{row['id']}: {row['paid']} ⭐ credited {row['credited']};"
                f" Telegram has {stars} ⭐, worth {stars * outside.stars_rate}",
                (*about, f"#{row['id']}"),
            )
    for charge_id, row in booked.items():
        yield Violation(
            "stars payment Telegram never took",
            f"payment #{row['id']} names charge {charge_id[:12]}…, unknown to Telegram",
            (f"#{row['id']}",),
        )


def _shown_credited(said: list[str], txid: str, number: str) -> bool:
    return any(
        f"Payment #{number} credited to customer" in text
        or (f"Transaction: {txid}" in text and "✅ Credited to customer" in text)
        for text in said
    )


def _shop_credited(db: Reader, txid: str) -> bool:
    query = "SELECT 1 FROM payments WHERE reference = ? AND status = 'credited'"
    return db.execute(query, (f"usdt:{txid}",)).fetchone() is not None


def assigned_credited(db: Reader, outside: OutsideRecords) -> set[str]:
    """The transfers operators asked to credit that the group shows credited (the card edited to
    say so, or the answer to /assign); for one the group never confirmed, the shop's word."""
    said = [message.text for message in outside.group.messages.values() if message.from_bot]
    return {
        txid
        for txid, number in outside.operators.assigned.items()
        if _shown_credited(said, txid, number) or _shop_credited(db, txid)
    }


def _usdt_in(db: Reader, outside: OutsideRecords) -> int:
    credited = set(outside.matching) | assigned_credited(db, outside)
    return sum(outside.tron.events[txid].value for txid in credited)


def _stars_in(outside: OutsideRecords) -> int:
    return sum(
        charge.payment.total_amount * outside.stars_rate
        for charge in outside.stars.charges.values()
        if charge.in_stars and charge.refunded_at is None
    )


def _answered(adjustment: Adjustment, group: Chat) -> str:
    """How the shop answered `adjustment`, read from every message the group holds now (an answer
    may come after the operator stopped waiting, once the shop restarted)."""
    if adjustment.shown:
        return adjustment.shown
    for message in group.messages.values():
        shown = adjustment.answered(message.text)
        if shown:
            return shown
    return ""


def _booked(db: Reader, adjustment: Adjustment) -> bool:
    """The shop's own word, only for a command whose answer the group never showed."""
    row = db.execute(
        "SELECT 1 FROM ledger_transactions WHERE idempotency_key = ?", (adjustment.key,)
    ).fetchone()
    return row is not None


def operators_moved(db: Reader, outside: OutsideRecords) -> tuple[int, list[str]]:
    """What operators' credits and debits moved, as the group showed them; and the commands the
    group never answered, whose booking is read from the shop's ledger."""
    moved, unanswered = 0, []
    for adjustment in outside.operators.adjustments:
        shown = _answered(adjustment, outside.group)
        if not shown:
            unanswered.append(adjustment.reason)
            shown = "done" if _booked(db, adjustment) else "refused"
        if shown == "done":
            moved += adjustment.amount if adjustment.command == "credit" else -adjustment.amount
    return moved, unanswered


def money_conserved(db: Reader, outside: OutsideRecords) -> Iterable[Violation]:
    """What customers hold (wallets and held money) is what reached the shop from outside, plus
    what operators credited, minus what they debited and what the orders that succeeded cost,
    to the micro-unit."""
    held = customers_hold(db)
    usdt, stars = _usdt_in(db, outside), _stars_in(outside)
    moved, unanswered = operators_moved(db, outside)
    spent: int = db.execute(
        "SELECT COALESCE(SUM(charge), 0) FROM orders WHERE status = 'succeeded'"
    ).fetchone()[0]
    expected = usdt + stars + moved - spent
    if held != expected:
        unsure = f" ({', '.join(unanswered)} never answered)" if unanswered else ""
        yield Violation(
            "money not conserved",
            f"customers hold {held}; USDT in {usdt} + Stars in {stars} + operators {moved}{unsure}"
            f" - spent {spent} = {expected} (micro-units)",
        )


def broadcast_at_most_once(customers: Iterable[Chat], texts: list[str]) -> Iterable[Violation]:
    """Each broadcast message reached each customer at most once."""
    for chat in customers:
        for text in texts:
            copies = sum(
                1
                for message in chat.messages.values()
                if message.from_bot and not message.deleted and message.text == text
            )
            if copies > 1:
                detail = f"{text!r} reached chat {chat.id} {copies} times"
                yield Violation("broadcast twice", detail, (text,))


def audit_books(db: Reader, outside: OutsideRecords, customers: Iterable[Chat]) -> list[Violation]:
    return [
        *stars_credited_once(db, outside),
        *money_conserved(db, outside),
        *broadcast_at_most_once(customers, outside.operators.broadcasts),
    ]
