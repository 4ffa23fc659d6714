"""What Telegram's webhook brings that polling does not: requests anyone can forge, updates
delivered again with the same `update_id`, a reply Telegram loses while the update is handled, a
start while Telegram does not answer, updates larger than any callback, and a stop while
Telegram keeps posting. The real bot in webhook mode, the emulator posting to it."""

from __future__ import annotations

import asyncio
import io
import json
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from sandbox.telegram import ApiFault
from tests.e2e.flows import CONFIRM, USDT, cloud_confirmation, new_customer, orders_of, wallet_of
from tests.e2e.harness import ADMIN_CHAT_ID, ADMIN_ID, WEBHOOK_SECRET, Shop, until


async def test_the_webhook_is_set_with_its_secret_and_the_updates_the_shop_handles(
    webhook_shop: Shop,
) -> None:
    account = webhook_shop.emulator.bot()
    assert account.webhook.url == webhook_shop.webhook_url
    assert account.webhook.secret_token == WEBHOOK_SECRET
    assert account.webhook.max_connections == 100  # UPDATES_IN_FLIGHT, within Telegram's limit
    # Payments and button presses among them; nothing the shop has no handler for.
    assert {"message", "callback_query", "pre_checkout_query"} <= set(account.allowed_updates)
    assert "poll" not in account.allowed_updates and "chat_member" not in account.allowed_updates
    assert webhook_shop.bot is not None
    started = [line for line in webhook_shop.bot.log_lines if "Run webhook for bot" in line]
    assert len(started) == 1 and started[0].endswith(f"at {webhook_shop.webhook_url}")


