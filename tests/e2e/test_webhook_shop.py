"""The shop on its webhook, as a customer and an operator see it: the end-to-end tests of each
product line, a USDT deposit, a Telegram Stars payment and an operator's command, run as they are
against the real bot in webhook mode, Telegram (the emulator) posting each update to it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from tests.e2e.harness import Shop
from tests.e2e.test_accounts import (
    test_a_purchase_delivers_the_accounts_as_a_file as accounts_purchase,
)
from tests.e2e.test_acedata import (
    test_a_package_paid_at_acedata_finishes_and_the_balance_never_moves as acedata_purchase,
)
from tests.e2e.test_admin_commands import (
    test_help_lists_every_operator_command_with_its_arguments as operators_help,
)
from tests.e2e.test_admin_customers import (
    test_a_credit_reaches_the_wallet_and_the_customer_in_their_language as operator_credit,
)
from tests.e2e.test_cloud_recharge import test_a_tencent_recharge as cloud_purchase
from tests.e2e.test_deposits_stars import (
    test_a_stars_payment_is_credited_once_even_delivered_again_and_after_a_restart as stars_deposit,
)
from tests.e2e.test_deposits_usdt import (
    test_a_transfer_is_credited_once_even_seen_again_and_after_a_restart as usdt_deposit,
)
from tests.e2e.test_energy import test_renting_energy as energy_purchase
from tests.e2e.test_topup import test_a_successful_airtime_top_up as topup_purchase

Scenario = Callable[[Shop], Awaitable[None]]


@pytest.mark.parametrize(
    "purchase",
    [cloud_purchase, energy_purchase, topup_purchase, accounts_purchase, acedata_purchase],
    ids=["cloud", "energy", "topup", "accounts", "acedata"],
)
async def test_every_product_line_sells_on_the_webhook(
    webhook_shop: Shop, purchase: Scenario
) -> None:
    # KUMQUAT finishes and calls back within hundredths of a second, as in test_topup.py.
    webhook_shop.topup.process_seconds = 0.02
    webhook_shop.topup.callback_delay = 0.02
    await purchase(webhook_shop)
    await _nothing_left_to_deliver(webhook_shop)


@pytest.mark.parametrize("command", [operators_help, operator_credit], ids=["help", "credit"])
async def test_operators_commands_on_the_webhook(webhook_shop: Shop, command: Scenario) -> None:
    await command(webhook_shop)
    await _nothing_left_to_deliver(webhook_shop)


@pytest.mark.parametrize("deposit", [usdt_deposit, stars_deposit], ids=["usdt", "stars"])
async def test_deposits_on_the_webhook_also_across_a_restart(
    own_webhook_shop: Shop, deposit: Scenario
) -> None:
    await deposit(own_webhook_shop)
    # Posts while the bot restarted were refused or found it down, and delivered after.
    await _nothing_left_to_deliver(own_webhook_shop, failed_meanwhile=True)


async def _nothing_left_to_deliver(shop: Shop, *, failed_meanwhile: bool = False) -> None:
    """Every update was posted and answered 2xx; unless the bot was restarted meanwhile, the
    webhook never failed."""
    account = shop.emulator.bot()
    await account.wait_until_delivered()
    if not failed_meanwhile:
        assert account.webhook.last_error_message is None
    assert shop.bot is not None
    assert not [line for line in shop.bot.log_lines if "Traceback" in line]
