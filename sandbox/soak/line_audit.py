"""The auditor's checks of mobile top-ups, ready-made accounts and AceData credits, and of quotes
confirmed after they expired: what each simulator delivered belongs to one shop order, which sold
it; what a customer was told "Done!" for was delivered (the accounts' file in hand); a reversed
top-up was refunded and told; a forged callback changed nothing; an expired quote charged
nothing. Judged from the shop's database (read-only), the simulators and the customers' chats."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable

from sandbox.accounts_shop import AccountShopSimulator
from sandbox.acedata import AceDataSimulator
from sandbox.kumquat import KumquatSimulator
from sandbox.soak.invariants import (
    IN_REVIEW,
    Violation,
    WhatCustomersWereTold,
    orders_of,
    sold,
)
from sandbox.soak.purchases import EXPIRED_ANSWERS, ExpiredQuotePress
from sandbox.soak.reader import Reader, Row, Where, read_only
from sandbox.telegram.state import Chat
from sandbox.upstreams import Upstreams

ACEDATA_PAID = ("Paid", "Finished")


def audit_lines(
    where: Where,
    upstreams: Upstreams,
    told: WhatCustomersWereTold,
    chats: list[Chat],
    expired_quotes: list[ExpiredQuotePress],
    refunded: Collection[str] = (),
) -> list[Violation]:
    connection = read_only(where)
    try:
        return [
            *_topups(connection, upstreams.topup, told, refunded),
            *_accounts(connection, upstreams.accounts, told, chats, refunded),
            *_acedata(connection, upstreams.acedata, told, refunded),
            *_expired_quotes(connection, expired_quotes),
        ]
    finally:
        connection.close()


def _told_success(told: WhatCustomersWereTold, orders: dict[str, Row]) -> list[str]:
    return [order_id for order_id in orders if "success" in told.told.get(order_id, set())]


def _topups(
    db: Reader,
    kumquat: KumquatSimulator,
    told: WhatCustomersWereTold,
    refunded: Collection[str],
) -> Iterable[Violation]:
    """KUMQUAT's `request_no` is the shop order's id: one upstream order a shop order."""
    shop = orders_of(db, "topup")
    for request_no, upstream in kumquat.orders.items():
        row = shop.get(request_no)
        about = (request_no, upstream.serial_no)
        if row is None:
            yield Violation(
                "upstream order without a shop order", f"top-up request_no {request_no}", about
            )
            continue
        status = row["status"]
        if row["upstream_ref"] not in (None, upstream.serial_no):
            yield Violation(
                "upstream order not one shop order's",
                f"top-up {request_no} is serial {upstream.serial_no} upstream, "
                f"{row['upstream_ref']} in the shop",
                about,
            )
        if upstream.reversed:
            if status not in ("reversed", "failed", IN_REVIEW):
                yield Violation(
                    "reversed upstream, not refunded",
                    f"top-up {request_no} was reversed by KUMQUAT; the order is {status}",
                    about,
                )
            elif status == "reversed" and "reversed" not in told.told.get(request_no, set()):
                yield Violation(
                    "reversed, not told",
                    f"top-up {request_no} was refunded after its reversal, and its "
                    "customer never read it",
                    about,
                )
        elif upstream.status == "SUCCESS" and not sold(row, refunded):
            yield Violation(
                "delivered but not sold",
                f"top-up {request_no} succeeded upstream; the order is {status}",
                about,
            )
        elif upstream.status != "SUCCESS" and status == "succeeded":
            yield Violation(
                "sold, not delivered",
                f"top-up {request_no} is {upstream.status} upstream; the order succeeded",
                about,
            )
    for order_id in _told_success(told, shop):
        topped_up = kumquat.orders.get(order_id)
        if topped_up is None or topped_up.ending != "SUCCESS":
            yield Violation(
                "told success, not delivered",
                f"top-up {order_id} was shown Done! but KUMQUAT topped up nothing",
                (order_id,),
            )
    for forgery in kumquat.forgeries:
        if forgery.answer == "SUCCESS":
            yield Violation(
                "forged callback accepted",
                f"a callback with {forgery.lie} about top-up {forgery.request_no} "
                "was answered SUCCESS",
                (forgery.request_no,),
            )


def _accounts(
    db: Reader,
    shop_api: AccountShopSimulator,
    told: WhatCustomersWereTold,
    chats: list[Chat],
    refunded: Collection[str],
) -> Iterable[Violation]:
    """The accounts shop's `request_id` is the shop order's id; replaying it buys nothing more."""
    shop = orders_of(db, "accounts")
    for request_id in shop_api.purchases:
        row = shop.get(request_id)
        if row is None:
            yield Violation(
                "upstream order without a shop order",
                f"accounts request_id {request_id}",
                (request_id,),
            )
        elif not sold(row, refunded):
            yield Violation(
                "delivered but not sold",
                f"accounts bought for order {request_id}, which is {row['status']}",
                (request_id,),
            )
    for order_id, row in shop.items():
        if row["status"] == "succeeded" and order_id not in shop_api.purchases:
            yield Violation(
                "sold, not delivered",
                f"accounts order {order_id} succeeded; the shop sold it nothing",
                (order_id,),
            )
    files = _files(chats)
    for order_id in _told_success(told, shop):
        purchase = shop_api.purchases.get(order_id)
        if purchase is None:
            yield Violation(
                "told success, not delivered",
                f"accounts order {order_id} was shown Done! but nothing was bought",
                (order_id,),
            )
        elif files.get(f"accounts-{order_id}.txt") != purchase.accounts:
            yield Violation(
                "told success, accounts not received",
                f"accounts order {order_id} was shown Done! without the file of "
                "the accounts bought for it",
                (order_id,),
            )


def _files(chats: list[Chat]) -> dict[str, list[str]]:
    """Each document the bot sent a customer: its lines, by file name."""
    return {
        message.document.file_name: message.document.data.decode().splitlines()
        for chat in chats
        for message in chat.messages.values()
        if message.document is not None and message.from_bot and not message.deleted
    }


def _acedata(
    db: Reader,
    acedata: AceDataSimulator,
    told: WhatCustomersWereTold,
    refunded: Collection[str],
) -> Iterable[Violation]:
    """An AceData order is the shop order's `upstream_ref`; only a paid one cost anybody."""
    shop = orders_of(db, "acedata")
    owners: defaultdict[str, list[str]] = defaultdict(list)
    for order_id, row in shop.items():
        if row["upstream_ref"]:
            owners[row["upstream_ref"]].append(order_id)
    for ace_id, upstream in acedata.orders.items():
        if acedata.state(upstream) not in ACEDATA_PAID:
            continue  # never paid: nobody lost anything
        ids = tuple(owners.get(ace_id, []))
        if len(ids) != 1:
            yield Violation(
                "paid upstream order not one shop order's",
                f"AceData order {ace_id} belongs to {len(ids)} shop orders {ids}",
                (ace_id, *ids),
            )
        elif not sold(shop[ids[0]], refunded):
            yield Violation(
                "delivered but not sold",
                f"AceData order {ace_id} was paid for order {ids[0]}, which is "
                f"{shop[ids[0]]['status']}",
                (ace_id, *ids),
            )
    for order_id, row in shop.items():
        paid = acedata.orders.get(row["upstream_ref"] or "")
        if row["status"] == "succeeded" and (paid is None or acedata.state(paid) != "Finished"):
            yield Violation(
                "sold, not delivered",
                f"AceData order {order_id} succeeded; no credits were added for it",
                (order_id,),
            )
    for order_id in _told_success(told, shop):
        credited = acedata.orders.get(shop[order_id]["upstream_ref"] or "")
        if credited is None or acedata.state(credited) != "Finished":
            yield Violation(
                "told success, not delivered",
                f"AceData order {order_id} was shown Done! but no credits were added",
                (order_id,),
            )


