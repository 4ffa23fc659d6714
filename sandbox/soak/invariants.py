"""What must hold whatever the faults, judged from outside: the shop's database (read-only, as an
auditor reads it: `reader.py`), what the simulators hold, and what each customer's chat showed."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sandbox.cloud import CloudSimulator
from sandbox.energy import EnergySimulator
from sandbox.soak.customers import Transfers
from sandbox.soak.reader import Reader, Row, Where, read_only
from sandbox.telegram.state import Chat, ChatMessage

TERMINAL = ("succeeded", "failed", "reversed", "cancelled")
IN_REVIEW = "needs_review"
UNSETTLED = ("confirmed", "submitted", "unknown")  # a purchase still on its way
TOLD_SUCCESS = re.compile(r"Done! Order (\S+?):")
TOLD_FAILURE = re.compile(r"Order (\S+) (?:could not be completed|did not go through)")
TOLD_REVERSED = re.compile(r"Order (\S+) was reported done, then the supplier reversed it")


@dataclass(frozen=True)
class Violation:
    invariant: str
    detail: str
    about: tuple[str, ...] = ()  # order ids, transfers: the log steps that name them led here
    during: tuple[float, float] | None = None  # time.monotonic() span it happened in, if known

    def __str__(self) -> str:
        return f"{self.invariant}: {self.detail}"


class ChatReader(ABC):
    """Reads the chats it watches as they change: each version of each message, as it was shown
    (an edit is a new version), goes to `saw` once."""

    def __init__(self) -> None:
        self._read: dict[int, int] = {}  # chat id -> events already read

    def watch(self, chat: Chat) -> None:
        self._read[chat.id] = len(chat.events)
        chat.watchers.append(self._changed)

    def _changed(self, chat: Chat) -> None:
        start = self._read.get(chat.id, 0)
        self._read[chat.id] = len(chat.events)
        for message_id in chat.events[start:]:
            message = chat.messages.get(message_id)
            if message is not None and not message.deleted:
                self.saw(chat, message_id, message)

    @abstractmethod
    def saw(self, chat: Chat, message_id: int, message: ChatMessage) -> None: ...


class WhatCustomersWereTold(ChatReader):
    """Watches the customers' chats: every version of every bot message, as it was shown, so an
    edit cannot hide that a customer once read "Done!" for an order that then failed."""

    def __init__(self) -> None:
        super().__init__()
        self.told: defaultdict[str, set[str]] = defaultdict(set)  # order id -> success, failure

    def saw(self, chat: Chat, message_id: int, message: ChatMessage) -> None:
        for order_id in TOLD_SUCCESS.findall(message.text):
            self.told[order_id].add("success")
        for order_id in TOLD_FAILURE.findall(message.text):
            self.told[order_id].add("failure")
        for order_id in TOLD_REVERSED.findall(message.text):
            self.told[order_id].add("reversed")

    def outcomes_told(self) -> list[str]:
        """The orders a customer was told the outcome of: those they may ask an operator to
        refund (one that succeeded, or one that failed, to be sure the money came back)."""
        return sorted(self.told)

    def violations(self) -> list[Violation]:
        return [
            Violation("told both", f"order {order_id} was shown success and failure", (order_id,))
            for order_id, outcomes in sorted(self.told.items())
            if {"success", "failure"} <= outcomes
        ]


def sold(row: Row, refunded: Collection[str]) -> bool:
    """Whether an order upstream delivered for ended as it should: sold, with an operator, or
    sold and then refunded because an operator asked (/refund reverses it: the money goes back, the
    delivery stays where it went). A delivered order the shop reversed by itself was not sold."""
    status = row["status"]
    return status in ("succeeded", IN_REVIEW) or (status == "reversed" and row["id"] in refunded)


def unsettled_orders(where: Where) -> list[str]:
    """Orders still on their way upstream: the auditor waits for these before judging."""
    marks = ",".join("?" * len(UNSETTLED))
    with read_only(where) as db:
        rows = db.execute(f"SELECT id FROM orders WHERE status IN ({marks})", UNSETTLED)
        return [row["id"] for row in rows]


def audit(
    where: Where,
    cloud: CloudSimulator,
    energy: EnergySimulator,
    transfers: Transfers,
    told: WhatCustomersWereTold,
    *,
    assigned: Collection[str] = (),
    refunded: Collection[str] = (),
) -> list[Violation]:
    """Every invariant at the end of a run, once faults stopped and orders had time to settle.
    Money is counted in `books` from the records outside the shop; `assigned` are the transfers
    operators credited by hand, `refunded` the orders operators asked to refund."""
    connection = read_only(where)
    try:
        return [
            *_orders_settled(connection),
            *_deposits_credited_once(connection, transfers, assigned),
            *_deposits_reach_their_senders(connection, transfers, assigned),
            *_energy_orders_belong(connection, energy, refunded),
            *_cloud_orders_belong(connection, cloud, refunded),
            *_success_was_delivered(connection, told, cloud, energy),
            *told.violations(),
        ]
    finally:
        connection.close()


def _orders_settled(db: Reader) -> Iterable[Violation]:
    """Every order ends terminal or with an operator; a quote never confirmed holds no money."""
    rows = db.execute(
        "SELECT o.id, o.status, COUNT(h.id) AS holds FROM orders o"
        " LEFT JOIN ledger_holds h ON h.order_id = o.id GROUP BY o.id"
    )
    for row in rows:
        status = row["status"]
        if status in TERMINAL or status == IN_REVIEW:
            continue
        if status == "quoted" and row["holds"] == 0:
            continue
        yield Violation("order not settled", f"order {row['id']} is {status}", (row["id"],))


def _deposits_credited_once(
    db: Reader, transfers: Transfers, assigned: Collection[str]
) -> Iterable[Violation]:
    credited = Counter(
        row["reference"].removeprefix("usdt:")
        for row in db.execute("SELECT reference FROM payments WHERE status = 'credited'")
    )
    for txid in transfers.matching:
        if credited[txid] != 1:
            yield Violation(
                "deposit not credited once",
                f"transfer {txid} matching a request was credited {credited[txid]} times",
                (txid,),
            )
    for txid in transfers.not_matching:
        if credited[txid] > (1 if txid in assigned else 0):
            yield Violation("deposit credited", f"transfer {txid} matched no request", (txid,))


def _deposits_reach_their_senders(
    db: Reader, transfers: Transfers, assigned: Collection[str]
) -> Iterable[Violation]:
    """Each matching transfer is one deposit in the ledger, of what was sent, to the wallet of the
    customer who sent it (unless an operator assigned it by hand): counted in the ledger, not in
    the shop's payments table, so a credit to the wrong customer cannot pass."""
    credits: defaultdict[str, list[tuple[str, int]]] = defaultdict(list)
    rows = db.execute(
        "SELECT t.idempotency_key, a.code, e.amount FROM ledger_transactions t"
        " JOIN ledger_entries e ON e.transaction_id = t.id"
        " JOIN ledger_accounts a ON a.id = e.account_id"
        " WHERE t.kind = 'deposit' AND a.code LIKE 'customer:%'"
    )
    for key, code, amount in rows:
        credits[key].append((code, amount))
    for txid, (user_id, amount) in transfers.senders.items():
        found = credits.get(f"deposit:usdt:{txid}", [])
        if txid in assigned:
            continue
        if found != [(f"customer:{user_id}:wallet", amount)]:
            yield Violation(
                "deposit not credited to its sender",
                f"transfer {txid} of {amount} from customer {user_id} is in the ledger as {found}",
                (txid,),
            )


