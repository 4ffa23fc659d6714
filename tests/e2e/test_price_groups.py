"""Price groups, end to end: an operator puts a customer in a group or a group takes customers by
what they spent; the customer sees their group, and their quotes use its markups."""

from __future__ import annotations

from sandbox.energy import DOCUMENT_ADDRESS
from storage.admin_log import AdminLog
from tests.e2e.flows import (
    CONFIRM,
    ONE_HOUR,
    USDT,
    cloud_confirmation,
    energy_address,
    new_customer,
    operator_says,
)
from tests.e2e.harness import Shop


async def test_a_wholesale_customers_quote_uses_the_groups_markup(shop: Shop) -> None:
    await operator_says(shop, "/setgroup wholesale cloud 1", "wholesale: cloud 1%")
    gia, retail = await cloud_confirmation(shop, 100 * USDT)
    assert "You pay 10.50 USDT" in retail.text  # retail: 5 %

    await operator_says(shop, f"/group {gia.user_id} wholesale", "now pays wholesale prices")
    await gia.send("/start")
    menu = await gia.wait_for_bot()
    assert "Your prices: wholesale" in menu.text
    await gia.press("☁️ Cloud recharge")
    await gia.wait_for_bot()
    await gia.press("Tencent Cloud")
    await gia.wait_for_bot()
    await gia.send("200000000000")
    await gia.wait_for_bot()
    await gia.press("10 USD")
    wholesale = await gia.wait_for_bot()
    assert "You pay 10.10 USDT" in wholesale.text
    await gia.press(CONFIRM)
    await gia.wait_until(lambda m: "Done!" in m.text)
    assert (await shop.ledger.balance(gia.user_id)).available == 100 * USDT - 10_100_000

    # Another customer still pays retail; the operator can take Gia back to it.
    _, other = await cloud_confirmation(shop, 100 * USDT)
    assert "You pay 10.50 USDT" in other.text
    await operator_says(shop, f"/group {gia.user_id} retail", "now pays retail prices")
    await gia.send("/start")
    assert "Your prices" not in (await gia.wait_for_bot()).text
    [put] = [a for a in await AdminLog(shop.db).about("customer", str(gia.user_id), limit=1)]
    assert (put.action, put.before, put.after) == ("group", "wholesale", "retail")
    await shop.check_ledger()


async def test_a_group_takes_customers_by_what_they_spent(own_shop: Shop) -> None:
    await operator_says(own_shop, "/setgroup reseller cloud 3", "reseller: cloud 3%")
    await operator_says(own_shop, "/setgroup reseller spend 50", "from 50.00 USDT spent")
    hana, first = await cloud_confirmation(own_shop, 100 * USDT, amount="50 USD")
    assert "You pay 52.50 USDT" in first.text  # retail until she spent 50
    await hana.press(CONFIRM)
    await hana.wait_until(lambda m: "Done!" in m.text)

    await hana.send("/start")
    assert "Your prices: reseller" in (await hana.wait_for_bot()).text
    await hana.press("☁️ Cloud recharge")
    await hana.wait_for_bot()
    await hana.press("Tencent Cloud")
    await hana.wait_for_bot()
    await hana.send("200000000000")
    await hana.wait_for_bot()
    await hana.press("10 USD")
    assert "You pay 10.30 USDT" in (await hana.wait_for_bot()).text
    # Energy has no reseller markup: retail, 0.65 USDT an hour for 65,000.
    await hana.send("/start")
    await hana.wait_for_bot()
    await energy_address(hana, DOCUMENT_ADDRESS)
    await hana.press("65,000 energy")
    assert ONE_HOUR in (await hana.wait_for_bot()).labels

    # An operator's word comes before spend, and `auto` gives it back.
    await operator_says(own_shop, f"/group {hana.user_id} retail", "retail prices")
    await operator_says(own_shop, f"/group {hana.user_id} auto", "now pays reseller prices")
    await operator_says(own_shop, "/groups", "reseller: cloud 3% · from 50.00 USDT spent")
    await own_shop.check_ledger()


async def test_bad_group_commands_change_nothing(shop: Shop) -> None:
    ivy = await new_customer(shop, 0, "Ivy")
    for command, expected in (
        ("/setgroup vip cloud 2000", "a markup is a percent from 0 to 1000"),
        ("/setgroup vip moon 5", "no product line 'moon'"),
        ("/setgroup retail cloud 5", "a group's name is 2 to 20 letters"),
        ("/setgroup <b>x</b> cloud 5", "a group's name is 2 to 20 letters"),
        ("/setgroup nosuch spend 10", "no price group 'nosuch'"),
        ("/setgroup window 0", "the window is 1 to 365 days"),
        ("/setgroup vip cloud ５", "a markup is a percent"),
        (f"/group {ivy.user_id} nosuch", "no price group 'nosuch'"),
        ("/group 999999999 retail", "no customer 999999999"),
        ("/group", "Usage:"),
    ):
        await operator_says(shop, command, expected)
    await ivy.send("/start")
    assert "Your prices" not in (await ivy.wait_for_bot()).text
