"""An order's details as typed records: each product line's part and the order service's
settlement facts go through storage and come back the same, under the very keys the shop always
stored (the soak and upstream reconciliation read them), and orders stored before the records
existed read into them."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from bot.services.details import Details
from bot.services.lines.accounts import AccountsDetails, AccountsLine
from bot.services.lines.accounts import Offer as AccountsOffer
from bot.services.lines.acedata import AceDataDetails, AceDataLine
from bot.services.lines.acedata import Offer as AceOffer
from bot.services.lines.cloud import CloudChannel, CloudDetails, CloudLine, CloudTarget
from bot.services.lines.energy import EnergyDetails, EnergyFailure, EnergyLine
from bot.services.lines.topup import TopupDetails, TopupLine, TopupTarget
from bot.services.orders import Failure, Settlement
from storage.orders import Order
from tests.unit.conftest import Books

ALICE = 7
# What a customer chose, as the shop always stored it (in an order's details, and in the data a
# conversation carries between its steps), and read into the lines' models.
CLOUD_STORED = {
    "channel": "qcloud",
    "uid": "200000000001",
    "served_by": "kelly_qcloud",
    "rate": "0.95",
    "balance": 12_340_000,
    "currency": "USD",
}
PHONE_STORED = {
    "account": "254771114118",
    "country_code": "KE",
    "country_name": "Kenya",
    "carrier_id": "safaricom",
    "carrier_name": "Safaricom",
}
SERVICE_STORED = {
    "service_id": 41,
    "name": "Facebook VN 2020",
    "kind": "facebook",
    "geo": "VN",
    "description": "aged",
    "unit_price": 12_000_000_000,
    "stock": 30,
    "minimum": 1,
    "maximum": 20,
}
PACKAGE_STORED = {
    "package_id": "pkg-chat-100",
    "service": "Chat",
    "title": "100 credits",
    "credits": 100,
    "price": 1_990_000,
}
CLOUD = CloudTarget.read(CLOUD_STORED)
PHONE = TopupTarget.read(PHONE_STORED)
SERVICE = AccountsOffer.read(SERVICE_STORED)
PACKAGE = AceOffer.read(PACKAGE_STORED)


async def _stored(books: Books, order_id: str, details: dict[str, Any]) -> Order:
    """An order written with `details` and read back from the database."""
    await books.orders.create(order_id, user_id=ALICE, product="any", charge=1, details=details)
    order = await books.orders.get(order_id)
    assert order is not None
    return order


def _quoted() -> list[tuple[Details, dict[str, Any]]]:
    """Each line's details as quoted, with the object the shop always stored for them."""
    return [
        (
            CloudDetails(**dict(CLOUD), money=50 * 10**6, cost=52_631_579),
            {**CLOUD_STORED, "money": 50 * 10**6, "cost": 52_631_579},
        ),
        (
            EnergyDetails(
                address="TXYZ", energy=65_000, period="1H", unit_price=90, cost=5_850_000
            ),
            {
                "address": "TXYZ",
                "energy": 65_000,
                "period": "1H",
                "unit_price": 90,
                "cost": 5_850_000,
            },
        ),
        (
            TopupDetails(
                **dict(PHONE),
                product_id=3,
                product_name="Airtime 100 KES",
                kind="HF",
                face_value=Decimal("100.00"),
                face_unit="KES",
            ),
            {
                **PHONE_STORED,
                "product_id": 3,
                "product_name": "Airtime 100 KES",
                "kind": "HF",
                "face_value": "100.00",
                "face_unit": "KES",
            },
        ),
        (
            AccountsDetails(offer=SERVICE, quantity=3, cost=36_000_000_000),
            {"offer": SERVICE_STORED, "quantity": 3, "cost": 36_000_000_000},
        ),
        (
            AceDataDetails(application_id="0b5e", pay_way="Stripe", **dict(PACKAGE)),
            {"application_id": "0b5e", "pay_way": "Stripe", **PACKAGE_STORED},
        ),
    ]


@pytest.mark.parametrize("index", range(5))
async def test_each_lines_details_go_through_storage_unchanged(books: Books, index: int) -> None:
    await books.customer(ALICE)
    details, as_always = _quoted()[index]
    assert details.dump() == as_always
    order = await _stored(books, f"o{index}", details.dump())
    assert order.details == as_always
    assert type(details).of(order) == details


async def test_the_settlement_goes_through_storage_beside_the_lines_details(books: Books) -> None:
    await books.customer(ALICE)
    details, as_always = _quoted()[0]
    settlement = Settlement(
        store_rate=Decimal("1.0000"),
        markup_percent=Decimal("5"),
        screen_message_id=42,
        failure=Failure.PRICE_CHANGED,
        refunded=10_500_000,
        refunded_by_operator=True,
        upstream_owes_refund=True,
        delivered_after_refund=True,
    )
    order = await _stored(books, "o1", {**details.dump(), **settlement.dump()})
    assert order.details == {
        **as_always,
        "store_rate": "1.0000",
        "markup_percent": "5",
        "screen_message_id": 42,
        "failure": "price-changed",
        "refunded": 10_500_000,
        "refunded_by_operator": True,
        "upstream_owes_refund": True,
        "delivered_after_refund": True,
    }
    assert Settlement.of(order) == settlement
    assert CloudDetails.of(order) == details  # each part reads its own keys only


