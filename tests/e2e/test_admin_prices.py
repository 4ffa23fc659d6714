"""Operators set markups and exchange rates; new quotes use them (a shop of its own: prices
change)."""

from __future__ import annotations

from storage.admin_log import AdminLog
from tests.e2e.flows import USDT, cloud_confirmation
from tests.e2e.harness import ADMIN_ID, Shop


async def test_a_new_markup_prices_new_quotes_and_is_recorded(own_shop: Shop) -> None:
    boss = own_shop.admin()
    await boss.send("/prices")
    prices = await boss.wait_for_bot()
    assert "cloud: 5 %" in prices.text and "energy: 10 %" in prices.text
    assert "TRX: 0.25" in prices.text and "VND: 0.000039" in prices.text

    await boss.send("/setmarkup cloud 10")
    assert (
        "The cloud markup is now 10 % (was 5 %), for new quotes."
        in (await boss.wait_for_bot()).text
    )
    _, confirm = await cloud_confirmation(own_shop, 100 * USDT)
    assert "You pay 11.00 USDT" in confirm.text  # 10 USD at rate 1.00, plus 10 %

    await boss.send("/setrate trx 0.3")
    assert (
        "The TRX rate is now 0.3 USDT (was 0.25), for new quotes."
        in (await boss.wait_for_bot()).text
    )
    [markup] = await AdminLog(own_shop.db).about("setting", "markup:cloud")
    assert (markup.admin_id, markup.before, markup.after) == (ADMIN_ID, "5", "10")


async def test_bad_markups_and_rates_change_nothing(own_shop: Shop) -> None:
    boss = own_shop.admin()
    for command, expected in (
        ("/setmarkup", "Not changed. Usage: /setmarkup LINE PERCENT"),
        ("/setmarkup cloud", "Not changed. Usage: /setmarkup LINE PERCENT"),
        ("/setmarkup shop 5", "no product line 'shop'"),
        ("/setmarkup cloud -1", "a markup is a percent from 0 to 1000"),
        ("/setmarkup cloud 5000", "a markup is a percent from 0 to 1000"),
        ("/setmarkup cloud １０", "a markup is a percent from 0 to 1000"),
        ("/setrate TRX 0", "a rate is a number above zero"),
        ("/setrate TRX abc", "a rate is a number above zero"),
        ("/setrate T 1", "a currency is 3 to 5 letters"),
        ("/setrate <b>X</b> 1", "a currency is 3 to 5 letters"),
    ):
        await boss.send(command)
        reply = await boss.wait_for_bot()
        assert expected in reply.text, (command, reply.text)
    await boss.send("/prices")
    prices = await boss.wait_for_bot()
    assert "cloud: 5 %" in prices.text and "TRX: 0.25" in prices.text
    assert await AdminLog(own_shop.db).about("setting", "markup:cloud") == []