def orders_of(db: Reader, product: str) -> dict[str, Row]:
    rows = db.execute(
        "SELECT id, status, upstream_ref FROM orders WHERE product = ?", (product,)
    ).fetchall()
    return {row["id"]: row for row in rows}


def _energy_orders_belong(
    db: Reader, energy: EnergySimulator, refunded: Collection[str]
) -> Iterable[Violation]:
    """Each energy order upstream names one shop order (its outTradeNo), delivered for it once;
    each energy order the shop sold was delivered."""
    shop = orders_of(db, "energy")
    placed = Counter(order.out_trade_no for order in energy.orders.values())
    for out_trade_no, times in placed.items():
        row = shop.get(out_trade_no)
        if row is None:
            yield Violation(
                "upstream order without a shop order",
                f"energy outTradeNo {out_trade_no}",
                (out_trade_no,),
            )
        elif times > 1:
            yield Violation(
                "paid twice upstream",
                f"energy for order {out_trade_no} placed {times} times",
                (out_trade_no,),
            )
        elif not sold(row, refunded):
            yield Violation(
                "delivered but not sold",
                f"energy delivered for order {out_trade_no}, which is {row['status']}",
                (out_trade_no,),
            )
    for order_id, row in shop.items():
        if row["status"] == "succeeded" and order_id not in placed:
            yield Violation(
                "sold, not delivered",
                f"energy order {order_id} succeeded; no energy was delegated for it",
                (order_id,),
            )


