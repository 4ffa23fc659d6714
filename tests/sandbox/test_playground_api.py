"""The playground's routes over real HTTP, against the emulator and the simulators: what each does
to the chat or the outside world, and bad input of every kind answered in a sentence with nothing
changed. The bot here is a bare aiogram `Bot` on the emulator, standing in for the shop."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiogram import Bot
from aiogram.types import (
    BotCommand,
    BotCommandScopeChatMember,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)

from bot.wiring.playground_view import StoredShopView
from sandbox import kumquat
from sandbox.acedata import AceOrder
from sandbox.playground.server import Playground, Seat
from sandbox.telegram import TelegramEmulator
from sandbox.trongrid import DEMO_DEPOSIT_ADDRESS
from sandbox.upstreams import Upstreams
from storage.database import as_stored
from storage.deposits import DepositRequest, DepositStore, Method, RequestStatus
from storage.sqlite import SqliteDatabase
from storage.users import CustomerStore

ALICE = 8101
GROUP = -100_8000
OPERATOR = 8001


@dataclass
class Page:
    """The playground as the page's script calls it."""

    http: aiohttp.ClientSession
    base: str
    upstreams: Upstreams
    emulator: TelegramEmulator
    database: Path

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.http.request(method, f"{self.base}{path}", json=body) as response:
            return response.status, await response.json()

    async def refused(self, method: str, path: str, body: Any, status: int = 400) -> str:
        got, answer = await self.call(method, path, body)
        assert got == status, answer
        return str(answer["error"])


@pytest_asyncio.fixture
async def page(emulator: TelegramEmulator, tmp_path: Path) -> AsyncIterator[Page]:
    alice = emulator.private_chat(ALICE, "Alice", "alice", "en")
    operator = emulator.group(GROUP, "Shop operators").as_user(OPERATOR, "Operator")
    upstreams = Upstreams()  # not served: the panel acts on the simulators themselves
    shop = StoredShopView(tmp_path / "shop.sqlite3")  # the demo's view of its shop
    await shop.open()
    playground = Playground(
        upstreams,
        shop,
        bot=emulator.bot(),
        seats=[
            Seat("alice", "Alice", "Customer", alice.chat, alice.user),
            Seat("operators", "Shop operators", "Admin group", operator.chat, operator.user),
        ],
        bot_name="@emulated_bot",
        late_answer_seconds=3,
        deposit_check_seconds=2,
    )
    base = await playground.start(port=0)
    async with aiohttp.ClientSession() as http:
        yield Page(http, base, upstreams, emulator, tmp_path / "shop.sqlite3")
    await playground.stop()
    await shop.close()


async def test_sending_reaches_the_bot_as_the_seat_user(page: Page, bot: Bot) -> None:
    status, sent = await page.call("POST", "/api/chats/alice/send", {"text": "/start"})
    assert status == 200
    [update] = await bot.get_updates(timeout=1)
    assert update.message is not None and update.message.text == "/start"
    assert update.message.from_user is not None and update.message.from_user.id == ALICE
    assert update.message.message_id == sent["message_id"]

    await bot.send_message(ALICE, "<b>Hi</b> <i>there</i>", parse_mode="HTML")
    _, chat = await page.call("GET", "/api/chats/alice")
    mine, reply = chat["messages"]
    assert (mine["mine"], reply["mine"], reply["from_bot"]) == (True, False, True)
    assert reply["text"] == "Hi there"
    assert reply["entities"] == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "italic", "offset": 3, "length": 5},
    ]


async def test_bad_messages_are_refused_and_reach_nobody(page: Page, bot: Bot) -> None:
    chat = page.emulator.bot().chat(ALICE)
    assert await page.refused("POST", "/api/chats/alice/send", {"text": "  "}) == (
        "Type a message first."
    )
    assert "at most 4096" in await page.refused(
        "POST", "/api/chats/alice/send", {"text": "x" * 4097}
    )
    assert await page.refused("POST", "/api/chats/alice/send", ["/start"]) == "Send a JSON object."
    gone = "The message you reply to is gone."
    assert (
        await page.refused("POST", "/api/chats/alice/send", {"text": "hi", "reply_to": 99}) == gone
    )
    for forged in ("1", True, -1, 2**40):
        await page.refused("POST", "/api/chats/alice/send", {"text": "hi", "reply_to": forged})
    assert await page.refused("POST", "/api/chats/mallory/send", {"text": "hi"}, 404) == (
        "no such chat"
    )
    async with page.http.post(f"{page.base}/api/chats/alice/send", data=b"not json") as raw:
        assert raw.status == 400
    assert chat.messages == {}
    assert await bot.get_updates(timeout=0) == []


