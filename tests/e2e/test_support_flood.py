"""Support messages flooding the operators' group: each customer may write only so often, and an
alert still reaches the operators, once, ahead of the questions waiting for the group's limit."""

from __future__ import annotations

from sandbox.telegram import ChatDriver, ChatLimit, ChatMessage
from tests.e2e.flows import CONFIRM, USDT, cloud_account, new_customer, orders_of, wallet_of
from tests.e2e.harness import Shop

SUPPORT = "💬 Contact support"
PASSED_ON = "went to the shop's operators"
SLOW_DOWN = "was not passed on"
CARD = "Support request"


async def ask_support(customer: ChatDriver, question: str) -> str:
    """Contact support from the main menu and write `question`; returns the bot's answer."""
    await customer.press(SUPPORT)
    await customer.wait_for_bot()
    await customer.send(question)
    return (await customer.wait_for_bot()).text


def cards_from(shop: Shop, customer: ChatDriver) -> list[str]:
    return [
        m.text
        for m in shop.admin_group.chat.bot_messages()
        if CARD in m.text and f"id {customer.user_id}" in m.text
    ]


async def all_cards_of(shop: Shop, operators: ChatDriver, customer: ChatDriver) -> None:
    """Wait until the operators' group shows the five questions `customer` passed on."""

    def arrived(_latest: ChatMessage) -> bool:
        return len(cards_from(shop, customer)) == 5

    await operators.wait_until(arrived, timeout=30)


async def test_a_support_flood_is_slowed_and_an_alert_still_reaches_the_operators_once(
    own_shop: Shop,
) -> None:
    own_shop.emulator.group_limit = ChatLimit(messages=3, seconds=3.0)
    operators = own_shop.admin()
    flo = await new_customer(own_shop, 0, "Flo")
    answers = [await ask_support(flo, f"where is my order? ({n})") for n in range(60)]
    passed = [n for n, answer in enumerate(answers) if PASSED_ON in answer]
    assert passed == [0, 1, 2, 3, 4]
    slowed = [answer for answer in answers if SLOW_DOWN in answer]
    assert len(slowed) == 55
    assert "Please wait" in slowed[0]

    # Two more customers write while the group is over its limit: their questions wait.
    others = [await new_customer(own_shop, 0, name) for name in ("Gus", "Hal")]
    for customer in others:
        for n in range(5):
            assert PASSED_ON in await ask_support(customer, f"hello ({n})")
    assert own_shop.admin_group.chat.flood_refusals > 0  # Telegram refused the group's excess
    assert len([m for m in own_shop.admin_group.chat.bot_messages() if CARD in m.text]) < 15

    cleo = await new_customer(own_shop, 100 * USDT, "Cleo")
    await cloud_account(cleo, "Tencent Cloud", "200000000409")  # upstream fails the recharge
    await cleo.press("10 USD")
    await cleo.wait_for_bot()
    await cleo.press(CONFIRM)
    await cleo.wait_until(lambda m: "could not be completed" in m.text)
    [(order_id, _)] = await orders_of(own_shop, cleo.user_id)
    await operators.wait_until(lambda m: order_id in m.text, timeout=20)

    # Every question that was passed on arrives, once; the alert came before the last of them.
    for customer in (flo, *others):
        await all_cards_of(own_shop, operators, customer)
    shown = [m.text for m in own_shop.admin_group.chat.bot_messages()]
    alerts = [n for n, text in enumerate(shown) if order_id in text]
    assert len(alerts) == 1 and "(recharge_failed)" in shown[alerts[0]]
    assert alerts[0] < max(n for n, text in enumerate(shown) if CARD in text)
    assert len([text for text in shown if CARD in text]) == 15
    assert all(f"({n})" not in text for text in cards_from(own_shop, flo) for n in range(5, 60))
    assert await wallet_of(own_shop, cleo) == (100 * USDT, 0)
    assert "ledger OK" in await own_shop.check_ledger()
