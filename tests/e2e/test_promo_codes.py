"""Promo codes, end to end: operators create and end them in the admin group, customers apply a
discount on a purchase's confirmation or claim a gift with /promo, and the ledger holds each
discount and gift as a marketing cost, apart from the line's sales."""

from __future__ import annotations

import asyncio
import itertools

from sandbox.telegram import ChatDriver, ChatMessage
from storage.ledger import MARKETING, SALES
from tests.e2e.flows import CONFIRM, USDT, cloud_account, cloud_confirmation, new_customer
from tests.e2e.harness import Shop

PROMO = "🏷 Promo code"
_codes = itertools.count(1)


def fresh_code(stem: str) -> str:
    """A code no other test of the shared shop made."""
    return f"{stem}{next(_codes)}"


async def create(shop: Shop, terms: str) -> str:
    boss = shop.admin()
    await boss.send(f"/promo new {terms}")
    created = await boss.wait_for_bot()
    assert "Created" in created.text, created.text
    return terms.split()[0]


async def apply(customer: ChatDriver, code: str) -> ChatMessage:
    """On the confirmation screen: the promo button, then the code; returns the answer."""
    await customer.press(PROMO)
    assert "Send your promo code" in (await customer.wait_for_bot()).text
    await customer.send(code)
    return await customer.wait_for_bot()


async def balance(shop: Shop, account: str) -> int:
    return await shop.ledger.account_balance(account)


async def test_a_discount_is_shown_paid_and_booked_as_marketing(shop: Shop) -> None:
    code = await create(shop, f"{fresh_code('TEN')} 10% uses=100")
    sales, marketing = await balance(shop, SALES), await balance(shop, MARKETING)
    cleo, confirm = await cloud_confirmation(shop, 100 * USDT)
    assert "You pay 10.50 USDT" in confirm.text
    assert PROMO in confirm.labels

    applied = await apply(cleo, code.lower())  # typed in any case
    assert f"Promo code {code} applied: 1.05 USDT off" in applied.text
    assert f"Promo code {code}: 10.50 USDT − 1.05 USDT" in applied.text
    assert "You pay 9.45 USDT" in applied.text

    await cleo.press(CONFIRM)
    await cleo.wait_until(lambda m: "Done!" in m.text)
    available = (await shop.ledger.balance(cleo.user_id)).available
    assert available == 100 * USDT - 9_450_000
    # The line's sales are at list price; the discount is marketing's.
    assert await balance(shop, SALES) - sales == 10_500_000
    assert await balance(shop, MARKETING) - marketing == -1_050_000
    await shop.check_ledger()

    boss = shop.admin()
    await boss.send("/promos")
    listed = await boss.wait_for_bot()
    assert f"{code}: 10% off · 1 per customer · used 1/100 · cost 1.05 USDT" in listed.text
    await boss.send("/stats")
    stats = await boss.wait_for_bot()
    assert "Marketing (apart from the margins above): discounts" in stats.text


async def test_a_failed_purchase_does_not_use_up_the_discount(shop: Shop) -> None:
    code = await create(shop, f"{fresh_code('ONCE')} 2.50 uses=1")
    dana = await new_customer(shop, 100 * USDT, "Dana")
    await cloud_account(dana, "Tencent Cloud", "200000000409")  # its recharges fail
    await dana.press("50 USD")
    await dana.wait_for_bot()
    applied = await apply(dana, code)
    assert "You pay 50.00 USDT" in applied.text  # 52.50 less 2.50
    await dana.press(CONFIRM)
    failed = await dana.wait_until(lambda m: "could not be completed" in m.text)
    assert "50.00 USDT" in failed.text
    assert (await shop.ledger.balance(dana.user_id)).available == 100 * USDT
    await shop.check_ledger()

    # The one use was given back: the same customer can take it for the next purchase.
    await dana.send("/start")
    await dana.wait_for_bot()
    await cloud_account(dana, "Tencent Cloud", "200000000000")
    await dana.press("10 USD")
    await dana.wait_for_bot()
    again = await apply(dana, code)
    assert f"Promo code {code} applied: 2.50 USDT off" in again.text
    await dana.press(CONFIRM)
    await dana.wait_until(lambda m: "Done!" in m.text)
    assert (await shop.ledger.balance(dana.user_id)).available == 100 * USDT - 8 * USDT
    await shop.check_ledger()


async def test_two_customers_race_for_the_last_use_one_wins_one_is_told(shop: Shop) -> None:
    code = await create(shop, f"{fresh_code('LAST')} 1 uses=1")
    first, _ = await cloud_confirmation(shop, 100 * USDT)
    second, _ = await cloud_confirmation(shop, 100 * USDT)
    for customer in (first, second):
        assert "You pay 9.50 USDT" in (await apply(customer, code)).text

    await asyncio.gather(first.press(CONFIRM), second.press(CONFIRM))

    def ended(message: ChatMessage) -> bool:
        return "Done!" in message.text or "used up" in message.text

    outcomes = [await first.wait_until(ended), await second.wait_until(ended)]
    won = [message for message in outcomes if "Done!" in message.text]
    told = [message for message in outcomes if "used up" in message.text]
    assert len(won) == 1 and len(told) == 1, [message.text for message in outcomes]
    assert "nothing was charged" in told[0].text
    assert "You pay 10.50 USDT" in told[0].text  # the same purchase, without the code
    paid = sorted([(await shop.ledger.balance(c.user_id)).available for c in (first, second)])
    assert paid == [100 * USDT - 9_500_000, 100 * USDT]
    await shop.check_ledger()


