"""The soak's audit of deposits and of the cloud and energy lines, judged on a small shop database:
each invariant passes a shop that did right and names the transfer or order when not."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

from sandbox.cloud import Account, CloudSimulator, Order
from sandbox.energy import EnergyOrder, EnergySimulator
from sandbox.soak.customers import Transfers
from sandbox.soak.invariants import WhatCustomersWereTold, audit

SCHEMA = """
CREATE TABLE orders (id TEXT, product TEXT, status TEXT, upstream_ref TEXT, charge INTEGER);
CREATE TABLE ledger_holds (id INTEGER PRIMARY KEY, order_id TEXT);
CREATE TABLE payments (reference TEXT, status TEXT);
CREATE TABLE ledger_accounts (id INTEGER PRIMARY KEY, code TEXT);
CREATE TABLE ledger_transactions (id INTEGER PRIMARY KEY, idempotency_key TEXT, kind TEXT);
CREATE TABLE ledger_entries (transaction_id INTEGER, account_id INTEGER, amount INTEGER);
"""


def shop_db(tmp_path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(tmp_path / "shop.sqlite3")
    db.executescript(SCHEMA)
    return db


def deposit(db: sqlite3.Connection, txid: str, user_id: int, amount: int) -> None:
    """The ledger's credit of a USDT transfer, and the payment it records."""
    key = f"deposit:usdt:{txid}"
    db.execute("INSERT INTO payments VALUES (?, 'credited')", (f"usdt:{txid}",))
    account = db.execute(
        "INSERT INTO ledger_accounts (code) VALUES (?)", (f"customer:{user_id}:wallet",)
    ).lastrowid
    transaction = db.execute(
        "INSERT INTO ledger_transactions (idempotency_key, kind) VALUES (?, 'deposit')", (key,)
    ).lastrowid
    db.execute("INSERT INTO ledger_entries VALUES (?, ?, ?)", (transaction, account, amount))


def judged(
    tmp_path: Path,
    transfers: Transfers | None = None,
    cloud: CloudSimulator | None = None,
    energy: EnergySimulator | None = None,
    **records: set[str],
) -> list[tuple[str, str]]:
    found = audit(
        tmp_path / "shop.sqlite3",
        cloud or CloudSimulator(),
        energy or EnergySimulator(),
        transfers or Transfers(),
        WhatCustomersWereTold(),
        **records,
    )
    return [(violation.invariant, violation.about[0]) for violation in found]


def test_a_transfer_credited_to_another_customer_is_a_violation(tmp_path: Path) -> None:
    transfers = Transfers()
    for txid, sender in (("right", 7), ("wrong", 7), ("short", 7), ("assigned", 7)):
        transfers.matching.append(txid)
        transfers.senders[txid] = (sender, 20_000_001)
    with shop_db(tmp_path) as db:
        deposit(db, "right", 7, 20_000_001)
        deposit(db, "wrong", 8, 20_000_001)  # the payments table says credited: it was, to 8
        deposit(db, "short", 7, 20_000_000)
        deposit(db, "assigned", 9, 20_000_001)  # an operator's /assign: their decision
    assert judged(tmp_path, transfers, assigned={"assigned"}) == [
        ("deposit not credited to its sender", "wrong"),
        ("deposit not credited to its sender", "short"),
    ]


def test_an_order_sold_must_be_delivered_and_a_delivered_one_sold(tmp_path: Path) -> None:
    cloud, energy = CloudSimulator(), EnergySimulator()
    account = Account("tencent", "200000000000", Decimal(0), Decimal(1))
    for sn, status in (("sn-paid", "paid"), ("sn-failed", "failed"), ("sn-refunded", "paid")):
        cloud.orders[sn] = Order(sn, account, Decimal(10), Decimal(10), status=status)
    energy.orders["e1"] = EnergyOrder("e1", "E-OK", "T", 65_000, "1H", 1, 0.0, "", "finish")
    energy.orders["e2"] = EnergyOrder("e2", "E-REVERSED", "T", 65_000, "1H", 1, 0.0, "", "finish")
    with shop_db(tmp_path) as db:
        db.executemany(
            "INSERT INTO orders VALUES (?, ?, ?, ?, 1)",
            [
                ("C-OK", "cloud", "succeeded", "sn-paid"),
                ("C-NOT-PAID", "cloud", "succeeded", "sn-failed"),
                ("C-OPERATOR", "cloud", "reversed", "sn-refunded"),
                ("E-OK", "energy", "succeeded", None),
                ("E-NOTHING", "energy", "succeeded", None),
                ("E-REVERSED", "energy", "reversed", None),  # by the shop, on its own
            ],
        )
    assert judged(tmp_path, cloud=cloud, energy=energy, refunded={"C-OPERATOR"}) == [
        ("delivered but not sold", "E-REVERSED"),
        ("sold, not delivered", "E-NOTHING"),
        ("sold, not delivered", "C-NOT-PAID"),
    ]
