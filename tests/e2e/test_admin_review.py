"""The operators' review queue, as an operator sees it in the admin group: only ADMIN_IDS there
may act, a decision is taken once however many press, and the customer is told."""

from __future__ import annotations

import asyncio

from sandbox.telegram import ChatDriver
from storage.orders import OrderStatus
from tests.e2e.flows import (
    CONFIRM,
    ENERGY_CHARGE,
    USDT,
    cloud_confirmation,
    energy_confirmation,
    orders_of,
    wallet_of,
)
from tests.e2e.harness import ADMIN_ID, SECOND_ADMIN_ID, Shop


async def _order_in_review(shop: Shop) -> tuple[ChatDriver, str]:
    """A customer's energy order that went to review: placed upstream, its number unknown."""
    customer, _ = await energy_confirmation(shop, 100 * USDT)
    shop.energy.plan.add("drop", path="/v1/order")  # placed, answer lost; the retry meets 600004
    await customer.press(CONFIRM)
    await customer.wait_until(lambda m: "being checked by the shop" in m.text)
    [(order_id, status)] = await orders_of(shop, customer.user_id)
    assert status == OrderStatus.NEEDS_REVIEW
    return customer, order_id


async def _card_of(operator: ChatDriver, order_id: str) -> int:
    """Send /review; the message id of `order_id`'s card."""
    await operator.send("/review")
    await operator.settle()
    cards = [m for m in operator.bot_messages if order_id in m.text and m.labels]
    assert cards, operator.describe()
    return cards[-1].message_id


async def test_a_refund_pressed_by_two_operators_at_once_refunds_once(any_shop: Shop) -> None:
    customer, order_id = await _order_in_review(any_shop)
    assert await wallet_of(any_shop, customer) == (100 * USDT - ENERGY_CHARGE, ENERGY_CHARGE)
    boss, second = any_shop.admin(), any_shop.admin(SECOND_ADMIN_ID, "second")
    card = await _card_of(boss, order_id)
    message = boss.chat.messages[card]
    assert message.labels == ["💸 Refund", "✅ Mark delivered", "🔁 Retry"]
    refund = message.buttons[0][0].callback_data
    assert refund is not None

    await asyncio.gather(
        boss.press_data(refund, message_id=card), second.press_data(refund, message_id=card)
    )
    await boss.settle()
    await second.settle()
    answers = [a["text"] for a in boss.callback_answers + second.callback_answers]
    assert sorted(answers) == [
        "Already decided: the order is failed.",
        "💸 Refunded: the order is failed.",
    ]
    assert await wallet_of(any_shop, customer) == (100 * USDT, 0)
    assert await orders_of(any_shop, customer.user_id) == [(order_id, OrderStatus.FAILED)]
    told = await customer.wait_until(lambda m: "could not be completed" in m.text)
    assert "0.65 USDT went back to your balance" in told.text
    edited = boss.chat.messages[card]
    assert "💸 Refunded by @" in edited.text and edited.labels == []
    await any_shop.check_ledger()


async def test_mark_delivered_takes_the_held_money_and_tells_the_customer(shop: Shop) -> None:
    customer, order_id = await _order_in_review(shop)
    boss = shop.admin()
    card = await _card_of(boss, order_id)
    await boss.press("✅ Mark delivered", message_id=card)
    await boss.settle()
    assert await wallet_of(shop, customer) == (100 * USDT - ENERGY_CHARGE, 0)
    await customer.wait_until(lambda m: "Done!" in m.text)

    await boss.send(f"/order {order_id}")
    detail = await boss.wait_for_bot()
    assert "status succeeded" in detail.text
    assert "needs_review → succeeded · admin:900001 · marked delivered by an operator" in (
        detail.text
    )
    assert detail.labels == []


async def test_only_operators_in_the_group_are_answered(shop: Shop) -> None:
    customer, order_id = await _order_in_review(shop)
    visitor = shop.group_visitor()
    seen = len(visitor.bot_messages)
    for command in ("/review", f"/order {order_id}"):
        await visitor.send(command)
        await visitor.settle()
    assert len(visitor.bot_messages) == seen  # nothing at all, not even a refusal

    boss = shop.admin()
    card = await _card_of(boss, order_id)
    refund = boss.chat.messages[card].buttons[0][0].callback_data
    assert refund is not None
    await visitor.press_data(refund, message_id=card)
    await visitor.settle()
    assert all(not answer.get("text") for answer in visitor.callback_answers)
    assert await orders_of(shop, customer.user_id) == [(order_id, OrderStatus.NEEDS_REVIEW)]
    assert await wallet_of(shop, customer) == (100 * USDT - ENERGY_CHARGE, ENERGY_CHARGE)

    # The same commands in a private chat, even an operator's own, are just text a customer sent.
    for person in (
        shop.customer("Stranger"),
        shop.emulator.private_chat(
            ADMIN_ID, first_name="Operator", username="boss", language_code="en"
        ),
    ):
        await person.send("/review")
        reply = await person.wait_for_bot()
        assert "I didn't understand that" in reply.text and order_id not in reply.text