async def test_each_bad_code_has_its_own_message_and_changes_nothing(shop: Shop) -> None:
    first_only = await create(shop, f"{fresh_code('FIRST')} 5% first")
    energy_only = await create(shop, f"{fresh_code('ENERGY')} 5% lines=energy")
    big_only = await create(shop, f"{fresh_code('BIG')} 5% min=1000")
    gift = await create(shop, f"{fresh_code('GIFT')} gift 1")
    ended = await create(shop, f"{fresh_code('OFF')} 5%")
    boss = shop.admin()
    await boss.send(f"/promo off {ended}")
    assert "ended: no new uses" in (await boss.wait_for_bot()).text
    once = await create(shop, f"{fresh_code('MINE')} 1")

    eva, _ = await cloud_confirmation(shop, 100 * USDT)
    # A first purchase uses `once`; after it, `first_only` is no longer hers.
    assert "applied" in (await apply(eva, once)).text
    await eva.press(CONFIRM)
    await eva.wait_until(lambda m: "Done!" in m.text)
    await eva.send("/start")
    await eva.wait_for_bot()
    await cloud_account(eva, "Tencent Cloud", "200000000000")
    await eva.press("10 USD")
    await eva.wait_for_bot()
    await eva.press(PROMO)
    await eva.wait_for_bot()
    for typed, expected in (
        ("NOSUCHCODE", "There is no such promo code"),
        ("<b>x</b>", "There is no such promo code"),
        ("１２３４", "There is no such promo code"),  # full-width digits are no code
        ("A" * 200, "There is no such promo code"),
        (ended, "That promo code has ended"),
        (energy_only, "not for this product"),
        (big_only, "too small for that promo code"),
        (first_only, "for a first purchase only"),
        (once, "You have already used that promo code"),
        (gift, "a gift to your balance, not a discount"),
    ):
        await eva.send(typed)
        answer = await eva.wait_for_bot()
        assert expected in answer.text, (typed, answer.text)
        assert "Send another code, or go back to the order" in answer.text
    await eva.press("⬅️ Back")
    back = await eva.wait_for_bot()
    assert "You pay 10.50 USDT" in back.text and "−" not in back.text
    await eva.press(CONFIRM)
    await eva.wait_until(lambda m: "Done!" in m.text)
    assert (await shop.ledger.balance(eva.user_id)).available == 100 * USDT - 9_500_000 - 10_500_000
    await shop.check_ledger()


async def test_a_gift_code_credits_the_balance_once(shop: Shop) -> None:
    code = await create(shop, f"{fresh_code('HELLO')} gift 5 uses=10")
    marketing = await balance(shop, MARKETING)
    fay = await new_customer(shop, 0, "Fay")
    await fay.send(f"/promo {code.lower()}")
    got = await fay.wait_for_bot()
    assert f"Promo code {code}: 5.00 USDT added to your balance. Balance: 5.00 USDT" in got.text
    await fay.send(f"/promo {code}")
    assert "You have already used that promo code" in (await fay.wait_for_bot()).text
    discount = await create(shop, f"{fresh_code('DISC')} 5%")
    await fay.send(f"/promo {discount}")
    assert "That code is a discount" in (await fay.wait_for_bot()).text
    await fay.send("/promo")
    assert "To claim a gift, send /promo and the code" in (await fay.wait_for_bot()).text
    assert (await shop.ledger.balance(fay.user_id)).available == 5 * USDT
    assert await balance(shop, MARKETING) - marketing == -5 * USDT
    await shop.check_ledger()


async def test_operators_bad_promo_commands_create_nothing(shop: Shop) -> None:
    boss = shop.admin()
    code = fresh_code("BAD")
    for command, expected in (
        (f"/promo new {code}", "say the code and what it gives"),
        (f"/promo new {code} 100%", "less than 100"),
        (f"/promo new {code} １０%", "not a percent"),
        (f"/promo new {code} 5% lines=moon", "lines must be some of"),
        (f"/promo new {code} 5% until=2000-01-01", "until is in the past"),
        (f"/promo new {code} gift", "say how much the gift is"),
        (f"/promo new {code} 5% colour=red", "unknown term"),
        ("/promo new <b>X</b> 5%", "a code is 3 to 32 letters"),
        ("/promo off NOSUCH", "No open promo code"),
        ("/promo", "Usage:"),
    ):
        await boss.send(command)
        reply = await boss.wait_for_bot()
        assert expected in reply.text, (command, reply.text)
    await boss.send("/promos")
    assert code not in (await boss.wait_for_bot()).text