def _cloud_orders_belong(
    db: Reader, cloud: CloudSimulator, refunded: Collection[str]
) -> Iterable[Violation]:
    """Each paid cloud order upstream is one shop order's (its `sn`), which sold it; each cloud
    order the shop sold was paid upstream."""
    owners: defaultdict[str, list[Row]] = defaultdict(list)
    shop = orders_of(db, "cloud")
    for row in shop.values():
        if row["upstream_ref"]:
            owners[row["upstream_ref"]].append(row)
    for sn, order in cloud.orders.items():
        if order.status != "paid":
            continue  # created but never paid: it cost nobody anything
        rows = owners.get(sn, [])
        ids = tuple(row["id"] for row in rows)
        if len(rows) != 1:
            yield Violation(
                "paid upstream order not one shop order's",
                f"cloud sn {sn} belongs to {len(rows)} shop orders {ids}",
                (sn, *ids),
            )
        elif not sold(rows[0], refunded):
            yield Violation(
                "delivered but not sold",
                f"cloud sn {sn} paid for order {ids[0]}, which is {rows[0]['status']}",
                (sn, *ids),
            )
    for order_id, row in shop.items():
        paid = cloud.orders.get(row["upstream_ref"] or "")
        if row["status"] == "succeeded" and (paid is None or paid.status != "paid"):
            yield Violation(
                "sold, not delivered",
                f"cloud order {order_id} succeeded; upstream order "
                f"{row['upstream_ref']} is {paid.status if paid else 'missing'}",
                (order_id,),
            )


def _success_was_delivered(
    db: Reader,
    told: WhatCustomersWereTold,
    cloud: CloudSimulator,
    energy: EnergySimulator,
) -> Iterable[Violation]:
    """A customer told "Done!" got it: upstream holds a delivered order for that shop order."""
    delivered_energy = {order.out_trade_no for order in energy.orders.values()}
    paid_cloud = {sn for sn, order in cloud.orders.items() if order.status == "paid"}
    products = {
        row["id"]: row for row in db.execute("SELECT id, product, upstream_ref FROM orders")
    }
    for order_id, outcomes in sorted(told.told.items()):
        if "success" not in outcomes:
            continue
        row = products.get(order_id)
        if row is not None and row["product"] not in ("energy", "cloud"):
            continue  # the other lines are judged in sandbox/soak/line_audit.py
        delivered = row is not None and (
            (row["product"] == "energy" and order_id in delivered_energy)
            or (row["product"] == "cloud" and row["upstream_ref"] in paid_cloud)
        )
        if not delivered:
            yield Violation(
                "told success, not delivered",
                f"order {order_id} was shown Done! but upstream has no delivery",
                (order_id,),
            )
