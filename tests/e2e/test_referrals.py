"""Referrals, end to end: a customer's link brings a new customer, whose delivered purchases earn
the referrer a reward from the marketing account once the settling period is over; a refund or
reversal before then voids it."""

from __future__ import annotations

import re

import pytest

from sandbox.telegram import ChatDriver
from storage.ledger import MARKETING
from tests.e2e.flows import (
    CONFIRM,
    USDT,
    cloud_account,
    new_customer,
    operator_says,
    orders_of,
    wallet_of,
)
from tests.e2e.harness import Shop

INVITE = "👥 Invite friends"
LINK = re.compile(r"https://t\.me/(\w+)\?start=(r_[a-z0-9]+)")


@pytest.fixture(autouse=True)
def quick_upstream(shop: Shop) -> None:
    """KUMQUAT finishes a top-up and calls back within a few hundredths of a second."""
    shop.topup.process_seconds = 0.02
    shop.topup.callback_delay = 0.02


async def invitation(customer: ChatDriver) -> str:
    """The start payload of the customer's link, read off their Invite friends screen."""
    await customer.send("/start")
    await customer.wait_for_bot()
    await customer.press(INVITE)
    screen = await customer.wait_for_bot()
    found = LINK.search(screen.text)
    assert found is not None, screen.text
    return found.group(2)


async def invited(shop: Shop, payload: str, name: str) -> ChatDriver:
    friend = shop.customer(name)
    await friend.send(f"/start {payload}")
    await friend.wait_for_bot()
    await shop.deposit(friend, 100 * USDT, key=f"e2e-deposit-{friend.user_id}")
    return friend


async def test_a_friends_purchase_pays_the_referrer_after_settling(shop: Shop) -> None:
    await operator_says(shop, "/setreferral cloud 10 amount", "cloud: 10% of the amount")
    await operator_says(shop, "/setreferral settle 0", "Paid 0 hours after delivery")
    ann = await new_customer(shop, 0, "Ann")
    payload = await invitation(ann)
    screen = ann.last_bot_message
    assert screen is not None
    assert "☁️ Cloud recharge: 10% of what they pay" in screen.text
    assert "Friends who joined: 0" in screen.text
    await ann.press("📷 QR code")
    qr = await ann.wait_for_bot()
    assert qr.photo is not None and payload in qr.text

    marketing = await shop.ledger.account_balance(MARKETING)
    ben = await invited(shop, payload, "Ben")
    await cloud_account(ben, "Tencent Cloud", "200000000000")
    await ben.press("10 USD")
    await ben.wait_for_bot()
    await ben.press(CONFIRM)
    await ben.wait_until(lambda m: "Done!" in m.text)

    paid = await ann.wait_until(lambda m: "A friend you invited made a purchase" in m.text)
    assert "1.05 USDT added to your balance. Balance: 1.05 USDT" in paid.text
    assert await wallet_of(shop, ann) == (1_050_000, 0)
    assert await shop.ledger.account_balance(MARKETING) - marketing == -1_050_000
    await invitation(ann)
    again = ann.last_bot_message
    assert again is not None
    assert "Friends who joined: 1 · earned: 1.05 USDT · on the way: 0.00 USDT" in again.text
    await ann.press("⬅️ Back")
    await ann.wait_for_bot()
    await ann.press("💰 Wallet")
    assert "Referral reward" in (await ann.wait_for_bot()).text
    await operator_says(shop, "/stats", "referral rewards 1.05 USDT in 1")
    await shop.check_ledger()


async def test_a_reward_is_voided_when_the_top_up_is_reversed_first(shop: Shop) -> None:
    await operator_says(shop, "/setreferral topup 50 amount", "topup: 50% of the amount")
    await operator_says(shop, "/setreferral settle 24", "Paid 24 hours after delivery")
    cleo = await new_customer(shop, 0, "Cleo")
    dan = await invited(shop, await invitation(cleo), "Dan")
    await dan.press("📱 Mobile top-up")
    await dan.wait_for_bot()
    await dan.send("254771114118")
    await dan.wait_for_bot()
    await dan.press("📶 Airtime")
    await dan.wait_for_bot()
    await dan.press("100 KES · 0.79 USDT")
    await dan.wait_for_bot()
    await dan.press(CONFIRM)
    await dan.wait_until(lambda m: "Done!" in m.text)
    [(order_id, _)] = await orders_of(shop, dan.user_id)
    [pending] = await shop.db.fetch_all(
        "SELECT amount, status FROM referral_rewards WHERE order_id = ?", (order_id,)
    )
    assert (pending["amount"], pending["status"]) == (390_000, "pending")

    shop.topup.reverse(shop.topup.orders[order_id].serial_no)
    await dan.wait_until(lambda m: "reversed" in m.text)
    [voided] = await shop.db.fetch_all(
        "SELECT status FROM referral_rewards WHERE order_id = ?", (order_id,)
    )
    assert voided["status"] == "voided"
    await operator_says(shop, "/setreferral settle 0", "Paid 0 hours")
    await invitation(cleo)  # a release run has had time to pass: it pays nothing voided
    screen = cleo.last_bot_message
    assert screen is not None
    assert "Friends who joined: 1 · earned: 0.00 USDT · on the way: 0.00 USDT" in screen.text
    assert await wallet_of(shop, cleo) == (0, 0)
    await shop.check_ledger()


async def test_only_a_new_customers_first_start_through_a_link_makes_a_referral(
    shop: Shop,
) -> None:
    eve = await new_customer(shop, 0, "Eve")
    payload = await invitation(eve)
    await eve.send(f"/start {payload}")  # her own link
    await eve.wait_for_bot()
    known = await new_customer(shop, 0, "Finn")  # started the shop before
    await known.send(f"/start {payload}")
    await known.wait_for_bot()
    for forged in ("r_zzzzzzzz", "r_<b>x</b>", "r_" + "a" * 300, "r_１２３４５６７８"):
        stranger = shop.customer("Gus")
        await stranger.send(f"/start {forged}")
        assert "Welcome" in (await stranger.wait_for_bot()).text
    first = await invited(shop, payload, "Hal")
    other = await new_customer(shop, 0, "Ida")
    await first.send(f"/start {await invitation(other)}")  # a second referrer: ignored
    await first.wait_for_bot()
    rows = await shop.db.fetch_all(
        "SELECT user_id FROM referrals WHERE referrer_id IN (?, ?)", (eve.user_id, other.user_id)
    )
    assert [row["user_id"] for row in rows] == [first.user_id]


async def test_operators_bad_referral_terms_change_nothing(shop: Shop) -> None:
    for command, expected in (
        ("/setreferral moon 5 amount", "no product line 'moon'"),
        ("/setreferral cloud 80 amount", "a share is a percent from 0 to 50"),
        ("/setreferral cloud ５ amount", "a share is a percent from 0 to 50"),
        ("/setreferral cloud 5 profit", "margin or the amount"),
        ("/setreferral settle -1", "the settling period is 0 to"),
        ("/setreferral cloud", "Usage:"),
    ):
        await operator_says(shop, command, expected)
