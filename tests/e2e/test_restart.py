"""A conversation survives a restart of the bot."""

from __future__ import annotations

from tests.e2e.harness import Shop


async def test_a_restart_in_the_middle_of_a_conversation_resumes_it(own_shop: Shop) -> None:
    customer = own_shop.customer("Mia")
    operators = own_shop.admin()
    await customer.send("/start")
    await customer.wait_for_bot()
    await customer.press("💬 Contact support")
    prompt = await customer.wait_for_bot()
    assert "Write your question" in prompt.text

    await own_shop.restart_bot()

    await customer.send("still there after the restart?")
    card = await operators.wait_for_bot()
    assert "still there after the restart?" in card.text
    assert "went to the shop's operators" in (await customer.wait_for_bot()).text
    assert own_shop.bot is not None
    assert "Traceback" not in own_shop.bot.log


async def test_the_language_choice_survives_a_restart(own_shop: Shop) -> None:
    customer = own_shop.customer("Nam", language_code="en")
    await customer.send("/start")
    await customer.wait_for_bot()
    await customer.press("🌐 Language")
    await customer.wait_for_bot()
    await customer.press("Tiếng Việt")
    await customer.wait_for_bot()

    await own_shop.restart_bot()

    await customer.send("/start")
    assert "Chào mừng bạn quay lại" in (await customer.wait_for_bot()).text