REFUSED_LINE = "refused a webhook request from 127.0.0.1"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _operator_command(update_id: int, text: str) -> dict[str, Any]:
    """An update as Telegram would post it: an operator's command in the operators' group."""
    command = text.split()[0]
    return {
        "update_id": update_id,
        "message": {
            "message_id": 90_000 + update_id % 1000,
            "date": int(time.time()),
            "chat": {"id": ADMIN_CHAT_ID, "type": "supergroup", "title": "Shop operators"},
            "from": {"id": ADMIN_ID, "is_bot": False, "first_name": "Operator"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
        },
    }


async def test_a_forged_request_is_refused_changes_nothing_and_is_logged_once(
    own_webhook_shop: Shop,
) -> None:
    shop = own_webhook_shop
    assert shop.bot is not None
    ivy = await new_customer(shop, 0, name="Ivy")
    boss = shop.admin()
    credit = f"/credit {ivy.user_id} 100 forged"
    forgeries: list[dict[str, str]] = [
        {},
        {SECRET_HEADER: ""},
        {SECRET_HEADER: "guessed"},
        {SECRET_HEADER: WEBHOOK_SECRET[:-1] + "X"},
        {SECRET_HEADER: WEBHOOK_SECRET + "x"},
    ]
    async with aiohttp.ClientSession() as session:
        for number, headers in enumerate(forgeries * 4, start=1):
            update = _operator_command(1_000_000 + number, credit)
            async with session.post(shop.webhook_url, json=update, headers=headers) as answer:
                assert answer.status == 401  # answered before anything is read: nothing ran
    assert await wallet_of(shop, ivy) == (0, 0)
    assert not boss.bot_messages and len(ivy.bot_messages) == 1
    assert sum(REFUSED_LINE in line for line in shop.bot.log_lines) == 1
    assert WEBHOOK_SECRET not in shop.bot.log

    # The same command, posted by Telegram with the secret, is carried out: the refusal did it.
    await boss.send(f"/credit {ivy.user_id} 1 paid at the counter")
    assert "Credited 1.00 USDT" in (await boss.wait_for_bot()).text
    assert await wallet_of(shop, ivy) == (USDT, 0)
    await shop.check_ledger()


async def test_an_update_delivered_again_is_answered_once(own_webhook_shop: Shop) -> None:
    shop = own_webhook_shop
    account = shop.emulator.bot()
    nora = shop.customer("Nora")
    await nora.send("/start")
    await nora.wait_for_bot()
    start = account.last_update_id
    await account.wait_until_delivered()

    account.replay_update(start)  # as Telegram does when the bot's answer was lost
    await account.wait_until_delivered()
    assert account.webhook.deliveries[start] == 2
    await nora.settle()
    assert len(nora.bot_messages) == 1

    account.webhook.lose_answers(1)  # the bot answers, Telegram never gets it, and posts again
    await nora.send("/help")
    await nora.wait_for_bot()
    help_update = account.last_update_id
    await account.wait_until_delivered(timeout=20)
    assert account.webhook.deliveries[help_update] == 2
    assert account.webhook.last_error_message == "Read timeout expired"
    await nora.settle()
    assert len(nora.bot_messages) == 2


async def test_a_confirm_delivered_again_after_a_restart_charges_once(
    own_webhook_shop: Shop,
) -> None:
    shop = own_webhook_shop
    account = shop.emulator.bot()
    cleo, confirmation = await cloud_confirmation(shop, 100 * USDT)
    assert "You pay 10.50 USDT" in confirmation.text
    await cleo.press(CONFIRM)
    confirm = account.last_update_id
    await cleo.wait_until(lambda m: "Done!" in m.text)
    await account.wait_until_delivered()
    told = len(cleo.bot_messages)

    await shop.restart_bot()
    account.replay_update(confirm)  # Telegram's retry reaches the next process
    await account.wait_until_delivered()
    assert account.webhook.deliveries[confirm] == 2
    await cleo.settle()
    assert len(cleo.bot_messages) == told
    [(_, status)] = await orders_of(shop, cleo.user_id)
    assert status == "succeeded"
    assert await wallet_of(shop, cleo) == (100 * USDT - 10_500_000, 0)
    await shop.check_ledger()


async def test_an_update_whose_reply_telegram_loses_is_answered_200_and_not_posted_again(
    own_webhook_shop: Shop,
) -> None:
    """The shop's error handler takes the failure (a handler raising past it is answered 200
    too: tests/unit/test_webhook_intake.py); Telegram must not post the update again."""
    shop = own_webhook_shop
    bot = shop.bot
    assert bot is not None
    account = shop.emulator.bot()
    # The welcome is lost behind a gateway before reaching Telegram: the /start handler fails.
    shop.emulator.faults.add(ApiFault("5xx", "sendMessage", carried_out=False))
    omar = shop.customer("Omar")
    await omar.send("/start")
    start = account.last_update_id
    await account.wait_until_delivered()
    await until(lambda: any(f"update {start}" in line for line in bot.log_lines), "logged")
    assert account.webhook.deliveries[start] == 1
    assert account.webhook.last_error_message is None
    assert not [line for line in bot.log_lines if "Traceback" in line]

    await omar.send("/start")  # the next update is handled as ever
    assert "Welcome" in (await omar.wait_for_bot()).text


async def test_sigterm_refuses_new_updates_and_lets_the_one_in_hand_finish(
    own_webhook_shop: Shop,
) -> None:
    shop = own_webhook_shop
    account = shop.emulator.bot()
    stopping = shop.bot
    assert stopping is not None
    held = shop.emulator.hold("sendMessage", text_contains="Welcome to the shop")
    pia = shop.customer("Pia")
    await pia.send("/start")
    in_hand = account.last_update_id
    await held.reached.wait()

    stop = asyncio.create_task(stopping.stop())
    await until(lambda: any("stopping:" in line for line in stopping.log_lines), "stopping")
    quinn = shop.customer("Quinn")
    await quinn.send("/start")  # refused while stopping: Telegram keeps it
    await until(lambda: account.webhook.last_error_message is not None, "a refusal")
    assert "503" in (account.webhook.last_error_message or "")
    held.release()
    assert await stop == 0
    assert account.webhook.active  # left set: Telegram keeps the updates for the next start
    assert "Welcome to the shop, Pia" in pia.bot_messages[-1].text
    assert account.webhook.deliveries[in_hand] == 1
    assert not quinn.bot_messages
    assert not [line for line in stopping.log_lines if "Traceback" in line or " ERROR " in line]

    await shop.start_bot()
    assert "Welcome" in (await quinn.wait_for_bot()).text
    await account.wait_until_delivered()
    await pia.settle()
    assert len(pia.bot_messages) == 1  # the update finished before the stop is not handled again


async def test_a_webhook_telegram_refuses_stops_the_start_in_one_line(tmp_path: Path) -> None:
    shop = Shop(tmp_path, {"PUBLIC_BASE_URL": "https://shop.example.com"}, webhook=True)
    await shop.emulator.start()  # the emulator's Telegram posts to 127.0.0.1 only
    await shop.upstreams.start()
    try:
        code, output = await shop.run_command("run")
    finally:
        await shop.upstreams.stop()
        await shop.emulator.stop()
    assert code == 2, output
    last = output.strip().splitlines()[-1]
    assert last.startswith(
        "configuration error: PUBLIC_BASE_URL is invalid: Telegram refused the webhook at "
        "https://shop.example.com/telegram/webhook: "
    )
    assert "Traceback" not in output and WEBHOOK_SECRET not in output


async def test_a_setwebhook_telegram_does_not_answer_is_tried_again_until_taken(
    tmp_path: Path,
) -> None:
    """A gateway's 502 page, then no answer at all: neither is a bad URL, and the shop comes up."""
    shop = Shop(tmp_path, webhook=True)
    faults = shop.emulator.faults
    faults.add(ApiFault("5xx", "setWebhook", carried_out=False))
    faults.add(ApiFault("timeout", "setWebhook", carried_out=False, seconds=0.5))
    await shop.start()
    try:
        bot = shop.bot
        assert bot is not None
        assert [fired.kind for fired in faults.fired] == ["5xx", "timeout"]
        account = shop.emulator.bot()
        assert account.webhook.url == shop.webhook_url
        retried = [line for line in bot.log_lines if "setWebhook failed" in line]
        assert len(retried) == 2, bot.log
        assert "trying again in 1 s" in retried[0] and "trying again in 2 s" in retried[1]
        assert not [line for line in bot.log_lines if "Traceback" in line or " ERROR " in line]

        ada = shop.customer("Ada")
        await ada.send("/start")
        assert "Welcome" in (await ada.wait_for_bot()).text
    finally:
        await shop.stop()


@pytest.mark.parametrize("webhook", [True, False], ids=["webhook", "polling"])
async def test_a_token_telegram_refuses_stops_the_start_in_one_line(
    tmp_path: Path, webhook: bool
) -> None:
    shop = Shop(tmp_path, {"BOT_TOKEN": "4242424242:TEST-revoked-token"}, webhook=webhook)
    await shop.emulator.start()
    await shop.upstreams.start()
    try:
        code, output = await shop.run_command("run")
    finally:
        await shop.upstreams.stop()
        await shop.emulator.stop()
    assert code == 2, output
    last = output.strip().splitlines()[-1]
    assert last == (
        "configuration error: BOT_TOKEN is invalid: Telegram refused it (401 Unauthorized); "
        "copy the bot's current token from @BotFather"
    )
    assert "Traceback" not in output and "revoked-token" not in output


def _long_message(chat: int, user: int, message_id: int) -> dict[str, Any]:
    """A customer's /help of 4,000 characters with a thousand entities: about 60 KB of JSON."""
    words = ["/help", *(f"w{n:03}" for n in range(1000))]
    entities, offset = [], 0
    for number, word in enumerate(words):
        kind = "bot_command" if number == 0 else "bold"
        entities.append({"type": kind, "offset": offset, "length": len(word)})
        offset += len(word) + 1
    return {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": {"id": chat, "type": "private", "first_name": "Lea"},
        "from": {"id": user, "is_bot": False, "first_name": "Lea", "language_code": "en"},
        "text": " ".join(words),
        "entities": entities,
    }


async def test_a_large_update_is_handled_and_one_too_large_is_let_go(webhook_shop: Shop) -> None:
    """An update past the 64 KB an upstream callback may send is handled; one past the 1 MB a
    proxy passes is answered 200 (Telegram would otherwise post it again forever) and logged."""
    shop = webhook_shop
    bot = shop.bot
    assert bot is not None
    lea = shop.customer("Lea")
    await lea.send("/start")
    await lea.wait_for_bot()
    large = {
        "update_id": 7_000_001,
        "message": {
            **_long_message(lea.chat_id, lea.user_id, 70_001),
            "reply_to_message": _long_message(lea.chat_id, lea.user_id, 70_000),
        },
    }
    body = json.dumps(large).encode()
    assert 100_000 < len(body) < 1_000_000
    headers = {SECRET_HEADER: WEBHOOK_SECRET, "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session:
        async with session.post(shop.webhook_url, data=body, headers=headers) as answer:
            assert answer.status == 200
        assert "How this shop works" in (await lea.wait_for_bot()).text

        too_large = {**large, "update_id": 7_000_002, "pad": "x" * 1_100_000}
        data = io.BytesIO(json.dumps(too_large).encode())  # as bytes, aiohttp's client warns
        async with session.post(shop.webhook_url, data=data, headers=headers) as answer:
            assert answer.status == 200
        forged = {**headers, SECRET_HEADER: "guessed"}
        data.seek(0)
        async with session.post(shop.webhook_url, data=data, headers=forged) as answer:
            assert answer.status == 401
    await until(lambda: any("past the 1 MB" in line for line in bot.log_lines), "logged")
    await lea.settle()
    assert len(lea.bot_messages) == 2
