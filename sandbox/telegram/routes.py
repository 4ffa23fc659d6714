"""The driver over HTTP (routes listed in `sandbox.telegram.server`'s docstring)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox.telegram.payments import pay_invoice, redeliver_payment
from sandbox.telegram.server import user_from
from sandbox.telegram.stars import PRE_CHECKOUT_TIMEOUT
from sandbox.telegram.state import (
    TELEGRAM_GROUP_LIMIT,
    TELEGRAM_PRIVATE_LIMIT,
    BotAccount,
    Chat,
    ChatLimit,
    ChatMessage,
    UserInfo,
)

if TYPE_CHECKING:
    from sandbox.telegram import TelegramEmulator


def message_json(message: ChatMessage) -> dict[str, Any]:
    media = message.document or message.photo
    return {
        "message_id": message.message_id,
        "date": message.date,
        "reply_to": message.reply_to_message_id,
        "from_bot": message.from_bot,
        "sender": message.sender.first_name,
        "text": message.text,
        "html": message.html,
        "entities": message.entities,
        "buttons": [
            [
                {"text": b.text, "callback_data": b.callback_data, "url": b.url, "pay": b.pay}
                for b in row
            ]
            for row in message.buttons
        ],
        "invoice": None
        if message.invoice is None
        else {**message.invoice.to_api(), "payload": message.invoice.payload},
        "successful_payment": None
        if message.successful_payment is None
        else message.successful_payment.to_api(),
        "edited": message.edited,
        "deleted": message.deleted,
        "media": None
        if media is None
        else {
            "kind": "document" if message.document else "photo",
            "file_id": media.file_id,
            "file_name": media.file_name,
            "mime_type": media.mime_type,
            "size": len(media.data),
            "download": f"/_emulator/files/{media.file_id}",
        },
    }


def _chat_limit(value: Any) -> ChatLimit | None:
    if value is None:
        return None
    limit = ChatLimit(int(value["messages"]), float(value["seconds"]))
    if limit.messages < 1 or limit.seconds <= 0:
        raise ValueError("messages and seconds must be positive")
    return limit


def _limit_json(limit: ChatLimit | None) -> dict[str, float] | None:
    return None if limit is None else {"messages": limit.messages, "seconds": limit.seconds}


def driver_routes(emulator: TelegramEmulator) -> list[web.RouteDef]:
    def account(request: web.Request) -> BotAccount:
        try:
            return emulator.bot_by_username(request.query.get("bot"))
        except (KeyError, RuntimeError):
            raise web.HTTPNotFound(text="no such bot") from None

    def chat_of(request: web.Request) -> tuple[BotAccount, Chat]:
        bot = account(request)
        chat = bot.chats.get(int(request.match_info["chat_id"]))
        if chat is None:
            raise web.HTTPNotFound(text="no such chat")
        return bot, chat

    def member(chat: Chat, user_id: int) -> UserInfo:
        if chat.user is not None and chat.user.id == user_id:
            return chat.user
        if user_id in chat.members:
            return chat.members[user_id]
        raise web.HTTPBadRequest(text=f"user {user_id} is not in chat {chat.id}")

    async def create_user(request: web.Request) -> web.Response:
        user = user_from(await request.json())
        chat = account(request).private_chat(user)
        return web.json_response({"chat_id": chat.id})

    async def create_group(request: web.Request) -> web.Response:
        body = await request.json()
        chat = account(request).group(int(body["chat_id"]), str(body.get("title") or "Group"))
        return web.json_response({"chat_id": chat.id})

    async def add_member(request: web.Request) -> web.Response:
        _, chat = chat_of(request)
        user = user_from(await request.json())
        chat.members[user.id] = user
        return web.json_response({"chat_id": chat.id, "user_id": user.id})

    async def send(request: web.Request) -> web.Response:
        bot, chat = chat_of(request)
        body = await request.json()
        reply_to = body.get("reply_to")
        try:
            message, update_id = await bot.user_sends(
                chat,
                member(chat, int(body["user_id"])),
                str(body["text"]),
                reply_to=None if reply_to is None else int(reply_to),
            )
        except ValueError as error:
            raise web.HTTPBadRequest(text=str(error)) from None
        return web.json_response({"message_id": message.message_id, "update_id": update_id})

    async def press(request: web.Request) -> web.Response:
        bot, chat = chat_of(request)
        body = await request.json()
        user = member(chat, int(body["user_id"]))
        message_id = body.get("message_id")
        try:
            if "data" in body:
                target = chat.messages.get(int(message_id)) if message_id is not None else None
                if target is None:
                    raise AssertionError("raw callback data needs an existing message_id")
                data = str(body["data"])
            else:
                target, button = chat.find_button(
                    body.get("label"),
                    message_id=int(message_id) if message_id is not None else None,
                )
                data = button.callback_data or ""
        except AssertionError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        record, update_id = await bot.user_presses(chat, user, target, data)
        return web.json_response({"callback_query_id": record.id, "update_id": update_id})

    async def messages(request: web.Request) -> web.Response:
        _, chat = chat_of(request)
        return web.json_response(
            {
                "version": len(chat.events),
                "messages": [message_json(m) for m in chat.messages.values()],
            }
        )

    async def wait(request: web.Request) -> web.Response:
        _, chat = chat_of(request)
        after = int(request.query.get("after", "0"))
        timeout = min(float(request.query.get("timeout", "25")), 60.0)
        async with chat.changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    chat.changed.wait_for(lambda: len(chat.events) > after or emulator.closing),
                    timeout,
                )
        return web.json_response({"version": len(chat.events)})

    async def block(request: web.Request) -> web.Response:
        _, chat = chat_of(request)
        chat.blocked_bot = bool((await request.json()).get("blocked", True))
        return web.json_response({"blocked": chat.blocked_bot})

    async def flood(request: web.Request) -> web.Response:
        value = (await request.json()).get("per_second")
        emulator.flood_limit_per_second = None if value is None else float(value)
        return web.json_response({"per_second": emulator.flood_limit_per_second})

    async def chat_limits(request: web.Request) -> web.Response:
        body = await request.json()
        try:
            if body.get("telegram"):
                emulator.group_limit = TELEGRAM_GROUP_LIMIT
                emulator.private_limit = TELEGRAM_PRIVATE_LIMIT
            if "group" in body:
                emulator.group_limit = _chat_limit(body["group"])
            if "private" in body:
                emulator.private_limit = _chat_limit(body["private"])
        except (AttributeError, TypeError, ValueError, KeyError) as exc:
            raise web.HTTPBadRequest(
                text=f"a limit is {{messages, seconds}} or null: {exc}"
            ) from None
        return web.json_response(
            {
                "group": _limit_json(emulator.group_limit),
                "private": _limit_json(emulator.private_limit),
            }
        )

    async def pay(request: web.Request) -> web.Response:
        bot, chat = chat_of(request)
        body = await request.json()
        user = member(chat, int(body["user_id"]))
        timeout = min(float(body.get("timeout", PRE_CHECKOUT_TIMEOUT)), 60.0)
        try:
            result = await pay_invoice(
                bot,
                chat,
                user,
                int(body["message_id"]),
                answer_within=timeout,
                stale=bool(body.get("stale", False)),
            )
        except AssertionError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response(result.to_json())

    async def redeliver(request: web.Request) -> web.Response:
        try:
            update_id = await redeliver_payment(account(request), request.match_info["charge_id"])
        except AssertionError as exc:
            raise web.HTTPNotFound(text=str(exc)) from None
        return web.json_response({"update_id": update_id})

    async def file(request: web.Request) -> web.Response:
        stored = account(request).files.get(request.match_info["file_id"])
        if stored is None:
            raise web.HTTPNotFound(text="no such file")
        return web.Response(
            body=stored.data,
            content_type=stored.mime_type,
            headers={"Content-Disposition": f'attachment; filename="{stored.file_name}"'},
        )

    def webhook_json(bot: BotAccount) -> dict[str, Any]:
        webhook = bot.webhook
        return {
            "url": webhook.url,
            "pending": len(bot.updates),
            "last_error_date": webhook.last_error_date,
            "last_error_message": webhook.last_error_message,
            "deliveries": {str(uid): count for uid, count in webhook.deliveries.items()},
            "answered_calls": dict(webhook.answered_calls),
            "answer_errors": [
                {"update_id": e.update_id, "method": e.method, "description": e.description}
                for e in webhook.answer_errors
            ],
            "answers_to_lose": webhook.answers_to_lose,
            "calls_over_http": dict(bot.calls_over_http),
        }

    async def webhook(request: web.Request) -> web.Response:
        return web.json_response(webhook_json(account(request)))

    async def replay(request: web.Request) -> web.Response:
        bot = account(request)
        try:
            update_id = int((await request.json())["update_id"])
            bot.replay_update(update_id)
        except (KeyError, TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=f"replay takes {{update_id}}: {exc}") from None
        return web.json_response({"update_id": update_id})

    async def lose_answers(request: web.Request) -> web.Response:
        bot = account(request)
        try:
            bot.webhook.lose_answers(int((await request.json()).get("times", 1)))
        except (AttributeError, TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=f"lose_answers takes {{times}} >= 1: {exc}") from None
        return web.json_response(webhook_json(bot))

    async def wait_delivered(request: web.Request) -> web.Response:
        bot = account(request)
        timeout = min(float(request.query.get("timeout", "10")), 60.0)
        with contextlib.suppress(AssertionError):
            await bot.wait_until_delivered(timeout)
        return web.json_response({**webhook_json(bot), "delivered": not bot.updates})

    async def timing(request: web.Request) -> web.Response:
        body = await request.json()
        current = emulator.webhook_timing
        try:
            values = {
                name: float(body.get(name, getattr(current, name)))
                for name in ("timeout", "retry_delay", "max_retry_delay")
            }
        except (AttributeError, TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=f"timing takes seconds: {exc}") from None
        if min(values.values()) <= 0:
            raise web.HTTPBadRequest(text="timing takes positive seconds")
        for name, value in values.items():
            setattr(current, name, value)
        return web.json_response(values)

    return [
        web.post("/_emulator/users", create_user),
        web.post("/_emulator/groups", create_group),
        web.post("/_emulator/groups/{chat_id}/members", add_member),
        web.post("/_emulator/chats/{chat_id}/send", send),
        web.post("/_emulator/chats/{chat_id}/press", press),
        web.get("/_emulator/chats/{chat_id}/messages", messages),
        web.get("/_emulator/chats/{chat_id}/wait", wait),
        web.post("/_emulator/chats/{chat_id}/block", block),
        web.post("/_emulator/chats/{chat_id}/pay", pay),
        web.post("/_emulator/payments/{charge_id}/redeliver", redeliver),
        web.post("/_emulator/flood", flood),
        web.post("/_emulator/chat_limits", chat_limits),
        web.get("/_emulator/files/{file_id}", file),
        web.get("/_emulator/webhook", webhook),
        web.post("/_emulator/webhook/replay", replay),
        web.post("/_emulator/webhook/lose_answers", lose_answers),
        web.get("/_emulator/webhook/wait", wait_delivered),
        web.post("/_emulator/webhook/timing", timing),
    ]