HOSTILE_BODIES = {
    "100,000 nested lists": ("[" * 100_000 + "]" * 100_000, 413),
    "30,000 nested lists": ("[" * 30_000 + "]" * 30_000, 400),
    "a field nested 990 deep": ('{"text": ' + "[" * 990 + "]" * 990 + "}", 400),
    "a megabyte of text": (json.dumps({"text": "x" * 1_000_000, "amount": "5"}), 413),
}


@pytest.mark.parametrize("route", ["/api/chats/alice/send", "/api/sandbox/usdt"])
async def test_hostile_bodies_are_refused_in_a_sentence_and_change_nothing(
    page: Page, bot: Bot, caplog: pytest.LogCaptureFixture, route: str
) -> None:
    answers = {}
    with caplog.at_level(logging.INFO):
        for what, (body, _) in HOSTILE_BODIES.items():
            headers = {"Content-Type": "application/json"}
            async with page.http.post(f"{page.base}{route}", data=body, headers=headers) as raw:
                assert raw.content_type == "application/json", what
                answers[what] = (raw.status, bool((await raw.json())["error"]))
    assert answers == {what: (status, True) for what, (_, status) in HOSTILE_BODIES.items()}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert page.emulator.bot().chat(ALICE).messages == {}
    assert await bot.get_updates(timeout=0) == []
    assert page.upstreams.tron.events == {}


async def test_a_press_carries_the_buttons_data_and_brings_back_the_toast(
    page: Page, bot: Bot
) -> None:
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Wallet", callback_data="open:wallet")]]
    )
    sent = await bot.send_message(ALICE, "Menu", reply_markup=keyboard)

    async def answer() -> None:
        [update] = await bot.get_updates(timeout=5)
        assert update.callback_query is not None
        assert update.callback_query.data == "open:wallet"
        await bot.answer_callback_query(update.callback_query.id, "Balance: 0", show_alert=True)

    answering = asyncio.create_task(answer())
    status, toast = await page.call(
        "POST", "/api/chats/alice/press", {"message_id": sent.message_id, "data": "open:wallet"}
    )
    await answering
    assert (status, toast) == (200, {"text": "Balance: 0", "show_alert": True})


async def test_forged_presses_and_payments_are_refused(page: Page, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Wallet", callback_data="open:wallet")]]
    )
    sent = await bot.send_message(ALICE, "Menu", reply_markup=keyboard)
    press = "/api/chats/alice/press"
    assert await page.refused(
        "POST", press, {"message_id": sent.message_id, "data": "admin:refund:1"}
    ) == ("That message has no such button.")
    assert await page.refused("POST", press, {"message_id": 999, "data": "open:wallet"}) == (
        "That button is gone."
    )
    await page.refused("POST", press, {"message_id": "1", "data": "open:wallet"})
    await page.refused("POST", press, {"message_id": sent.message_id})
    # Alice's message is not in the operators' chat.
    await page.refused(
        "POST", "/api/chats/operators/press", {"message_id": sent.message_id, "data": "open:wallet"}
    )
    assert "not an invoice" in await page.refused(
        "POST", "/api/chats/alice/pay", {"message_id": sent.message_id}
    )
    assert await bot.get_updates(timeout=0) == []
    assert await page.refused("GET", "/api/files/nope", None, 404) == "no such file"


async def test_the_command_menu_is_the_one_telegram_shows_that_user(page: Page, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand(command="start", description="Main menu")])
    await bot.set_my_commands(
        [BotCommand(command="stats", description="Sales")],
        scope=BotCommandScopeChatMember(chat_id=GROUP, user_id=OPERATOR),
    )
    _, alice = await page.call("GET", "/api/chats/alice")
    _, operators = await page.call("GET", "/api/chats/operators")
    assert [c["command"] for c in alice["commands"]] == ["start"]
    assert [c["command"] for c in operators["commands"]] == ["stats"]


async def test_a_usdt_transfer_goes_on_chain_for_exactly_the_amount(page: Page) -> None:
    status, sent = await page.call("POST", "/api/sandbox/usdt", {"amount": "25.000317"})
    assert (status, sent["amount"]) == (200, "25.000317")
    [event] = page.upstreams.tron.events.values()
    assert (event.to, event.value, event.confirmed) == (DEMO_DEPOSIT_ADDRESS, 25_000_317, True)
    assert event.transaction_id == sent["txid"]
    _, panel = await page.call("GET", "/api/sandbox")
    assert panel["transfers"] == [{"txid": sent["txid"], "amount": "25.000317", "confirmed": True}]


