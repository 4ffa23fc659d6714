"""`/help` in the admin group, and the command menu Telegram shows to operators only."""

from __future__ import annotations

from tests.e2e.harness import ADMIN_CHAT_ID, ADMIN_ID, Shop

COMMANDS = (
    *("stats", "review", "order", "refund", "user", "credit", "debit", "ban", "unban"),
    *("prices", "setmarkup", "setrate", "groups", "setgroup", "group"),
    *("promo", "promos", "setreferral", "providers", "export", "payments"),
    *("assign", "approve"),
    *("refundstars", "broadcast", "help"),
)


async def test_help_lists_every_operator_command_with_its_arguments(shop: Shop) -> None:
    boss = shop.admin()
    await boss.send("/help")
    listed = await boss.wait_for_bot()
    assert "Operator commands" in listed.text
    for name in COMMANDS:
        assert f"/{name}" in listed.text, name
    assert "/credit USER AMOUNT REASON: add to a customer's balance" in listed.text
    assert "/export orders|ledger [DAYS]" in listed.text
    assert "/refundstars PAYMENT [REASON]: refund a Telegram Stars deposit" in listed.text


async def test_the_command_menu_is_offered_to_operators_only(shop: Shop) -> None:
    menus = shop.emulator.bot().commands
    assert [c["command"] for c in menus[f"chat_member:{ADMIN_CHAT_ID}:{ADMIN_ID}"]] == list(
        COMMANDS
    )
    assert [c["command"] for c in menus["default"]] == ["start", "help", "cancel", "promo"]
    assert f"chat:{ADMIN_CHAT_ID}" not in menus  # not the whole group: members see nothing

    visitor = shop.group_visitor()
    seen = len(visitor.bot_messages)
    await visitor.send("/help")
    await visitor.settle()
    assert len(visitor.bot_messages) == seen
