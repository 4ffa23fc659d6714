"""One `python -m bot run` per database: a second one is refused before it touches anything,
while the first keeps serving; a killed shop leaves nothing behind that stops the next one."""

from __future__ import annotations

import re
import signal
import socket

from tests.e2e.flows import USDT, new_customer, wallet_of
from tests.e2e.harness import Shop

# `since` is when the first shop took the database, as stored: UTC to the second.
SINCE = r"since \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC"


async def _second_shop_is_refused(shop: Shop) -> None:
    """A second shop with the first's configuration: one line naming the first, a non-zero exit."""
    assert shop.bot is not None
    code, output = await shop.run_command("run")
    lines = output.strip().splitlines()
    assert code == 2 and len(lines) == 1, output
    [line] = lines
    assert f"pid {shop.bot.pid} on {socket.gethostname()}" in line, line
    assert re.search(SINCE, line), line
    assert str(shop.db_path) in line and "already runs" in line, line


async def test_a_second_shop_on_the_same_database_is_refused(own_shop: Shop) -> None:
    lin = await new_customer(own_shop, 5 * USDT, "Lin")
    group_before = len(own_shop.admin_group.chat.messages)

    await _second_shop_is_refused(own_shop)

    # The first shop goes on serving as if nothing happened, and the operators heard nothing.
    await lin.send("/start")
    assert "Balance: 5.00 USDT" in (await lin.wait_for_bot()).text
    assert len(own_shop.admin_group.chat.messages) == group_before
    assert await wallet_of(own_shop, lin) == (5 * USDT, 0)
    assert own_shop.bot is not None and own_shop.bot.running
    # The tools an operator runs beside the shop still work.
    code, output = await own_shop.run_command("migrate")
    assert code == 0 and "is at schema version" in output, output
    await own_shop.check_ledger()


async def test_a_killed_shop_leaves_no_lock_behind(own_shop: Shop) -> None:
    await own_shop.restart_bot(signal.SIGKILL)  # no clean-up at all: the kernel drops the lock
    lin = await new_customer(own_shop, 0, "Lin")
    assert "Welcome" in lin.bot_messages[-1].text

    await _second_shop_is_refused(own_shop)  # and the new shop holds it in its turn
    await own_shop.check_ledger()
