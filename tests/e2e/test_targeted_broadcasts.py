"""Targeted broadcasts, end to end: a segment of the customers (by language, line bought, price
group, deposits, inactivity), buttons under each copy, a preview with the audience size, and a
time to send at. Each test has a shop of its own, so "exactly that segment" can be checked."""

from __future__ import annotations

import asyncio

from sandbox.telegram.driver import ChatDriver
from sandbox.telegram.state import ChatMessage
from tests.e2e.flows import CONFIRM, USDT, cloud_confirmation, operator_says
from tests.e2e.harness import Shop

NEWS = "Weekend sale: cloud recharges without a markup!"


async def joined(shop: Shop, name: str, language: str = "en") -> ChatDriver:
    person = shop.customer(name, language_code=language)
    await person.send("/start")
    await person.wait_for_bot()
    return person


async def confirmation(boss: ChatDriver, terms: str) -> tuple[ChatMessage, ChatMessage]:
    """The news, replied to with `/broadcast terms`: (the preview, the confirmation)."""
    news = await boss.send(NEWS)
    await boss.send(f"/broadcast {terms}", reply_to=news.message_id)
    confirm = await boss.wait_until(
        lambda m: "Send the message above" in m.text and m.reply_to_message_id == news.message_id
    )
    preview = [m for m in boss.bot_messages if m.text == NEWS][-1]  # the newest copy
    return preview, confirm


def got_it(person: ChatDriver) -> list[ChatMessage]:
    return [m for m in person.bot_messages if m.text == NEWS]


async def test_a_broadcast_to_one_segment_reaches_exactly_it_with_its_buttons(
    own_shop: Shop,
) -> None:
    ann = await joined(own_shop, "Ann")
    bo = await joined(own_shop, "Bo", "zh")
    cy, _ = await cloud_confirmation(own_shop, 100 * USDT)  # English, and buys
    await cy.press(CONFIRM)
    await cy.wait_until(lambda m: "Done!" in m.text)
    di = await joined(own_shop, "Di", "zh")
    boss = own_shop.admin()

    preview, confirm = await confirmation(
        boss, 'lang=zh button="立即购买|cloud" button="Our channel|https://t.me/shop_news"'
    )
    assert preview.labels == ["立即购买", "Our channel"]
    assert preview.buttons[1][0].url == "https://t.me/shop_news"
    assert "to 2 customers (language zh), now?" in confirm.text
    assert not any(got_it(person) for person in (ann, bo, cy, di))  # not before "Send"
    await boss.press("📣 Send to 2 customers")
    done = await boss.wait_for_message(confirm.message_id, lambda m: "finished" in m.text)
    assert "To: language zh" in done.text and "Sent: 2 of 2" in done.text
    assert [len(got_it(person)) for person in (ann, bo, cy, di)] == [0, 1, 0, 1]

    # A button opens its place in the menu, in the customer's own chat.
    copy = got_it(bo)[0]
    assert copy.labels == ["立即购买", "Our channel"]
    await bo.press("立即购买", message_id=copy.message_id)
    assert "腾讯云" in (await bo.wait_for_bot()).labels  # the cloud recharge screen, in Chinese

    _, bought = await confirmation(boss, "bought=cloud")
    assert "to 1 customer (bought cloud)" in bought.text
    _, deposited = await confirmation(boss, "deposited=no lang=en")
    assert "to 1 customer (language en · never deposited)" in deposited.text  # Ann

    await operator_says(own_shop, "/setgroup vip cloud 2", "vip: cloud 2%")
    await operator_says(own_shop, f"/group {di.user_id} vip", "now pays vip prices")
    _, vip = await confirmation(boss, "group=vip")
    assert "to 1 customer (group vip)" in vip.text
    await boss.press("📣 Send to 1 customer")
    await boss.wait_for_message(vip.message_id, lambda m: "finished" in m.text)
    # (Bo's copy became the cloud screen when he pressed its button, as any button does.)
    assert [len(got_it(person)) for person in (ann, cy, di)] == [0, 0, 2]

    # A customer of long ago who never bought: "inactive".
    async with own_shop.db.write() as tx:
        await tx.execute(
            "UPDATE users SET created_at = '2020-01-01T00:00:00.000000Z' WHERE id = ?",
            (ann.user_id,),
        )
    _, inactive = await confirmation(boss, "inactive=30")
    assert "to 1 customer (inactive 30 days)" in inactive.text
    await own_shop.check_ledger()


async def test_a_broadcast_waits_for_its_time(own_shop: Shop) -> None:
    eve = await joined(own_shop, "Eve")
    boss = own_shop.admin()
    _, confirm = await confirmation(boss, "in=6s")
    assert "to 1 customer (every customer), at " in confirm.text
    await boss.press("📣 Send to 1 customer")
    waiting = await boss.wait_for_message(confirm.message_id, lambda m: "⏰" in m.text)
    assert "⏰ to be sent at " in waiting.text and "Sent: 0 of 1" in waiting.text
    await asyncio.sleep(2)
    assert got_it(eve) == []  # not before its time
    done = await boss.wait_for_message(
        confirm.message_id, lambda m: "finished" in m.text, timeout=30
    )
    assert "Sent: 1 of 1" in done.text
    assert len(got_it(eve)) == 1


async def test_bad_terms_send_nothing(own_shop: Shop) -> None:
    fay = await joined(own_shop, "Fay")
    boss = own_shop.admin()
    for terms, expected in (
        ("lang=fr", "lang is one of en, vi, zh"),
        ("bought=moon", "bought is one of"),
        ("group=nosuch", "group is one of retail"),
        ("deposited=maybe", "deposited is one of no, yes"),
        ("inactive=0", "inactive is a number of days"),
        ('button="x|ftp://a"', "a button opens an https:// address or one of"),
        ('button="|cloud"', 'a button is "LABEL|TARGET"'),
        ('button="a|menu" button="b|menu" button="c|menu" button="d|menu"', "at most 3 buttons"),
        ("at=2020-01-01T00:00", "that time is past"),
        ("at=tomorrow", "at is a UTC time like"),
        ("in=90d", "held back at most 31 days"),
        ('button="open', "a quote is not closed"),
        ("colour=red", "unknown term 'colour'"),
        ("lang", "not a term"),
        ("lang=vi", "no customer would receive it (language vi)"),
    ):
        news = await boss.send(NEWS)
        await boss.send(f"/broadcast {terms}", reply_to=news.message_id)
        answer = await boss.wait_for_bot()
        assert "Nothing sent" in answer.text and expected in answer.text, (terms, answer.text)
    await boss.settle()
    assert got_it(fay) == []