async def test_order_and_review_answer_bad_input_plainly(shop: Shop) -> None:
    boss = shop.admin()
    for command, expected in (
        ("/order", "Usage: /order ORDER_ID"),
        ("/order 1 2", "Usage: /order ORDER_ID"),
        ("/order nope<b>", "No order nope<b>."),
    ):
        await boss.send(command)
        reply = await boss.wait_for_bot()
        assert expected in reply.text, (command, reply.text)


async def test_an_order_needing_review_reaches_the_group_with_its_decisions(shop: Shop) -> None:
    boss = shop.admin()
    customer, order_id = await _order_in_review(shop)
    alert = await boss.wait_until(lambda m: order_id in m.text and "orderNo is unknown" in m.text)
    assert alert.labels == ["💸 Refund", "✅ Mark delivered", "🔁 Retry"]
    await boss.press("💸 Refund", message_id=alert.message_id)
    await boss.settle()
    assert await wallet_of(shop, customer) == (100 * USDT, 0)
    assert await orders_of(shop, customer.user_id) == [(order_id, OrderStatus.FAILED)]


async def test_refund_gives_a_delivered_order_back_once(shop: Shop) -> None:
    boss = shop.admin()
    customer, _ = await cloud_confirmation(shop, 100 * USDT)
    await customer.press(CONFIRM)
    await customer.wait_until(lambda m: "Done!" in m.text)
    [(order_id, _)] = await orders_of(shop, customer.user_id)

    await boss.send(f"/refund {order_id} the account was wrong")
    done = await boss.wait_for_bot()
    assert f"Refunded 10.50 USDT of order {order_id}" in done.text
    assert "the order is reversed" in done.text
    told = await customer.wait_until(lambda m: "The shop refunded order" in m.text)
    assert "10.50 USDT went back to your balance" in told.text
    assert await wallet_of(shop, customer) == (100 * USDT, 0)

    await boss.send(f"/refund {order_id}")
    assert "was refunded by an operator already" in (await boss.wait_for_bot()).text
    assert await wallet_of(shop, customer) == (100 * USDT, 0)
    await boss.send(f"/order {order_id}")
    history = (await boss.wait_for_bot()).text
    assert (
        "succeeded → reversed · admin:900001 · refunded by an operator: the account was wrong"
        in (history)
    )
    await shop.check_ledger()


async def test_refund_refuses_what_has_nothing_to_give_back(shop: Shop) -> None:
    boss = shop.admin()
    customer, _ = await cloud_confirmation(shop, 100 * USDT, uid="200000000409")  # fails upstream
    await customer.press(CONFIRM)
    await customer.wait_until(lambda m: "could not be completed" in m.text)
    [(failed_id, _)] = await orders_of(shop, customer.user_id)
    waiting, review_id = await _order_in_review(shop)
    for command, expected in (
        (f"/refund {failed_id}", "Nothing left to refund"),
        (f"/refund {review_id}", "waits for review: decide it with /review"),
        ("/refund", "Usage: /refund ORDER_ID [REASON]"),
        ("/refund nope", "No order nope."),
    ):
        await boss.send(command)
        reply = await boss.wait_for_bot()
        assert expected in reply.text, (command, reply.text)
    assert await wallet_of(shop, customer) == (100 * USDT, 0)
    assert await wallet_of(shop, waiting) == (100 * USDT - ENERGY_CHARGE, ENERGY_CHARGE)


async def test_retry_pressed_again_on_an_unchanged_card_is_no_error(shop: Shop) -> None:
    """Upstream still cannot say (the order number is taken, its order unknown): each Retry
    leaves the order in review and its card as it was, and a second Retry is answered like the
    first. Found by the soak: the second edit of an unchanged card failed with a traceback."""
    assert shop.bot is not None
    _, order_id = await _order_in_review(shop)
    operator = shop.admin()
    card = await _card_of(operator, order_id)
    retry = operator.chat.messages[card].buttons[0][2].callback_data
    assert retry is not None
    logged_before = len(shop.bot.log_lines)
    for _ in range(2):
        await operator.press_data(retry, message_id=card)
        await operator.settle()
    answers = [a["text"] for a in operator.callback_answers[-2:]]
    assert answers == ["🔁 Asked upstream again: the order is needs_review."] * 2
    assert "🔁 Asked upstream again by @" in operator.chat.messages[card].text
    logged = shop.bot.log_lines[logged_before:]
    assert not [line for line in logged if "Traceback" in line or " ERROR " in line]
    await shop.check_ledger()
