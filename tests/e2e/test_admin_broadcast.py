"""`/broadcast`: a message from the admin group to every customer, within Telegram's flood limits,
cancellable, and resumed after a restart without anyone getting it twice. Each test has a shop of
its own: a broadcast reaches every customer of the shop."""

from __future__ import annotations

import asyncio
import signal
from bisect import bisect_left

from sandbox.telegram.driver import ChatDriver
from sandbox.telegram.state import ChatMessage
from storage.admin_log import AdminLog
from storage.broadcasts import BroadcastStore, Delivery
from tests.e2e.harness import ADMIN_ID, Shop

NEWS = "Weekend sale: every energy rental 10 % off until Sunday!"


async def customers(shop: Shop, count: int) -> list[ChatDriver]:
    """`count` customers who each opened the shop with /start."""
    people = [shop.customer(f"Customer {n}") for n in range(count)]
    await asyncio.gather(*(person.send("/start") for person in people))
    await asyncio.gather(*(person.wait_for_bot(timeout=30) for person in people))
    return people


def copies(person: ChatDriver) -> list[ChatMessage]:
    return [message for message in person.bot_messages if message.text == NEWS]


async def ask_to_broadcast(boss: ChatDriver) -> ChatMessage:
    """The operator posts the news in the group and replies to it with /broadcast; returns the
    confirmation (after the preview)."""
    news = await boss.send(NEWS)
    await boss.send("/broadcast", reply_to=news.message_id)
    return await boss.wait_until(lambda m: "Send the message above" in m.text)


