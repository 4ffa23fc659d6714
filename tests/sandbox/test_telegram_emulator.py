"""The emulator answers a real aiogram Bot the way Telegram does, refusals included."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup, Message

from sandbox.telegram import TELEGRAM_GROUP_LIMIT, ChatLimit, TelegramEmulator
from sandbox.telegram.state import CALLBACK_QUERY_TTL, press_key

USER = 7001


def keyboard(*labels: str, data: str | None = None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=label, callback_data=data or label.lower())]
            for label in labels
        ]
    )


async def test_get_me_and_a_message_with_html_and_buttons(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (555000, "emulated_bot", True)
    alice = emulator.private_chat(USER, "Alice", "alice", "en")

    sent = await bot.send_message(
        USER,
        "<b>Hello</b> &lt;you&gt; &amp; 越南",
        parse_mode="HTML",
        reply_markup=keyboard("Wallet", "Help"),
    )

    assert sent.text == "Hello <you> & 越南"
    assert sent.entities is not None and sent.entities[0].type == "bold"
    shown = await alice.wait_for_bot()
    assert shown.message_id == sent.message_id
    assert shown.text == "Hello <you> & 越南"
    assert shown.html == "<b>Hello</b> &lt;you&gt; &amp; 越南"
    assert shown.labels == ["Wallet", "Help"]


async def test_an_edit_happens_in_place_and_drops_the_keyboard_unless_given(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    alice = emulator.private_chat(USER, "Alice")
    sent = await bot.send_message(USER, "one", reply_markup=keyboard("A"))
    await alice.wait_for_bot()

    edited = await bot.edit_message_text("two", chat_id=USER, message_id=sent.message_id)
    assert isinstance(edited, Message) and edited.edit_date is not None
    shown = await alice.wait_for_bot()
    assert (shown.message_id, shown.text, shown.edited, shown.labels) == (
        sent.message_id,
        "two",
        True,
        [],
    )
    assert len(alice.bot_messages) == 1


async def test_a_held_call_takes_effect_only_when_released(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    alice = emulator.private_chat(USER, "Alice")
    sent = await bot.send_message(USER, "one")
    await alice.wait_for_bot()
    held = emulator.hold("editMessageText", text_contains="processing")

    other = await bot.edit_message_text("not this one", chat_id=USER, message_id=sent.message_id)
    assert isinstance(other, Message)
    await alice.wait_for_bot()
    editing = asyncio.create_task(
        bot.edit_message_text("processing…", chat_id=USER, message_id=sent.message_id)
    )
    await asyncio.wait_for(held.reached.wait(), 5)
    await asyncio.sleep(0.1)
    assert not editing.done()
    assert alice.last_bot_message is not None
    assert alice.last_bot_message.text == "not this one"

    held.release()
    await editing
    assert (await alice.wait_for_bot()).text == "processing…"


@pytest.mark.parametrize(
    ("text", "markup", "parse_mode", "description"),
    [
        ("x" * 4097, None, None, "message is too long"),
        ("", None, None, "message text is empty"),
        ("hi", keyboard("Long", data="d" * 65), None, "BUTTON_DATA_INVALID"),
        ("<b>unclosed", None, "HTML", "can't parse entities"),
        ("<script>x</script>", None, "HTML", "can't parse entities"),
        ("a < b", None, "HTML", "can't parse entities"),
    ],
)
async def test_send_message_refusals(
    emulator: TelegramEmulator,
    bot: Bot,
    text: str,
    markup: InlineKeyboardMarkup | None,
    parse_mode: str | None,
    description: str,
) -> None:
    emulator.private_chat(USER, "Alice")
    with pytest.raises(TelegramBadRequest, match=description):
        await bot.send_message(USER, text, reply_markup=markup, parse_mode=parse_mode)


async def test_callback_data_of_exactly_64_bytes_is_accepted(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    alice = emulator.private_chat(USER, "Alice")
    data = "é" * 32  # two bytes each in UTF-8: Telegram's limit exactly
    sent = await bot.send_message(USER, "ok", reply_markup=keyboard("Max", data=data))

    shown = await alice.wait_for_bot()
    assert shown.message_id == sent.message_id
    assert [[button.callback_data for button in row] for row in shown.buttons] == [[data]]
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == data


async def test_edit_refusals(emulator: TelegramEmulator, bot: Bot) -> None:
    emulator.private_chat(USER, "Alice")
    sent = await bot.send_message(USER, "same", reply_markup=keyboard("A"))

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "same", chat_id=USER, message_id=sent.message_id, reply_markup=keyboard("A")
        )
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(
            chat_id=USER, message_id=sent.message_id, reply_markup=keyboard("A")
        )
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("other", chat_id=USER, message_id=9999)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(USER, 9999)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(424242, "nobody there")

    assert await bot.delete_message(USER, sent.message_id) is True
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("gone", chat_id=USER, message_id=sent.message_id)


async def test_a_blocked_user_answers_403(emulator: TelegramEmulator, bot: Bot) -> None:
    alice = emulator.private_chat(USER, "Alice")
    alice.block_bot()
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER, "hello")
    alice.unblock_bot()
    await bot.send_message(USER, "hello again")


async def test_the_flood_limit_answers_429_with_retry_after(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    emulator.private_chat(USER, "Alice")
    emulator.flood_limit_per_second = 3
    for number in range(3):
        await bot.send_message(USER, f"message {number}")
    with pytest.raises(TelegramRetryAfter) as refused:
        await bot.send_message(USER, "one too many")
    assert refused.value.retry_after >= 1


async def test_a_group_takes_so_many_messages_then_answers_429_for_itself_alone(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    group = emulator.group(-100777, "Operators")
    alice = emulator.private_chat(USER, "Alice")
    emulator.group_limit = ChatLimit(messages=3, seconds=60)
    for number in range(3):
        await bot.send_message(group.chat.id, f"card {number}")
    with pytest.raises(TelegramRetryAfter) as refused:
        await bot.send_message(group.chat.id, "one too many")
    assert 1 <= refused.value.retry_after <= 60
    assert [m.text for m in group.chat.bot_messages()] == ["card 0", "card 1", "card 2"]
    assert group.chat.flood_refusals == 1
    await bot.send_message(USER, "a private chat has its own limit")  # none set here
    assert alice.last_bot_message is not None
    await bot.edit_message_text("card 0, edited", chat_id=group.chat.id, message_id=1)  # no send


async def test_a_private_chat_takes_one_message_a_second_when_asked(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    emulator.private_chat(USER, "Alice")
    emulator.private_chat(USER + 1, "Bob")
    emulator.private_limit = ChatLimit(messages=1, seconds=1.0)
    await bot.send_message(USER, "first")
    with pytest.raises(TelegramRetryAfter) as refused:
        await bot.send_message(USER, "second, too soon")
    assert refused.value.retry_after == 1
    await bot.send_message(USER + 1, "another chat is not held back")
    await asyncio.sleep(refused.value.retry_after)
    await bot.send_message(USER, "second, after the wait")


async def test_a_dropped_call_never_takes_effect(emulator: TelegramEmulator, bot: Bot) -> None:
    alice = emulator.private_chat(USER, "Alice")
    held = emulator.hold("sendMessage", text_contains="lost")
    sending = asyncio.create_task(bot.send_message(USER, "lost on the way"))
    await asyncio.wait_for(held.reached.wait(), 5)
    held.drop()
    with pytest.raises(ClientDecodeError):  # a gateway's page, not Telegram's answer
        await sending
    assert alice.bot_messages == []
    await bot.send_message(USER, "lost? no, sent again")  # later calls are not held
    assert [m.text for m in alice.bot_messages] == ["lost? no, sent again"]


async def test_a_wrong_token_is_unauthorized(emulator: TelegramEmulator) -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))
    stranger = Bot("999:WRONG", session=session)
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await stranger.get_me()
    finally:
        await stranger.session.close()


async def test_a_press_carries_the_current_message_and_is_answered_once(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    alice = emulator.private_chat(USER, "Alice", "alice", "vi")
    sent = await bot.send_message(USER, "menu", reply_markup=keyboard("Wallet"))
    await bot.edit_message_text(
        "menu, edited", chat_id=USER, message_id=sent.message_id, reply_markup=keyboard("Wallet")
    )

    await alice.press("Wallet")
    updates = await bot.get_updates(timeout=1)
    query = updates[-1].callback_query
    assert query is not None
    assert query.data == "wallet"
    assert query.from_user.language_code == "vi"
    assert isinstance(query.message, Message) and query.message.text == "menu, edited"

    assert await bot.answer_callback_query(query.id, text="Done", show_alert=True)
    assert alice.callback_answers == [{"text": "Done", "show_alert": True, "url": None}]
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query.id)
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot.answer_callback_query("forged-id")


async def test_pressing_a_missing_label_lists_the_buttons(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    alice = emulator.private_chat(USER, "Alice")
    await bot.send_message(USER, "menu", reply_markup=keyboard("Wallet", "Help"))
    with pytest.raises(AssertionError, match=r"\['Wallet', 'Help'\]"):
        await alice.press("Shop")


async def test_long_polling_wakes_when_a_user_writes_and_offsets_confirm(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    alice = emulator.private_chat(USER, "Alice")

    async def write_later() -> None:
        await asyncio.sleep(0.2)
        await alice.send("/start now")

    writer = asyncio.create_task(write_later())
    # A poll asking to wait 50 s must return as soon as the user writes.
    updates = await asyncio.wait_for(bot.get_updates(timeout=50), 10)
    await writer
    assert len(updates) == 1
    message = updates[0].message
    assert message is not None and message.text == "/start now"
    assert message.entities is not None and message.entities[0].type == "bot_command"
    assert message.entities[0].length == len("/start")

    await alice.send("second")
    again = await bot.get_updates(offset=updates[0].update_id + 1, timeout=1)
    assert [u.message.text for u in again if u.message] == ["second"]
    assert await bot.get_updates(offset=again[-1].update_id + 1, timeout=0) == []


async def test_a_document_round_trips_through_get_file(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    alice = emulator.private_chat(USER, "Alice")
    content = b"uid1|pass1|cookie1\nuid2|pass2|cookie2\n"
    sent = await bot.send_document(
        USER, BufferedInputFile(content, filename="accounts.txt"), caption="Your accounts"
    )
    assert sent.document is not None and sent.document.file_name == "accounts.txt"
    shown = await alice.wait_for_bot()
    assert shown.document is not None and shown.document.data == content
    assert shown.text == "Your accounts"

    file = await bot.get_file(sent.document.file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == content

    resent = await bot.send_document(USER, sent.document.file_id)
    assert resent.document is not None and resent.document.file_id == sent.document.file_id


async def test_a_photo_is_stored(emulator: TelegramEmulator, bot: Bot) -> None:
    alice = emulator.private_chat(USER, "Alice")
    await bot.send_photo(USER, BufferedInputFile(b"\x89PNG fake", filename="qr.png"))
    shown = await alice.wait_for_bot()
    assert shown.photo is not None and shown.photo.data == b"\x89PNG fake"


async def test_groups_keep_members_and_copy_message_works(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    group = emulator.group(-100500, "Shop admins")
    boss = group.as_user(42, "Boss", "boss")
    alice = emulator.private_chat(USER, "Alice")
    await boss.send("announcement")
    updates = await bot.get_updates(timeout=1)
    message = updates[-1].message
    assert message is not None and message.chat.type == "supergroup"
    assert message.chat.title == "Shop admins" and message.from_user is not None
    assert message.from_user.id == 42

    copied = await bot.copy_message(USER, -100500, message.message_id)
    shown = await alice.wait_for_bot()
    assert (shown.message_id, shown.text) == (copied.message_id, "announcement")


async def test_the_http_driver(emulator: TelegramEmulator, bot: Bot) -> None:
    base = f"{emulator.base_url}/_emulator"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/users", json={"user_id": USER, "first_name": "Http"}) as r:
            assert (await r.json()) == {"chat_id": USER}
        async with http.post(
            f"{base}/chats/{USER}/send", json={"user_id": USER, "text": "hi there"}
        ) as r:
            assert r.status == 200
        updates = await bot.get_updates(timeout=1)
        assert updates[-1].message is not None and updates[-1].message.text == "hi there"

        waiting = asyncio.create_task(
            http.get(f"{base}/chats/{USER}/wait", params={"after": 0, "timeout": 10})
        )
        await asyncio.sleep(0.1)
        await bot.send_message(USER, "<i>menu</i>", parse_mode="HTML", reply_markup=keyboard("Go"))
        async with await waiting as r:
            assert (await r.json())["version"] == 1

        async with http.get(f"{base}/chats/{USER}/messages") as r:
            body = await r.json()
        bot_messages = [m for m in body["messages"] if m["from_bot"]]
        assert bot_messages[-1]["text"] == "menu"
        assert bot_messages[-1]["buttons"] == [
            [{"text": "Go", "callback_data": "go", "url": None, "pay": False}]
        ]

        async with http.post(
            f"{base}/chats/{USER}/press", json={"user_id": USER, "label": "Go"}
        ) as r:
            assert r.status == 200
        async with http.post(
            f"{base}/chats/{USER}/press", json={"user_id": USER, "label": "Nope"}
        ) as r:
            assert r.status == 400
            assert "Go" in await r.text()
        updates = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=1)
        assert updates[-1].callback_query is not None
        assert updates[-1].callback_query.data == "go"

        async with http.post(f"{base}/chats/{USER}/block", json={"blocked": True}) as r:
            assert (await r.json()) == {"blocked": True}
        with pytest.raises(TelegramForbiddenError):
            await bot.send_message(USER, "blocked")
        async with http.post(f"{base}/flood", json={"per_second": 5}) as r:
            assert (await r.json()) == {"per_second": 5.0}
        async with http.post(f"{base}/chat_limits", json={"telegram": True}) as r:
            assert (await r.json()) == {
                "group": {"messages": 20, "seconds": 60.0},
                "private": {"messages": 1, "seconds": 1.0},
            }
        assert emulator.group_limit == TELEGRAM_GROUP_LIMIT
        async with http.post(f"{base}/chat_limits", json={"private": None}) as r:
            assert (await r.json())["private"] is None
        async with http.post(f"{base}/chat_limits", json={"group": {"messages": 0}}) as r:
            assert r.status == 400


async def test_real_polling_with_a_dispatcher(emulator: TelegramEmulator, bot: Bot) -> None:
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(f"echo: {message.text}")

    alice = emulator.private_chat(USER, "Alice")
    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, polling_timeout=5)
    )
    try:
        await alice.send("ping")
        reply = await alice.wait_for_bot()
        assert reply.text == "echo: ping"
        await alice.settle()
        assert [m.text for m in alice.bot_messages] == ["echo: ping"]
    finally:
        await dispatcher.stop_polling()
        await asyncio.wait_for(polling, 10)


async def test_stopping_releases_a_long_poll_at_once(emulator: TelegramEmulator, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=50))
    await asyncio.sleep(0.2)
    await asyncio.wait_for(emulator.stop(), 10)
    assert await asyncio.wait_for(poll, 10) == []


async def test_a_caption_is_edited_in_place_and_text_edits_refused_on_media(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    alice = emulator.private_chat(USER, "Alice")
    sent = await bot.send_photo(
        USER,
        BufferedInputFile(b"\x89PNG fake", filename="qr.png"),
        caption="Pay <b>10</b>",
        parse_mode="HTML",
        reply_markup=keyboard("Cancel"),
    )
    await alice.wait_for_bot()
    await bot.edit_message_caption(chat_id=USER, message_id=sent.message_id, caption="Cancelled")
    edited = await alice.wait_for_bot()
    assert (edited.text, edited.labels, edited.edited) == ("Cancelled", [], True)
    assert edited.photo is not None  # the picture stays
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_caption(
            chat_id=USER, message_id=sent.message_id, caption="Cancelled"
        )
    with pytest.raises(TelegramBadRequest, match="there is no text in the message to edit"):
        await bot.edit_message_text("text", chat_id=USER, message_id=sent.message_id)
    text = await bot.send_message(USER, "plain")
    with pytest.raises(TelegramBadRequest, match="there is no caption in the message to edit"):
        await bot.edit_message_caption(chat_id=USER, message_id=text.message_id, caption="x")


async def test_the_record_keeps_when_each_update_was_handed_out_and_a_late_answer_refused(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    alice = emulator.private_chat(USER, "Alice")
    await bot.send_message(USER, "menu", reply_markup=keyboard("Wallet"))
    await alice.press("Wallet")
    [record] = emulator.bot().callback_queries.values()
    assert emulator.bot().handed_out == {}  # not yet polled

    first = await bot.get_updates(timeout=1)
    again = await bot.get_updates(timeout=1)  # not confirmed: handed out a second time
    assert [u.update_id for u in first] == [u.update_id for u in again]
    assert len(emulator.bot().handed_out[press_key(record.id)]) == 2

    record.created -= CALLBACK_QUERY_TTL + 1  # pressed longer ago than Telegram takes answers
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(record.id)
    assert record.refused_too_old and not record.answered
