"""The Bot API over HTTP (`/bot{token}/{method}`, `/file/bot{token}/{path}`) and the driver routes.

Driver routes, for a process other than the tests' own (a playground, a benchmark); each acts on the
first bot the emulator was given, or on `?bot=USERNAME`:

- `POST /_emulator/users` `{"user_id", "first_name", "username"?, "language_code"?}`: a user and
  their private chat with the bot; answers `{"chat_id"}`.
- `POST /_emulator/groups` `{"chat_id", "title"}`; `POST /_emulator/groups/{chat_id}/members`
  `{"user_id", "first_name", "username"?}`.
- `POST /_emulator/chats/{chat_id}/send` `{"user_id", "text", "reply_to"?}`: the user sends text
  (as a reply to message `reply_to`).
- `POST /_emulator/chats/{chat_id}/press` `{"user_id", "label"? | "data"?, "message_id"?}`: the user
  presses a button by its label (or sends raw callback data).
- `GET /_emulator/chats/{chat_id}/messages`: `{"version", "messages": [...]}`; documents and photos
  carry a `download` URL.
- `GET /_emulator/chats/{chat_id}/wait?after=VERSION&timeout=SECONDS`: returns `{"version"}` as
  soon as the bot changed the chat after VERSION (or at the timeout).
- `POST /_emulator/chats/{chat_id}/block` `{"blocked": true|false}`: the user blocks the bot.
- `POST /_emulator/flood` `{"per_second": number|null}`: the flood limit for sending methods.
- `POST /_emulator/chat_limits` `{"group": {"messages", "seconds"}|null, "private": ...|null}`:
  each chat's own limit on the bot's messages (Telegram's: 20 a minute in a group, about one a
  second in a private chat; `{"telegram": true}` sets both); answers the limits now in force.
- `GET /_emulator/files/{file_id}`: a file's bytes.
- `POST /_emulator/chats/{chat_id}/pay` `{"user_id", "message_id", "stale"?, "timeout"?}`: the user
  pays invoice `message_id` and the call returns when the payment ended: `{"status": "approved" |
  "declined" | "no_answer", "pre_checkout_query_id", "charge_id", "message_id", "error_message",
  "update_id"}`. The bot gets a `pre_checkout_query` and has `timeout` seconds (default 10, as in
  Telegram) to answer; if it approves, the chat gets the user's `successful_payment` message
  (`message_id`, with `charge_id` as its `telegram_payment_charge_id`). `stale: true` pays an
  invoice the bot has deleted since. 400 if the message is not an invoice or is already paid.
- `POST /_emulator/payments/{charge_id}/redeliver`: the bot gets that `successful_payment` message
  again in a new update, as when Telegram delivers an update twice; answers `{"update_id"}`.
- `GET /_emulator/webhook`: the bot's webhook and its deliveries: `{"url", "pending",
  "last_error_date", "last_error_message", "deliveries": {update_id: posts that reached the bot},
  "answered_calls": {method: count}, "answer_errors": [{"update_id", "method", "description"}],
  "answers_to_lose", "calls_over_http": {method: count}}`. `answered_calls` counts the Bot API
  calls the bot made in its answers to deliveries (carried out like any call, and failing
  silently, as in Telegram); `calls_over_http` those it sent to `/bot{token}/{method}`.
- `POST /_emulator/webhook/replay` `{"update_id"}`: post an update the webhook already answered
  again, with the same `update_id`, as Telegram does when the answer was lost; 400 if it was never
  delivered or is still pending.
- `POST /_emulator/webhook/lose_answers` `{"times"?: 1}`: the next deliveries reach the bot and it
  answers, but the answer is lost: "Read timeout expired", and the same update comes again later.
- `GET /_emulator/webhook/wait?timeout=SECONDS`: returns when no update waits for delivery (or at
  the timeout): the same JSON as `/_emulator/webhook` plus `"delivered": true|false`.
- `POST /_emulator/webhook/timing` `{"timeout"?, "retry_delay"?, "max_retry_delay"?}` (seconds):
  how long a delivery may take before it fails, and the backoff before it is posted again.

Webhooks (Bot API methods): `setWebhook`, `deleteWebhook`, `getWebhookInfo` as Telegram answers
them, with the delivery described in `delivery.py`; `getUpdates` answers 409 while a URL is set.
The emulator takes `http://127.0.0.1:PORT` URLs too (Telegram wants HTTPS on 443, 80, 88 or 8443)
and no host but 127.0.0.1.

Payments (Bot API methods): `sendInvoice` (Telegram Stars, `XTR`; other currencies only with a
`provider_token`), `answerPreCheckoutQuery`, `refundStarPayment`, `getStarTransactions`,
`getMyStarBalance`. A message's `invoice` and `successful_payment` show in `messages` too.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox.telegram.faults import ApiFault, FiredFault
from sandbox.telegram.html import EntityError, parse_html, utf16_length
from sandbox.telegram.payments import check_invoice_keyboard, parse_invoice
from sandbox.telegram.stars import Answer, Refund
from sandbox.telegram.state import (
    CALLBACK_QUERY_TTL,
    ApiError,
    BotAccount,
    Button,
    Chat,
    ChatMessage,
    StoredFile,
    UserInfo,
    bad_request,
)
from sandbox.telegram.webhook import (
    DEFAULT_MAX_CONNECTIONS,
    MAX_CONNECTIONS,
    WebhookRefused,
    check_secret_token,
    check_url,
)

if TYPE_CHECKING:
    from sandbox.telegram import TelegramEmulator

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
INT32_MAX = 2**31 - 1  # telegram-bot-api reads its numeric arguments as 32-bit integers
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)

BAD_GATEWAY = "<html><body><h1>502 Bad Gateway</h1></body></html>"

Params = dict[str, Any]
Method = Callable[[BotAccount, Params], Awaitable[Any]]


# -- reading parameters --------------------------------------------------------------------------


async def read_params(request: web.Request) -> Params:
    """Form, multipart or JSON bodies, plus the query string, as one dict (files as bytes)."""
    params: Params = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
        return params
    if request.can_read_body:
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                params[name] = (value.filename, value.file.read(), value.content_type)
            else:
                params[name] = value
    return params


def _int(params: Params, name: str, *, default: int | None = None) -> int:
    value = params.get(name)
    if value is None or value == "":
        if default is None:
            raise bad_request(f"{name} is empty" if name != "chat_id" else "chat_id is empty")
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"invalid {name} specified") from None


def _clamped(params: Params, name: str, default: int, low: int, high: int) -> int:
    """A number the way telegram-bot-api reads most optional ones: the digits it starts with (an
    unreadable value is 0, an empty one `default`), clamped to `low`..`high`, never refused."""
    raw = str(params.get(name) or "").strip()
    if not raw:
        return default
    found = re.match(r"-?[0-9]*", raw)
    digits = found.group(0) if found else ""
    value = int(digits) if digits.lstrip("-") else 0
    return min(max(value, low), high)


def _json(params: Params, name: str) -> Any:
    value = params.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise bad_request(f"can't parse {name} JSON object") from None
    return value


def _bool(params: Params, name: str) -> bool:
    value = params.get(name)
    return value is True or (isinstance(value, str) and value.lower() in {"true", "1"})


def _formatted(
    params: Params, text_field: str, limit: int, too_long: str
) -> tuple[str, str | None, list[dict[str, Any]]]:
    raw = params.get(text_field)
    raw = "" if raw is None else str(raw)
    mode = str(params.get("parse_mode") or "")
    html: str | None = None
    if mode.upper() == "HTML":
        try:
            text, entities = parse_html(raw)
        except EntityError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
        html = raw
    elif mode:
        if mode not in {"Markdown", "MarkdownV2"}:
            raise bad_request(f"unsupported parse_mode {mode}")
        text, entities = raw, []
    else:
        text = raw
        entities = _json(params, "entities" if text_field == "text" else "caption_entities") or []
    if utf16_length(text) > limit:
        raise bad_request(too_long)
    return text, html, entities


def _buttons(params: Params) -> list[list[Button]]:
    markup = _json(params, "reply_markup")
    if not markup:
        return []
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return []  # reply keyboards and removals are accepted and not shown
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    parsed: list[list[Button]] = []
    for row in rows:
        if not isinstance(row, list):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
            )
        parsed_row = []
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request("can't parse inline keyboard button: Text must be a String")
            data = button.get("callback_data")
            url = button.get("url")
            others = {
                "switch_inline_query",
                "switch_inline_query_current_chat",
                "web_app",
                "login_url",
                "pay",
                "copy_text",
                "callback_game",
                "switch_inline_query_chosen_chat",
            }
            if data is None and url is None and not others & button.keys():
                raise bad_request(
                    "can't parse inline keyboard button: InlineKeyboardButton must have exactly "
                    "one optional field"
                )
            if data is not None and len(str(data).encode("utf-8")) > MAX_CALLBACK_DATA:
                raise bad_request("BUTTON_DATA_INVALID")
            if data is not None and str(data) == "":
                raise bad_request("BUTTON_DATA_INVALID")
            parsed_row.append(
                Button(
                    button["text"],
                    None if data is None else str(data),
                    url,
                    pay=button.get("pay") is True,
                )
            )
        parsed.append(parsed_row)
    return parsed


def _allowed_updates(params: Params) -> list[str] | None:
    """`allowed_updates` as given (None when left out: the bot's setting stays)."""
    if params.get("allowed_updates") in (None, ""):
        return None
    value = _json(params, "allowed_updates")
    if not isinstance(value, list) or not all(isinstance(kind, str) for kind in value):
        raise bad_request("can't parse allowed_updates JSON array")
    return list(dict.fromkeys(value))


@dataclass(frozen=True)
class Described:
    """A result Telegram answers with a `description` beside it ("Webhook was set")."""

    result: Any
    description: str


def _scope(params: Params) -> str:
    """Which users a command list is for: `default`, or e.g. `chat:-100123` for one chat and
    `chat_member:-100123:42` for one member of it."""
    scope = _json(params, "scope")
    if not isinstance(scope, dict):
        return "default"
    parts = [str(scope.get("type", "default"))]
    parts += [str(scope[key]) for key in ("chat_id", "user_id") if key in scope]
    return ":".join(parts)


def _bot_message(bot: BotAccount, chat: Chat, **content: Any) -> ChatMessage:
    """A new message from the bot in the chat; `content` is its text, entities, buttons, media."""
    return ChatMessage(
        message_id=chat.next_message_id(),
        chat_id=chat.id,
        sender=bot.user,
        date=int(time.time()),
        sent_at=time.monotonic(),
        **content,
    )


def _upload(bot: BotAccount, params: Params, field: str, default_mime: str) -> StoredFile:
    value = params.get(field)
    if isinstance(value, str) and value.startswith("attach://"):
        value = params.get(value.removeprefix("attach://"))
    if isinstance(value, tuple):
        filename, data, content_type = value
        mime = (
            content_type
            if content_type and content_type != "application/octet-stream"
            else default_mime
        )
        return bot.store_file(data, filename or field, mime)
    if isinstance(value, str) and value in bot.files:
        return bot.files[value]
    if isinstance(value, str) and value:
        raise bad_request("wrong file identifier/HTTP URL specified")
    raise bad_request(f"there is no {field} in the request")


# -- the methods ---------------------------------------------------------------------------------

# What an administrator's ChatMember carries (all granted, here).
_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_send_welcome_messages",
)