def _expired_quotes(db: Reader, presses: list[ExpiredQuotePress]) -> Iterable[Violation]:
    """Confirm on an expired quote re-quotes: the old order is never confirmed, nothing moves."""
    for press in presses:
        row = db.execute("SELECT status FROM orders WHERE id = ?", (press.order_id,)).fetchone()
        moved = db.execute(
            "SELECT COUNT(*) FROM ledger_transactions WHERE order_id = ?", (press.order_id,)
        ).fetchone()[0]
        about = (press.order_id, press.customer)
        if row is not None and row["status"] not in ("quoted", "cancelled"):
            yield Violation(
                "expired quote confirmed",
                f"order {press.order_id} was confirmed after its quote expired: {row['status']}",
                about,
            )
        if moved:
            yield Violation(
                "expired quote charged",
                f"{moved} ledger transactions for expired quote {press.order_id}",
                about,
            )
        if press.seen not in (*EXPIRED_ANSWERS.values(), "no answer"):
            yield Violation(
                "expired quote not told",
                f"Confirm on expired quote {press.order_id} showed {press.seen!r}",
                about,
            )


def upstream_summary(where: Where, upstreams: Upstreams) -> str:
    """What these lines' upstreams did, for the log: the faults that happened there, not only
    the ones armed."""
    kumquat = upstreams.topup
    reversed_ids = [order.request_no for order in kumquat.orders.values() if order.reversed]
    connection = read_only(where)
    try:
        marks = ",".join("?" * len(reversed_ids))
        statuses = (
            [
                row["status"]
                for row in connection.execute(
                    f"SELECT status FROM orders WHERE id IN ({marks})", reversed_ids
                )
            ]
            if reversed_ids
            else []
        )  # PostgreSQL takes no empty IN ()
    finally:
        connection.close()
    answers = sorted({str(forgery.status) for forgery in kumquat.forgeries})
    paid = sum(
        acedata_state in ACEDATA_PAID
        for acedata_state in map(upstreams.acedata.state, upstreams.acedata.orders.values())
    )
    return (
        f"KUMQUAT reversed {len(reversed_ids)} top-ups (the shop has them {sorted(statuses)}), "
        f"{len(kumquat.forgeries)} forged callbacks answered {answers}; "
        f"{len(upstreams.accounts.purchases)} accounts purchases; {paid} AceData orders paid"
    )