async def test_orders_stored_in_todays_shape_read_into_the_models(books: Books) -> None:
    """Rows exactly as the shop wrote them before the records, settled and all."""
    await books.customer(ALICE)
    settled = {
        "store_rate": "1",
        "markup_percent": "5",
        "screen_message_id": None,
        "failure": "not-delivered",
        "refunded": 10_500_000,
    }
    cloud = await _stored(
        books,
        "c",
        {
            "channel": "qcloud",
            "uid": "200000000000",
            "served_by": "qcloud",
            "rate": "1.00",
            "balance": 0,
            "currency": "USD",
            "money": 10_000_000,
            "cost": 10_000_000,
            **settled,
            "sn": "ba2026",
            "recharge_amount": 10_000_000,
            "pay_sent_at": "2026-11-22T13:45:12.123456+00:00",
            "upstream_status": "failed",
            "paid_at": None,
        },
    )
    read = CloudDetails.of(cloud)
    assert (read.channel, read.rate, read.sn, read.pay_sent_at) == (
        CloudChannel.TENCENT,
        Decimal("1.00"),
        "ba2026",
        "2026-11-22T13:45:12.123456+00:00",
    )
    assert read.target == CloudTarget(
        channel=CloudChannel.TENCENT,
        uid="200000000000",
        served_by="qcloud",
        rate=Decimal("1.00"),
        balance=0,
        currency="USD",
    )
    settlement = Settlement.of(cloud)
    assert (settlement.failure, settlement.refunded, settlement.store_rate) == (
        Failure.NOT_DELIVERED,
        10_500_000,
        Decimal(1),
    )
    assert settlement.screen_message_id is None and not settlement.refunded_by_operator

    energy = EnergyDetails.of(
        await _stored(
            books,
            "e",
            {
                "address": "TXYZ",
                "energy": 65_000,
                "period": "1H",
                "unit_price": 90,
                "cost": 5_850_000,
                "order_no": "E1",
                "charged": 5_850_000,
                "upstream_status": "ABORT",
                "paid_sun": 5_850_000,
                "refund_sun": 0,
                "energy_failure": "aborted",
                **settled,
            },
        )
    )
    assert (energy.energy_failure, energy.out_trade_no_used) == (EnergyFailure.ABORTED, False)

    # A top-up quoted before units were read says its face value's currency instead.
    topup = TopupDetails.of(
        await _stored(
            books,
            "t",
            {
                **PHONE_STORED,
                "product_id": 3,
                "product_name": "Airtime 100 KES",
                "kind": "HF",
                "face_value": "100",
                "face_currency": "KES",
                "refusal": "carrier_unknown",
                **settled,
            },
        )
    )
    assert (topup.unit, topup.face_value, topup.refusal) == ("KES", Decimal(100), "carrier_unknown")
    assert topup.target == PHONE
    assert topup.target.dump() == PHONE_STORED

    accounts = AccountsDetails.of(
        await _stored(
            books,
            "a",
            {
                "offer": SERVICE_STORED,
                "quantity": 2,
                "cost": 24_000_000_000,
                "accounts": ["user1|pass1", "user2|pass2"],
                "shop_order_id": "S9",
                "store_rate": "0.00004",
                "markup_percent": "5",
            },
        )
    )
    assert (accounts.offer, accounts.accounts) == (SERVICE, ["user1|pass1", "user2|pass2"])
    assert "pass1" not in repr(accounts)  # the customer's secrets stay out of logs

    ace = AceDataDetails.of(
        await _stored(
            books,
            "d",
            {
                "application_id": "0b5e",
                "pay_way": "Stripe",
                **PACKAGE_STORED,
                "state": "Pending",
                "paid_price": 2_000_000,
                "pay_url": "https://pay.example/1",
                **settled,
            },
        )
    )
    assert (ace.asked, ace.pay_url, ace.create) == (2_000_000, "https://pay.example/1", None)


async def test_a_failure_this_version_does_not_know_reads_as_not_delivered(books: Books) -> None:
    await books.customer(ALICE)
    order = await _stored(books, "o", {"failure": "some-older-reason"})
    assert Settlement.of(order).failure == Failure.NOT_DELIVERED


@pytest.mark.parametrize(
    ("model", "stored"),
    [
        (CloudTarget, CLOUD_STORED),
        (TopupTarget, PHONE_STORED),
        (AccountsOffer, SERVICE_STORED),
        (AceOffer, PACKAGE_STORED),
    ],
    ids=["cloud", "topup", "accounts", "acedata"],
)
def test_a_customers_choices_are_carried_in_the_shape_they_are_stored(
    model: type[Details], stored: dict[str, Any]
) -> None:
    """A conversation carries a line's choices between its steps in the very shape the order's
    details store them, the shape of the versions before: one in progress across an upgrade
    reads on."""
    chosen = model.read(stored)
    assert chosen.dump() == stored
    assert model.read(json.loads(json.dumps(chosen.dump()))) == chosen


def test_facts_noted_later_are_stored_under_the_models_own_keys() -> None:
    assert CloudDetails.facts(sn="ba1", recharge_amount=5) == {"sn": "ba1", "recharge_amount": 5}
    assert EnergyDetails.facts(energy_failure=EnergyFailure.PERIOD) == {"energy_failure": "period"}
    with pytest.raises(TypeError, match="no field paid"):
        CloudDetails.facts(paid=True)


def test_each_line_names_the_model_of_its_details() -> None:
    """So a reader of any order (an operator's card, an export) finds its model by its line."""
    assert CloudLine.details_model is CloudDetails
    assert EnergyLine.details_model is EnergyDetails
    assert TopupLine.details_model is TopupDetails
    assert AccountsLine.details_model is AccountsDetails
    assert AceDataLine.details_model is AceDataDetails