class BotApi:
    def __init__(self, emulator: TelegramEmulator) -> None:
        self.emulator = emulator
        self.methods: dict[str, Method] = {
            "getme": self.get_me,
            "getupdates": self.get_updates,
            "deletewebhook": self.delete_webhook,
            "setwebhook": self.set_webhook,
            "getwebhookinfo": self.get_webhook_info,
            "setmycommands": self.set_my_commands,
            "deletemycommands": self.delete_my_commands,
            "getmycommands": self.get_my_commands,
            "sendmessage": self.send_message,
            "editmessagetext": self.edit_message_text,
            "editmessagecaption": self.edit_message_caption,
            "editmessagereplymarkup": self.edit_message_reply_markup,
            "deletemessage": self.delete_message,
            "answercallbackquery": self.answer_callback_query,
            "senddocument": self.send_document,
            "sendphoto": self.send_photo,
            "sendchataction": self.send_chat_action,
            "getchat": self.get_chat,
            "getchatmember": self.get_chat_member,
            "getfile": self.get_file,
            "copymessage": self.copy_message,
            "forwardmessage": self.forward_message,
            "sendinvoice": self.send_invoice,
            "answerprecheckoutquery": self.answer_pre_checkout_query,
            "refundstarpayment": self.refund_star_payment,
            "getstartransactions": self.get_star_transactions,
            "getmystarbalance": self.get_my_star_balance,
        }

    async def handle(self, request: web.Request) -> web.Response:
        bot = self.emulator.bots.get(request.match_info["token"])
        if bot is None:
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        name = request.match_info["method"].lower()
        method = self.methods.get(name)
        if method is None:
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        bot.calls_over_http[request.match_info["method"]] += 1
        try:
            params = await read_params(request)
            return await self._answer(bot, name, method, params, request)
        except ApiError as error:
            return web.json_response(error.payload(), status=error.code)

    async def carry_out_webhook_answer(
        self, bot: BotAccount, method_name: str, params: Params
    ) -> str | None:
        """A call the bot made in its answer to a webhook delivery, carried out exactly as if it
        had come to `/bot{token}/{method}` (held calls and faults included); nobody gets its
        result. Returns why it failed, or None."""
        name = method_name.lower()
        method = self.methods.get(name)
        if method is None:
            return "Not Found"
        try:
            response = await self._answer(bot, name, method, params, None)
        except ApiError as error:
            return error.description
        except web.HTTPException as lost:
            return f"lost: {lost.reason}"
        except Exception as unexpected:  # Telegram would answer 500; the delivery goes on
            return f"Internal Server Error: {unexpected!r}"
        if response.status == 200:
            return None
        try:
            return str(json.loads(response.text or "")["description"])
        except (ValueError, KeyError, TypeError):
            return f"{response.status} {response.reason}"

    async def _answer(
        self,
        bot: BotAccount,
        name: str,
        method: Method,
        params: Params,
        request: web.Request | None,
    ) -> web.Response:
        """A call (`name` in lower case) as Telegram answers it; raises `ApiError` for a refusal."""
        for held in [held for held in self.emulator.held if held.matches(name, params)]:
            if not await held.wait_for_release():  # dropped: it never reached Telegram
                return web.Response(status=502, text=BAD_GATEWAY, content_type="text/html")
        taken = self.emulator.faults.take(name, _chat_of_call(bot, name, params))
        if taken is not None:
            return await self._faulted(bot, method, params, *taken, request)
        result = await method(bot, params)
        if isinstance(result, Described):
            return web.json_response(
                {"ok": True, "result": result.result, "description": result.description}
            )
        return web.json_response({"ok": True, "result": result})

    async def _faulted(
        self,
        bot: BotAccount,
        method: Method,
        params: Params,
        fault: ApiFault,
        fired: FiredFault,
        request: web.Request | None,
    ) -> web.Response:
        """The call as the fault has it: refused, carried out or not, answered by a gateway or
        never answered at all."""
        if fault.kind == "429":
            error = _too_many(fault.retry_after)
            return web.json_response(error.payload(), status=error.code)
        if fault.kind == "timeout":
            await self.emulator.faults.hold(fault)
        if fault.carried_out:
            try:
                await method(bot, params)
            except ApiError as error:
                if fault.kind == "timeout":
                    raise _dropped(request) from None
                self.emulator.faults.give_back(fault, fired)  # only calls Telegram carried out fail
                return web.json_response(error.payload(), status=error.code)
        if fault.kind == "timeout":
            raise _dropped(request)
        return web.Response(status=502, text=BAD_GATEWAY, content_type="text/html")

    async def download(self, request: web.Request) -> web.Response:
        bot = self.emulator.bots.get(request.match_info["token"])
        if bot is None:
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        stored = bot.files.get(request.match_info["path"].removeprefix("documents/"))
        if stored is None:
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        return web.Response(body=stored.data, content_type=stored.mime_type)

    # -- identity, polling and configuration --

    async def get_me(self, bot: BotAccount, params: Params) -> Any:
        return {
            **bot.user.to_api(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def get_updates(self, bot: BotAccount, params: Params) -> Any:
        if bot.webhook.active:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        allowed = _allowed_updates(params)
        if allowed is not None:
            bot.allowed_updates = allowed
        timeout = min(max(_int(params, "timeout", default=0), 0), 50)
        if self.emulator.closing:
            timeout = 0
        return await bot.take_updates(
            _int(params, "offset", default=0), _int(params, "limit", default=100), timeout
        )

    async def set_webhook(self, bot: BotAccount, params: Params) -> Any:
        """See `webhook.py` for what the emulator takes as a URL (127.0.0.1 only, http too)."""
        url = str(params.get("url") or "")
        try:
            if url:
                check_url(url)
            secret = check_secret_token(str(params.get("secret_token") or ""))
        except WebhookRefused as refused:
            raise bad_request(str(refused)) from None
        allowed = _allowed_updates(params)
        connections = _clamped(
            params, "max_connections", DEFAULT_MAX_CONNECTIONS, 1, MAX_CONNECTIONS
        )
        drop = _bool(params, "drop_pending_updates")
        if drop:
            bot.drop_pending_updates()
        if allowed is not None:
            bot.allowed_updates = allowed
        if not url:
            return await self._remove_webhook(bot)
        webhook = bot.webhook
        unchanged = (webhook.url, webhook.secret_token, webhook.max_connections) == (
            url,
            secret,
            connections,
        )
        if webhook.url != url:
            webhook.forget_errors()
        webhook.url, webhook.secret_token, webhook.max_connections = url, secret, connections
        await bot.wake_pollers()  # a long poll in progress ends with 409
        await self.emulator.webhooks.follow(bot)
        if unchanged and not drop:
            return Described(True, "Webhook is already set")
        return Described(True, "Webhook was set")

    async def delete_webhook(self, bot: BotAccount, params: Params) -> Any:
        if _bool(params, "drop_pending_updates"):
            bot.drop_pending_updates()
        return await self._remove_webhook(bot)

    async def _remove_webhook(self, bot: BotAccount) -> Described:
        webhook = bot.webhook
        if not webhook.active:
            return Described(True, "Webhook is already deleted")
        webhook.url, webhook.secret_token = "", ""
        webhook.max_connections = DEFAULT_MAX_CONNECTIONS
        webhook.forget_errors()
        await self.emulator.webhooks.follow(bot)
        return Described(True, "Webhook was deleted")

    async def get_webhook_info(self, bot: BotAccount, params: Params) -> Any:
        return bot.webhook.info(len(bot.updates), bot.allowed_updates)

    async def set_my_commands(self, bot: BotAccount, params: Params) -> Any:
        commands = _json(params, "commands")
        if not isinstance(commands, list):
            raise bad_request("commands must be an array")
        bot.commands[_scope(params)] = commands
        return True

    async def delete_my_commands(self, bot: BotAccount, params: Params) -> Any:
        bot.commands.pop(_scope(params), None)
        return True

    async def get_my_commands(self, bot: BotAccount, params: Params) -> Any:
        return bot.commands.get(_scope(params), [])

    # -- sending --

    def _target(self, bot: BotAccount, params: Params) -> Chat:
        chat = bot.chat(_int(params, "chat_id"))
        if chat.blocked_bot:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _check_flood(self, bot: BotAccount, method: str, chat: Chat) -> None:
        """Telegram's limits on sending, each answered 429 with the seconds to wait: the bot's
        overall rate (`flood_limit_per_second`) and each chat's own (`group_limit` in groups,
        `private_limit` in private chats). A refused call counts against neither."""
        now = time.monotonic()
        limit = self.emulator.flood_limit_per_second
        bot.sent_times = [t for t in bot.sent_times if now - t < 1.0]
        if limit is not None and len(bot.sent_times) >= limit:
            bot.flood_refusals[method] += 1
            raise _too_many(1.0 - (now - bot.sent_times[0]))
        per_chat = (
            self.emulator.private_limit if chat.type == "private" else self.emulator.group_limit
        )
        if per_chat is not None:
            chat.sent_times = [t for t in chat.sent_times if now - t < per_chat.seconds]
            if len(chat.sent_times) >= per_chat.messages:
                bot.flood_refusals[method] += 1
                chat.flood_refusals += 1
                raise _too_many(per_chat.seconds - (now - chat.sent_times[0]))
            chat.sent_times.append(now)
        bot.sent_times.append(now)

    def _reply_to(self, params: Params) -> int | None:
        reply = _json(params, "reply_parameters")
        if isinstance(reply, dict) and "message_id" in reply:
            return int(reply["message_id"])
        if params.get("reply_to_message_id"):
            return _int(params, "reply_to_message_id")
        return None

    async def _deliver(self, bot: BotAccount, chat: Chat, message: ChatMessage) -> Any:
        chat.messages[message.message_id] = message
        await chat.record_bot_change(message.message_id)
        return message.to_api(chat)

    async def send_message(self, bot: BotAccount, params: Params) -> Any:
        chat = self._target(bot, params)
        text, html, entities = _formatted(params, "text", MAX_TEXT, "message is too long")
        if not text.strip():
            raise bad_request("message text is empty")
        buttons = _buttons(params)
        self._check_flood(bot, "sendMessage", chat)
        message = _bot_message(
            bot,
            chat,
            text=text,
            html=html,
            entities=entities,
            buttons=buttons,
            reply_to_message_id=self._reply_to(params),
        )
        return await self._deliver(bot, chat, message)

    async def _send_media(self, bot: BotAccount, params: Params, kind: str) -> Any:
        chat = self._target(bot, params)
        caption, html, entities = _formatted(
            params, "caption", MAX_CAPTION, "message caption is too long"
        )
        stored = _upload(
            bot, params, kind, "image/png" if kind == "photo" else "application/octet-stream"
        )
        buttons = _buttons(params)
        self._check_flood(bot, "sendPhoto" if kind == "photo" else "sendDocument", chat)
        message = _bot_message(
            bot,
            chat,
            text=caption,
            html=html,
            entities=entities,
            buttons=buttons,
            document=stored if kind == "document" else None,
            photo=stored if kind == "photo" else None,
            reply_to_message_id=self._reply_to(params),
        )
        return await self._deliver(bot, chat, message)

    async def send_document(self, bot: BotAccount, params: Params) -> Any:
        return await self._send_media(bot, params, "document")

    async def send_photo(self, bot: BotAccount, params: Params) -> Any:
        return await self._send_media(bot, params, "photo")

    async def _repost(self, bot: BotAccount, params: Params, *, copy: bool) -> ChatMessage:
        """copyMessage and forwardMessage: the source message again, in the target chat."""
        source = bot.chat(_int(params, "from_chat_id")).messages.get(_int(params, "message_id"))
        if source is None or source.deleted:
            raise bad_request(f"message to {'copy' if copy else 'forward'} not found")
        chat = self._target(bot, params)
        self._check_flood(bot, "copyMessage" if copy else "forwardMessage", chat)
        message = _bot_message(
            bot,
            chat,
            text=source.text,
            html=source.html,
            entities=list(source.entities),
            buttons=_buttons(params) if copy else [],
            document=source.document,
            photo=source.photo,
        )
        await self._deliver(bot, chat, message)
        return message

    async def copy_message(self, bot: BotAccount, params: Params) -> Any:
        return {"message_id": (await self._repost(bot, params, copy=True)).message_id}

    async def forward_message(self, bot: BotAccount, params: Params) -> Any:
        message = await self._repost(bot, params, copy=False)
        return message.to_api(bot.chat(message.chat_id))

    # -- payments --

    async def send_invoice(self, bot: BotAccount, params: Params) -> Any:
        invoice = parse_invoice(params)
        chat = self._target(bot, params)
        buttons = _buttons(params)
        check_invoice_keyboard(buttons)
        self._check_flood(bot, "sendInvoice", chat)
        message = _bot_message(
            bot,
            chat,
            invoice=invoice,
            buttons=buttons,
            reply_to_message_id=self._reply_to(params),
        )
        return await self._deliver(bot, chat, message)

    async def answer_pre_checkout_query(self, bot: BotAccount, params: Params) -> Any:
        ok = _bool(params, "ok")
        error_message = str(params.get("error_message") or "")
        if not ok and not error_message:
            raise bad_request('parameter "error_message" is required')
        query_id = str(params.get("pre_checkout_query_id") or "")
        if bot.stars.answer(query_id, ok, error_message) is Answer.UNKNOWN:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        return True

    async def refund_star_payment(self, bot: BotAccount, params: Params) -> Any:
        try:
            user_id = int(params.get("user_id") or 0)
        except (TypeError, ValueError):
            user_id = 0
        if user_id <= 0:
            raise bad_request("invalid user_id specified")
        charge_id = str(params.get("telegram_payment_charge_id") or "")
        if not charge_id:
            raise bad_request('parameter "telegram_payment_charge_id" is required')
        outcome = bot.stars.refund(user_id, charge_id)
        if outcome is Refund.NOT_FOUND:
            raise bad_request("CHARGE_NOT_FOUND")
        if outcome is Refund.ALREADY_REFUNDED:
            raise bad_request("CHARGE_ALREADY_REFUNDED")
        return True

    async def get_star_transactions(self, bot: BotAccount, params: Params) -> Any:
        offset = _clamped(params, "offset", 0, 0, INT32_MAX)
        page = bot.stars.page(offset, _clamped(params, "limit", 100, 1, 100))
        return {"transactions": [transaction.to_api() for transaction in page]}

    async def get_my_star_balance(self, bot: BotAccount, params: Params) -> Any:
        return {"amount": bot.stars.balance}

    # -- editing and deleting --

    def _own_message(
        self, bot: BotAccount, params: Params, missing: str
    ) -> tuple[Chat, ChatMessage]:
        if params.get("inline_message_id"):
            raise bad_request("inline messages are not supported by the emulator")
        chat = bot.chat(_int(params, "chat_id"))
        message = chat.messages.get(_int(params, "message_id"))
        if message is None or message.deleted or not message.from_bot:
            raise bad_request(missing)
        return chat, message

    async def edit_message_text(self, bot: BotAccount, params: Params) -> Any:
        chat, message = self._own_message(bot, params, "message to edit not found")
        if message.document is not None or message.photo is not None or message.invoice:
            raise bad_request("there is no text in the message to edit")
        text, html, entities = _formatted(params, "text", MAX_TEXT, "message is too long")
        if not text.strip():
            raise bad_request("message text is empty")
        buttons = _buttons(
            params
        )  # no reply_markup in an edit removes the keyboard, as Telegram does
        if (text, entities, buttons) == (message.text, message.entities, message.buttons):
            raise bad_request(NOT_MODIFIED)
        message.text, message.html, message.entities = text, html, entities
        message.buttons = buttons
        message.edited = True
        await chat.record_bot_change(message.message_id)
        return message.to_api(chat)

    async def edit_message_caption(self, bot: BotAccount, params: Params) -> Any:
        chat, message = self._own_message(bot, params, "message to edit not found")
        if message.document is None and message.photo is None:
            raise bad_request("there is no caption in the message to edit")
        text, html, entities = _formatted(
            params, "caption", MAX_CAPTION, "message caption is too long"
        )
        buttons = _buttons(params)
        if (text, entities, buttons) == (message.text, message.entities, message.buttons):
            raise bad_request(NOT_MODIFIED)
        message.text, message.html, message.entities = text, html, entities
        message.buttons = buttons
        message.edited = True
        await chat.record_bot_change(message.message_id)
        return message.to_api(chat)

    async def edit_message_reply_markup(self, bot: BotAccount, params: Params) -> Any:
        chat, message = self._own_message(bot, params, "message to edit not found")
        buttons = _buttons(params)
        if message.invoice is not None:
            check_invoice_keyboard(buttons)
        if buttons == message.buttons:
            raise bad_request(NOT_MODIFIED)
        message.buttons = buttons
        message.edited = True
        await chat.record_bot_change(message.message_id)
        return message.to_api(chat)

    async def delete_message(self, bot: BotAccount, params: Params) -> Any:
        chat = bot.chat(_int(params, "chat_id"))
        message = chat.messages.get(_int(params, "message_id"))
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        message.deleted = True
        await chat.record_bot_change(message.message_id)
        return True

    # -- callbacks, actions, chats, files --

    async def answer_callback_query(self, bot: BotAccount, params: Params) -> Any:
        query_id = str(params.get("callback_query_id") or "")
        record = bot.callback_queries.get(query_id)
        too_old = record is not None and time.monotonic() - record.created > CALLBACK_QUERY_TTL
        if record is not None and too_old and not record.answered:
            record.refused_too_old = True
        if record is None or record.answered or too_old:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        record.answered = True
        record.answer = {
            "text": str(params.get("text") or ""),
            "show_alert": _bool(params, "show_alert"),
            "url": params.get("url"),
        }
        record.answered_now.set()
        if record.owner is not None:
            record.owner.callback_answers.append(record.answer)
        chat = bot.chats.get(record.chat_id)
        if chat is not None:
            await chat.record_bot_change(None)
        return True

    async def send_chat_action(self, bot: BotAccount, params: Params) -> Any:
        chat = self._target(bot, params)
        chat.last_bot_activity = time.monotonic()
        return True

    async def get_chat(self, bot: BotAccount, params: Params) -> Any:
        chat = bot.chat(_int(params, "chat_id"))
        full = chat.to_api()
        full["accent_color_id"] = 0
        full["max_reaction_count"] = 11
        full["accepted_gift_types"] = {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
        }
        return full

    async def get_chat_member(self, bot: BotAccount, params: Params) -> Any:
        """A member's status in a channel. As Telegram: a bot that is no administrator of a
        channel may ask only about itself."""
        chat = bot.chat_named(str(params.get("chat_id") or ""))
        user_id = _int(params, "user_id")
        if chat.type != "channel":
            raise bad_request("the emulator answers getChatMember for channels only")
        is_admin = chat.statuses.get(bot.user.id) in ("creator", "administrator")
        if user_id != bot.user.id and not is_admin:
            raise bad_request("member list is inaccessible")
        status = chat.statuses.get(user_id, "left")
        known = bot.chats.get(user_id)
        if user_id == bot.user.id:
            user = bot.user.to_api()
        elif known is not None and known.user is not None:
            user = known.user.to_api()
        else:
            user = {"id": user_id, "is_bot": False, "first_name": "User"}
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "administrator":
            member |= {"can_be_edited": False, "is_anonymous": False}
            member |= dict.fromkeys(_ADMIN_RIGHTS, True)
        elif status == "creator":
            member["is_anonymous"] = False
        elif status == "kicked":
            member["until_date"] = 0
        return member

    async def get_file(self, bot: BotAccount, params: Params) -> Any:
        stored = bot.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": f"documents/{stored.file_id}",
        }


def _chat_of_call(bot: BotAccount, method: str, params: Params) -> int | None:
    """The chat a call is about: its `chat_id`, or a callback query's chat."""
    if method == "answercallbackquery":
        record = bot.callback_queries.get(str(params.get("callback_query_id") or ""))
        return None if record is None else record.chat_id
    try:
        return int(params["chat_id"])
    except (KeyError, TypeError, ValueError):
        return None


def _dropped(request: web.Request | None) -> web.HTTPException:
    """The connection closed without an answer (the caller gave up on it long ago)."""
    if request is not None and request.transport is not None:
        request.transport.abort()
    return web.HTTPServiceUnavailable()


def _too_many(wait: float) -> ApiError:
    retry_after = max(1, math.ceil(wait))
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


def user_from(payload: dict[str, Any]) -> UserInfo:
    return UserInfo(
        id=int(payload["user_id"]),
        first_name=str(payload.get("first_name") or "User"),
        username=payload.get("username"),
        language_code=payload.get("language_code"),
    )
