"""The broadcast records that make a restart resume without sending to anyone twice."""

from __future__ import annotations

from storage.admin_log import AdminLog
from storage.broadcasts import BroadcastStatus, BroadcastStore, Delivery
from tests.unit.conftest import Books

SOURCE, PROGRESS = (-100, 7), (-100, 8)


async def test_each_customer_is_sent_to_once_and_a_crash_leaves_them_unsure(books: Books) -> None:
    store = BroadcastStore(books.db, AdminLog(books.db))
    for user in (1, 2, 3, 4):
        await books.customer(user)
    await books.customers.set_banned(4, True)

    broadcast = await store.create(900, SOURCE, PROGRESS)
    assert broadcast is not None
    assert await store.create(900, SOURCE, PROGRESS) is None  # the same message, once
    assert await store.pending(broadcast.id, limit=10) == [1, 2, 3]  # not the banned customer

    assert await store.start_sending(broadcast.id, 1)
    assert not await store.start_sending(broadcast.id, 1)  # already on its way
    await store.finish_sending(broadcast.id, 1, Delivery.SENT)
    assert await store.start_sending(broadcast.id, 2)
    await store.finish_sending(broadcast.id, 2, Delivery.BLOCKED, "bot was blocked by the user")
    assert await store.start_sending(broadcast.id, 3)  # and then the shop stops

    assert await store.give_up_interrupted(broadcast.id) == 1
    assert not await store.start_sending(broadcast.id, 3)  # never again
    assert await store.pending(broadcast.id, limit=10) == []
    tally = await store.tally(broadcast.id)
    assert (tally.sent, tally.blocked, tally.unsure, tally.total) == (1, 1, 1, 3)

    # The customer who blocked the bot is left out next time, until they write to it again.
    assert await store.recipients() == 2
    customer = await books.customers.get(2)
    assert customer is not None and customer.blocked_bot_at is not None
    await books.customers.register(2, username=None, first_name="C", language="en")
    assert await store.recipients() == 3


async def test_a_broadcast_ends_once_and_the_operator_who_cancelled_is_recorded(
    books: Books,
) -> None:
    log = AdminLog(books.db)
    store = BroadcastStore(books.db, log)
    await books.customer(1)
    broadcast = await store.create(900, SOURCE, PROGRESS)
    assert broadcast is not None
    assert await store.end(broadcast.id, BroadcastStatus.CANCELLED, by=901)
    assert not await store.end(broadcast.id, BroadcastStatus.FINISHED)
    ended = await store.get(broadcast.id)
    assert ended is not None and (ended.status, ended.ended_by) == (BroadcastStatus.CANCELLED, 901)
    cancelled, started = await log.about("broadcast", str(broadcast.id))
    assert (started.admin_id, started.action, started.after) == (900, "broadcast", "1 customer")
    assert (cancelled.admin_id, cancelled.before, cancelled.after) == (901, "running", "cancelled")