@pytest.mark.parametrize(
    "amount",
    [
        "",
        "abc",
        "0",
        "0.000000",
        "-5",
        "1e3",
        "NaN",
        "Infinity",
        "0.0000001",
        "1000000.000001",
        "٣",
        "１０",
        "10,5",
        " 10 . 5",
        "<b>10</b>",
        None,
        [],
        {"amount": 1},
    ],
)
async def test_bad_usdt_amounts_send_nothing(page: Page, amount: Any) -> None:
    error = await page.refused("POST", "/api/sandbox/usdt", {"amount": amount})
    assert "above 0, at most 1,000,000, with up to 6 decimals" in error
    assert page.upstreams.tron.events == {}


async def test_the_panel_lists_the_usdt_requests_still_open(page: Page) -> None:
    now = datetime.now(UTC)
    async with SqliteDatabase(page.database) as db:
        await CustomerStore(db).register(ALICE, username="alice", first_name="Alice", language="en")
        store = DepositStore(db)
        async with db.write() as tx:
            for name, status, expires in (
                ("open", RequestStatus.OPEN, now + timedelta(minutes=30)),
                ("late", RequestStatus.OPEN, now - timedelta(minutes=1)),
                ("done", RequestStatus.CREDITED, now + timedelta(minutes=30)),
            ):
                await store.insert_request(
                    tx,
                    DepositRequest(
                        id=name,
                        user_id=ALICE,
                        method=Method.USDT,
                        amount=10_000_000,
                        pay_amount=10_000_042,
                        status=status,
                        return_to=None,
                        created_at=as_stored(now - timedelta(minutes=5)),
                        expires_at=as_stored(expires),
                    ),
                )
    _, panel = await page.call("GET", "/api/sandbox")
    [waiting] = panel["deposit_requests"]
    assert (waiting["id"], waiting["customer"], waiting["amount"]) == ("open", "Alice", "10.000042")


async def test_faults_arm_the_next_money_call_of_one_upstream(page: Page) -> None:
    for kind in ("fail", "slow", "hang"):
        status, _ = await page.call(
            "POST", "/api/sandbox/faults", {"upstream": "cloud", "kind": kind}
        )
        assert status == 200
    plan = page.upstreams["cloud"].plan
    assert [(f.kind, f.path) for f in plan.faults] == [
        ("5xx", "/api/orders/*/pay"),
        ("slow", "/api/orders/*/pay"),
        ("hang", "/api/orders/*/pay"),
    ]
    assert [f.seconds for f in plan.faults[1:]] == [3, 3]
    assert plan.take("/api/uid") is None  # an account lookup is not a money call
    _, panel = await page.call("GET", "/api/sandbox")
    assert [f["kind"] for f in panel["faults"]] == ["5xx", "slow", "hang"]

    assert await page.refused(
        "POST", "/api/sandbox/faults", {"upstream": "mars", "kind": "fail"}
    ) == ("Choose an upstream.")
    assert await page.refused(
        "POST", "/api/sandbox/faults", {"upstream": "cloud", "kind": "boom"}
    ) == ("The kind is fail, slow or hang.")
    assert len(plan.faults) == 3  # refused requests armed nothing

    status, _ = await page.call("DELETE", "/api/sandbox/faults")
    assert status == 200 and all(not u.plan.faults for u in page.upstreams.all)


async def test_a_kumquat_success_can_turn_failed_once(page: Page) -> None:
    topups = page.upstreams.topup
    product = next(iter(topups.products.values()))
    for serial, state in (("S-1", "SUCCESS"), ("S-2", "PROCESSING")):
        topups.orders[serial] = kumquat.TopUp(
            request_no=f"R-{serial}",
            serial_no=serial,
            product=product,
            account="8613800000000",
            status=state,
            callback_url=None,
            created_at="2026-11-24 10:00:00",
            ending="SUCCESS",
        )
    balance = topups.balance

    status, _ = await page.call("POST", "/api/sandbox/topups/S-1/reverse")
    assert status == 200
    assert topups.orders["S-1"].status == "FAIL"
    assert topups.balance == balance + product.price  # KUMQUAT gives the money back
    assert "Only a successful top-up" in await page.refused(
        "POST", "/api/sandbox/topups/S-1/reverse", None
    )
    assert "Only a successful top-up" in await page.refused(
        "POST", "/api/sandbox/topups/S-2/reverse", None
    )
    assert await page.refused("POST", "/api/sandbox/topups/nope/reverse", None, 404) == (
        "no such top-up"
    )
    assert topups.balance == balance + product.price


