"""The soak's reading of the top-up, accounts and AceData screens, and its audit of those lines and
of expired quotes: each invariant holds for a shop that did right and names the order when not."""

from __future__ import annotations

import random
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from sandbox.accounts_shop import AccountShopSimulator, Purchase
from sandbox.kumquat import Forgery, Product, TopUp
from sandbox.soak.invariants import WhatCustomersWereTold
from sandbox.soak.line_audit import audit_lines
from sandbox.soak.purchases import (
    ExpiredQuotePress,
    accounts_outcome,
    acedata_outcome,
    choose_goods,
    goods,
    quote_of,
)
from sandbox.telegram import ChatMessage
from sandbox.telegram.state import Button, Chat, StoredFile
from sandbox.upstreams import Upstreams
from tests.sandbox.test_soak_helpers import SHOP, bot_says

AIRTIME = Product(
    19_417, "Safaricom Airtime 100 KES", "HF", "3001", "KE", Decimal(100), "KES", Decimal("0.75")
)


def accounts_file(name: str, content: bytes) -> StoredFile:
    return StoredFile("f1", "u1", name, "text/plain", content)


def screen(text: str = "", labels: tuple[str, ...] = ()) -> ChatMessage:
    buttons = [[Button(text=label, callback_data=f"x:{label}")] for label in labels]
    return ChatMessage(1, 1, SHOP, 0, text=text, buttons=buttons)


def shop_db(tmp_path: Path, orders: list[tuple[str, str, str, str | None]]) -> Path:
    """A shop database with the columns the auditor reads: (id, product, status, upstream_ref)."""
    path = tmp_path / "shop.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE orders (id TEXT, product TEXT, status TEXT, upstream_ref TEXT)")
        db.execute("CREATE TABLE ledger_transactions (id INTEGER PRIMARY KEY, order_id TEXT)")
        db.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)", orders)
    return path


def topped_up(upstreams: Upstreams, request_no: str, status: str = "SUCCESS") -> TopUp:
    order = TopUp(
        request_no,
        f"serial-{request_no}",
        AIRTIME,
        "254771114118",
        status,
        None,
        "2026-01-01 00:00:00",
        ending="SUCCESS",
    )
    upstreams.topup.orders[request_no] = order
    return order


def test_the_goods_of_a_screen_are_its_choices_not_its_steps() -> None:
    offers = screen(labels=("100 KES · 0.79 USDT", "500 KES · 3.92 USDT", "⬅️ Back", "✖️ Cancel"))
    assert goods(offers) == ["100 KES · 0.79 USDT", "500 KES · 3.92 USDT"]
    assert quote_of("ord:confirm:260101120000123456") == "260101120000123456"


def test_a_file_of_accounts_and_a_pay_link_are_outcomes() -> None:
    done = screen()
    done.document = accounts_file("accounts-111.txt", b"1|p|c\n")
    assert accounts_outcome(done) == "succeeded"
    assert accounts_outcome(screen("❌ Order 111 could not be completed.")) == "failed"
    link = screen("💳 Order 222: pay 49.99 USD with 💳 Card on AceData's page, with the button")
    assert acedata_outcome(link) == "awaiting payment"
    assert acedata_outcome(screen("✅ Done! Order 222: 500 credits added")) == "succeeded"


def test_a_top_up_reversed_upstream_must_be_refunded_and_told(tmp_path: Path) -> None:
    upstreams = Upstreams()
    told = WhatCustomersWereTold()
    for request_no in ("1", "2", "3"):
        topped_up(upstreams, request_no).reversed = True
    db = shop_db(
        tmp_path,
        [
            ("1", "topup", "reversed", "serial-1"),
            ("2", "topup", "succeeded", "serial-2"),
            ("3", "topup", "reversed", "serial-3"),
        ],
    )
    chat = Chat(7, "private")
    told.watch(chat)
    bot_says(chat, "↩️ Order 1 was reported done, then the supplier reversed it. 0.79 USDT …")
    found = audit_lines(db, upstreams, told, [chat], [])
    assert [(v.invariant, v.about[0]) for v in found] == [
        ("reversed upstream, not refunded", "2"),
        ("reversed, not told", "3"),
    ]


def test_top_ups_sold_without_delivery_or_delivered_unsold_are_violations(tmp_path: Path) -> None:
    upstreams = Upstreams()
    topped_up(upstreams, "1")
    topped_up(upstreams, "2", status="FAIL").ending = "FAIL"
    topped_up(upstreams, "9")  # no shop order names it
    db = shop_db(
        tmp_path, [("1", "topup", "failed", "serial-1"), ("2", "topup", "succeeded", None)]
    )
    found = audit_lines(db, upstreams, WhatCustomersWereTold(), [], [])
    assert [(v.invariant, v.about[0]) for v in found] == [
        ("delivered but not sold", "1"),
        ("sold, not delivered", "2"),
        ("upstream order without a shop order", "9"),
    ]