async def broadcast_under_way(boss: ChatDriver, people: list[ChatDriver]) -> ChatMessage:
    """The operator broadcasts the news to `people`; returns the confirmation message, now the
    progress, once a tenth of them have it (copies go out in the order customers joined)."""
    confirm = await ask_to_broadcast(boss)
    await boss.press(f"📣 Send to {len(people)} customers")
    await people[len(people) // 10].wait_until(lambda m: m.text == NEWS, timeout=30)
    return confirm


def finished(message: ChatMessage) -> bool:
    return "finished" in message.text or "cancelled" in message.text


async def test_a_broadcast_reaches_every_customer_once_within_the_flood_limit(
    own_shop: Shop,
) -> None:
    people = await customers(own_shop, 300)
    blocked = people[::100]  # three customers who blocked the bot
    for person in blocked:
        person.block_bot()
    own_shop.emulator.flood_limit_per_second = 30
    account = own_shop.emulator.bot()
    boss = own_shop.admin()

    confirm = await ask_to_broadcast(boss)
    assert "to 300 customers (every customer), now?" in confirm.text
    assert nobody_got_it(people)  # nothing goes out before the operator confirms
    await boss.press("📣 Send to 300 customers")
    progress = await boss.wait_for_message(
        confirm.message_id, lambda m: "sending" in m.text and "Sent: " in m.text
    )
    assert "✖️ Cancel broadcast" in progress.labels

    # Customers keep using the shop meanwhile: with the broadcast, more than 30 messages a second.
    busy = people[1:41]
    await asyncio.gather(*(person.send("/start") for person in busy))
    await asyncio.wait_for(asyncio.gather(*(welcomed_back(person) for person in busy)), 30)

    done = await boss.wait_for_message(confirm.message_id, finished, timeout=90)
    assert "✅ finished" in done.text
    assert "Sent: 297 of 300" in done.text
    assert "Blocked the bot: 3" in done.text
    assert "Failed: 0" in done.text
    assert done.labels == []
    # The emulator refused some copies and some replies; both were waited out and sent.
    assert account.flood_refusals["copyMessage"] > 0
    assert account.flood_refusals["sendMessage"] > 0

    for person in people:
        assert len(copies(person)) == (0 if person in blocked else 1), person.user_id
    sent_at = sorted(m.sent_at for person in people for m in copies(person))
    busiest = max(bisect_left(sent_at, t + 1.0) - i for i, t in enumerate(sent_at))
    assert busiest <= 25  # copies in any one second

    assert await BroadcastStore(own_shop.db, AdminLog(own_shop.db)).running() == []
    [started] = await AdminLog(own_shop.db).about("broadcast", "1")
    assert (started.admin_id, started.action, started.after) == (
        ADMIN_ID,
        "broadcast",
        "300 customers",
    )

    # Customers who blocked the bot are left out of the next broadcast, until they come back.
    own_shop.emulator.flood_limit_per_second = None
    await boss.send(f"/user {blocked[0].user_id}")
    assert "🔕 Blocked the bot" in (await boss.wait_for_bot()).text
    blocked[0].unblock_bot()
    await blocked[0].send("/start")
    await blocked[0].wait_for_bot()
    again = await boss.send("Second news")
    await boss.send("/broadcast", reply_to=again.message_id)
    confirm = await boss.wait_until(lambda m: "Send the message above" in m.text)
    assert "to 298 customers (every customer)" in confirm.text


async def welcomed_back(person: ChatDriver) -> None:
    """Until the customer's /start was answered (a broadcast copy may come before or after)."""
    async with person.chat.changed:
        await person.chat.changed.wait_for(
            lambda: any("Welcome back" in message.text for message in person.bot_messages)
        )


def nobody_got_it(people: list[ChatDriver]) -> bool:
    return all(not copies(person) for person in people)


async def test_a_broadcast_goes_on_after_a_restart_and_nobody_gets_it_twice(
    own_shop: Shop,
) -> None:
    people = await customers(own_shop, 150)
    boss = own_shop.admin()
    confirm = await broadcast_under_way(boss, people)

    assert own_shop.bot is not None
    await own_shop.bot.stop(signal.SIGTERM)  # as a deploy does, in the middle of it
    paused = own_shop.admin_group.chat.messages[confirm.message_id]
    assert "⏸ paused while the shop restarts" in paused.text
    assert "Sent: 150 of 150" not in paused.text
    await own_shop.start_bot()
    done = await boss.wait_for_message(confirm.message_id, finished, timeout=60)

    assert "✅ finished" in done.text
    assert "Sent: 150 of 150" in done.text
    assert "Resumed after a restart." in done.text
    assert all(len(copies(person)) == 1 for person in people)


async def test_a_crash_mid_broadcast_never_sends_twice(own_shop: Shop) -> None:
    people = await customers(own_shop, 100)
    boss = own_shop.admin()
    confirm = await broadcast_under_way(boss, people)

    await own_shop.restart_bot(signal.SIGKILL)  # no chance to finish the send under way
    done = await boss.wait_for_message(confirm.message_id, finished, timeout=60)

    deliveries = await BroadcastStore(own_shop.db, AdminLog(own_shop.db)).deliveries(1)
    sent = [user for user, state in deliveries.items() if state == Delivery.SENT]
    unsure = [user for user, state in deliveries.items() if state == Delivery.UNSURE]
    assert len(sent) + len(unsure) == 100 and len(unsure) <= 1
    assert f"Sent: {len(sent)} of 100" in done.text
    for person in people:
        got = len(copies(person))
        assert got == 1 if person.user_id in sent else got <= 1


async def test_an_operator_cancels_a_broadcast_and_the_rest_is_not_sent(own_shop: Shop) -> None:
    people = await customers(own_shop, 120)
    boss = own_shop.admin()
    second = own_shop.admin(900_002, "deputy")
    confirm = await broadcast_under_way(boss, people)

    await second.press("✖️ Cancel broadcast", message_id=confirm.message_id)
    done = await boss.wait_for_message(confirm.message_id, finished, timeout=30)
    assert "✖️ cancelled by 900002" in done.text
    reached = sum(len(copies(person)) for person in people)
    assert f"Sent: {reached} of 120" in done.text and reached < 120
    assert f"Not sent: {120 - reached}" in done.text
    await boss.settle(quiet=1.0)
    assert sum(len(copies(person)) for person in people) == reached  # nothing after the cancel
    [cancelled, _] = await AdminLog(own_shop.db).about("broadcast", "1")
    assert (cancelled.admin_id, cancelled.action) == (900_002, "cancelled broadcast")

    # Pressing Cancel again, or Send or Don't send on the same message again, changes nothing.
    await boss.press_data("bc:cancel:1", message_id=confirm.message_id)
    await boss.press_data(f"bc:send:{confirm.reply_to_message_id}", message_id=confirm.message_id)
    await boss.press_data(f"bc:drop:{confirm.reply_to_message_id}", message_id=confirm.message_id)
    await boss.settle()
    assert [a["text"] for a in boss.callback_answers[-3:]] == [
        "That broadcast has already ended.",
        "That message has been broadcast already.",
        "It is being sent already: Cancel broadcast stops it.",
    ]
    assert "✖️ cancelled" in own_shop.admin_group.chat.messages[confirm.message_id].text
    assert sum(len(copies(person)) for person in people) == reached


async def test_bad_broadcasts_send_nothing(own_shop: Shop) -> None:
    people = await customers(own_shop, 3)
    boss = own_shop.admin()

    await boss.send("/broadcast")
    assert (
        "Nothing sent. Reply to the message to send with /broadcast"
        in (await boss.wait_for_bot()).text
    )

    confirm = await ask_to_broadcast(boss)
    news_id = confirm.reply_to_message_id
    assert news_id is not None
    # Forged buttons: another message id on this confirmation, or this one on another message.
    await boss.press_data("bc:send:1", message_id=confirm.message_id)
    await boss.press_data(f"bc:send:{news_id}", message_id=news_id)
    await boss.press_data("bc:drop:1", message_id=confirm.message_id)
    await boss.settle()
    assert [a["text"] for a in boss.callback_answers[-3:]] == [
        "This button does not belong to this message."
    ] * 3
    await boss.press("✖️ Don't send")
    assert (await boss.wait_for_bot()).text == "📣 Not sent."

    # The operator deletes the message before confirming: the broadcast stops at once, says why.
    confirm = await ask_to_broadcast(boss)
    assert confirm.reply_to_message_id is not None
    own_shop.admin_group.chat.messages[confirm.reply_to_message_id].deleted = True
    await boss.press("📣 Send to 3 customers")
    stopped = await boss.wait_for_message(confirm.message_id, lambda m: "stopped" in m.text)
    assert "⚠️ stopped: the message can no longer be copied" in stopped.text
    assert "Sent: 0 of 3" in stopped.text and "Not sent: 3" in stopped.text

    # Not an operator, or not in the admin group: nothing at all.
    visitor = own_shop.group_visitor()
    seen = len(visitor.bot_messages)
    news = await visitor.send(NEWS)
    await visitor.send("/broadcast", reply_to=news.message_id)
    await visitor.settle()
    assert len(visitor.bot_messages) == seen
    private = own_shop.emulator.private_chat(user_id=ADMIN_ID, first_name="Operator")
    own = await private.send(NEWS)
    await private.send("/broadcast", reply_to=own.message_id)
    await private.settle()
    assert all("Send the message" not in m.text for m in private.bot_messages)
    assert nobody_got_it(people)


async def test_copies_whose_answer_was_lost_are_counted_unsure_and_never_sent_again(
    own_shop: Shop,
) -> None:
    people = await customers(own_shop, 5)
    boss = own_shop.admin()
    confirm = await ask_to_broadcast(boss)  # its preview is a copy too: before the failures
    own_shop.emulator.fail_through_gateway("copyMessage", times=2)
    await boss.press("📣 Send to 5 customers")
    done = await boss.wait_for_message(confirm.message_id, finished, timeout=30)
    assert "Sent: 3 of 5" in done.text
    assert "Unsure whether it arrived (never sent again): 2" in done.text
    # Telegram did deliver those two (only the answer was lost): still one copy each.
    assert all(len(copies(person)) == 1 for person in people)