async def test_an_acedata_order_can_be_marked_paid_while_it_waits(page: Page) -> None:
    ace = page.upstreams.acedata
    package = next(iter(ace.packages.values()))
    ace.orders["o-1"] = AceOrder(
        id="o-1",
        application_id="app",
        package=package,
        amount=package.amount,
        price=Decimal("10.99"),
        pay_way="Stripe",
        created=time.time(),
        created_at="2026-11-24T10:00:00Z",
    )
    _, panel = await page.call("GET", "/api/sandbox")
    assert panel["acedata"][0]["state"] == "Pending"

    status, paid = await page.call("POST", "/api/sandbox/acedata/o-1/pay")
    assert (status, paid["state"]) == (200, "Paid")
    assert "not waiting for payment" in await page.refused(
        "POST", "/api/sandbox/acedata/o-1/pay", None
    )
    assert await page.refused("POST", "/api/sandbox/acedata/o-2/pay", None, 404) == (
        "no such AceData order"
    )


async def test_live_events_name_the_chat_that_changed(page: Page, bot: Bot) -> None:
    async with page.http.get(f"{page.base}/api/events") as stream:
        assert (await stream.content.readline()).decode().strip() == "event: hello"
        await stream.content.readline()  # its data
        await stream.content.readline()  # the blank line
        await bot.send_message(GROUP, "A deposit came in")
        lines = [(await stream.content.readline()).decode().strip() for _ in range(3)]
    assert lines == ["event: chat", 'data: {"seat": "operators"}', ""]


async def test_only_the_playground_page_can_act(page: Page) -> None:
    usdt = f"{page.base}/api/sandbox/usdt"
    evil = {"Origin": "https://evil.example"}
    async with page.http.post(usdt, json={"amount": "5"}, headers=evil) as response:
        assert response.status == 403
        assert (await response.json())["error"] == "Only the playground page can do that."
    # A form or a no-preflight request from another site: not JSON, refused.
    plain = {"Content-Type": "text/plain"}
    async with page.http.post(usdt, data='{"amount": "5"}', headers=plain) as response:
        assert response.status == 400
    # A name that was rebound to 127.0.0.1 arrives with its own Host.
    port = page.base.rsplit(":", 1)[1]
    async with page.http.get(
        f"{page.base}/api/setup", headers={"Host": f"evil.example:{port}"}
    ) as response:
        assert response.status == 403
    assert page.upstreams.tron.events == {}

    ours = {"Origin": page.base}
    async with page.http.post(usdt, json={"amount": "5"}, headers=ours) as response:
        assert response.status == 200
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert len(page.upstreams.tron.events) == 1


@pytest.mark.parametrize("amount", [25, 25.5, 1e3])
async def test_usdt_amounts_are_text_not_json_numbers(page: Page, amount: float) -> None:
    await page.refused("POST", "/api/sandbox/usdt", {"amount": amount})
    assert page.upstreams.tron.events == {}


async def test_files_open_in_the_page_only_when_they_are_pictures(page: Page, bot: Bot) -> None:
    await bot.send_document(
        ALICE, BufferedInputFile(b"<script>alert(1)</script>", filename='accounts "1".html')
    )
    _, chat = await page.call("GET", "/api/chats/alice")
    [document] = [m["media"] for m in chat["messages"]]
    async with page.http.get(f"{page.base}/api/files/{document['file_id']}") as response:
        assert response.status == 200
        assert response.headers["Content-Disposition"] == (
            "attachment; filename*=UTF-8''accounts%20%221%22.html"
        )
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert await response.read() == b"<script>alert(1)</script>"


async def test_an_expired_acedata_order_cannot_be_marked_paid(page: Page) -> None:
    ace = page.upstreams.acedata
    package = next(iter(ace.packages.values()))
    ace.orders["o-old"] = AceOrder(
        id="o-old",
        application_id="app",
        package=package,
        amount=package.amount,
        price=Decimal("10.99"),
        pay_way="Stripe",
        created=time.time() - ace.expire_seconds - 1,
        created_at="2026-11-24T09:00:00Z",
    )
    _, panel = await page.call("GET", "/api/sandbox")
    assert panel["acedata"][0]["state"] == "Expired"
    assert await page.refused("POST", "/api/sandbox/acedata/o-old/pay", None) == (
        "That order is expired, not waiting for payment."
    )
    assert ace.orders["o-old"].paid_at is None