def test_a_forged_callback_answered_success_is_a_violation(tmp_path: Path) -> None:
    upstreams = Upstreams()
    upstreams.topup.forgeries += [
        Forgery("wrong signature", "1", 401, "FAIL: bad signature"),
        Forgery("another order's serial", "1", 200, "SUCCESS"),
    ]
    [violation] = audit_lines(shop_db(tmp_path, []), upstreams, WhatCustomersWereTold(), [], [])
    assert violation.invariant == "forged callback accepted"
    assert "another order's serial" in violation.detail


def test_accounts_told_done_must_arrive_as_their_file(tmp_path: Path) -> None:
    upstreams = Upstreams()
    shop_api: AccountShopSimulator = upstreams.accounts
    shop_api.purchases["1"] = Purchase("ORDER_1", 4, 1, ["a|p1|c"])
    shop_api.purchases["2"] = Purchase("ORDER_2", 4, 1, ["b|p2|c"])
    db = shop_db(
        tmp_path, [("1", "accounts", "succeeded", None), ("2", "accounts", "succeeded", None)]
    )
    chat = Chat(7, "private")
    told = WhatCustomersWereTold()
    told.watch(chat)
    bot_says(chat, "✅ Done! Order 1: 1 × Outlook fresh; the accounts are in the file")
    bot_says(chat, "✅ Done! Order 2: 1 × Outlook fresh; the accounts are in the file")
    document = ChatMessage(
        chat.next_message_id(),
        chat.id,
        SHOP,
        0,
        document=accounts_file("accounts-1.txt", b"a|p1|c\n"),
    )
    chat.messages[document.message_id] = document
    [violation] = audit_lines(db, upstreams, told, [chat], [])
    assert violation.invariant == "told success, accounts not received"
    assert violation.about == ("2",)


def test_an_expired_quote_must_charge_nothing_and_say_so(tmp_path: Path) -> None:
    db = shop_db(
        tmp_path,
        [
            ("1", "topup", "cancelled", None),
            ("2", "topup", "succeeded", None),
            ("3", "topup", "cancelled", None),
        ],
    )
    with sqlite3.connect(db) as connection:
        connection.execute("INSERT INTO ledger_transactions (order_id) VALUES ('2')")
    presses = [
        ExpiredQuotePress("Ana", "1", "told expired"),
        ExpiredQuotePress("Bao", "2", "told expired"),
        ExpiredQuotePress("Chen", "3", "⏳ Processing order 3…"),
    ]
    found = audit_lines(db, Upstreams(), WhatCustomersWereTold(), [], presses)
    assert [(v.invariant, v.about[0]) for v in found] == [
        ("expired quote confirmed", "2"),
        ("expired quote charged", "2"),
        ("expired quote not told", "3"),
    ]


def test_goods_delivered_then_refunded_by_an_operator_were_sold(tmp_path: Path) -> None:
    """An operator's /refund of a delivered order reverses it: the goods stay where they went and
    the money goes back. A delivered order the shop reversed on its own was not sold."""
    upstreams = Upstreams()
    for request_no in ("1", "3"):
        topped_up(upstreams, request_no)
    upstreams.accounts.purchases["2"] = Purchase("2", 1, 1, ["u|p|c"])
    db = shop_db(
        tmp_path,
        [
            ("1", "topup", "reversed", "serial-1"),
            ("2", "accounts", "reversed", "trans-2"),
            ("3", "topup", "reversed", "serial-3"),
        ],
    )
    found = audit_lines(db, upstreams, WhatCustomersWereTold(), [], [], refunded={"1", "2"})
    assert [(v.invariant, v.about[0]) for v in found] == [("delivered but not sold", "3")]


def test_a_screen_without_goods_is_one_the_customer_gives_up_on() -> None:
    """A late screen from an earlier step has nothing to buy: the customer gives up on the action
    (an AssertionError, as for a screen that never came) instead of stopping the whole run."""
    rng = random.Random(1)
    assert choose_goods(rng, screen(labels=("1 GB · 1.26 USDT", "⬅️ Back"))) == "1 GB · 1.26 USDT"
    with pytest.raises(AssertionError, match="nothing to choose"):
        choose_goods(rng, screen("💰 Wallet", labels=("⬅️ Back", "✖️ Cancel")))
