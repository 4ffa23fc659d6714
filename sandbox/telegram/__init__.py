"""An offline stand-in for the Telegram Bot API, with a driver to act as its users.

    emulator = TelegramEmulator()
    emulator.add_bot(token="123456:TEST", username="shop_bot")
    await emulator.start()                       # emulator.base_url → TelegramAPIServer.from_base
    alice = emulator.private_chat(user_id=1, first_name="Alice", language_code="en")
    await alice.send("/start")
    menu = await alice.wait_for_bot()
    await alice.press("💰 Wallet")
    paid = await alice.pay(invoice_message_id)   # pre-checkout query, then successful_payment
    ...
    await emulator.stop()

A bot in webhook mode calls `setWebhook` with a `http://127.0.0.1:PORT/...` URL; the emulator then
posts its updates there as Telegram does (`delivery.py`), and tests wait with
`await emulator.bot().wait_until_delivered()`, replay an update with `replay_update(update_id)` or
lose the bot's next answers with `emulator.bot().webhook.lose_answers()`.

It imports nothing from the application: it is Telegram as the Bot API documents it, so the bot and
its stand-in cannot share a mistake.
"""

from __future__ import annotations

from aiohttp import web

from sandbox.same_origin import same_origin_only
from sandbox.server import SimulatorServer
from sandbox.telegram.delivery import WebhookDeliveries
from sandbox.telegram.driver import ChatDriver
from sandbox.telegram.faults import ApiFault, ApiFaults, FiredFault
from sandbox.telegram.html import EntityError, parse_html
from sandbox.telegram.payments import PaymentResult, PaymentStatus
from sandbox.telegram.routes import driver_routes
from sandbox.telegram.server import BotApi
from sandbox.telegram.stars import Invoice, StarsLedger, SuccessfulPayment
from sandbox.telegram.state import (
    TELEGRAM_GROUP_LIMIT,
    TELEGRAM_PRIVATE_LIMIT,
    BotAccount,
    Button,
    Chat,
    ChatLimit,
    ChatMessage,
    HeldCalls,
    StoredFile,
    UserInfo,
)
from sandbox.telegram.webhook import AnswerError, Webhook, WebhookTiming

__all__ = [
    "TELEGRAM_GROUP_LIMIT",
    "TELEGRAM_PRIVATE_LIMIT",
    "AnswerError",
    "ApiFault",
    "ApiFaults",
    "BotAccount",
    "Button",
    "ChatDriver",
    "ChatLimit",
    "ChatMessage",
    "EntityError",
    "FiredFault",
    "GroupDriver",
    "HeldCalls",
    "Invoice",
    "PaymentResult",
    "PaymentStatus",
    "StarsLedger",
    "StoredFile",
    "SuccessfulPayment",
    "TelegramEmulator",
    "Webhook",
    "WebhookTiming",
    "parse_html",
]


class GroupDriver:
    """A group chat: `as_user()` gives a driver acting as one member."""

    def __init__(self, bot: BotAccount, chat: Chat) -> None:
        self.bot = bot
        self.chat = chat

    def as_user(
        self, user_id: int, first_name: str = "Member", username: str | None = None
    ) -> ChatDriver:
        user = UserInfo(user_id, first_name, username)
        self.chat.members[user_id] = user
        return ChatDriver(self.bot, self.chat, user)


class TelegramEmulator:
    """`flood_limit_per_second` caps the bot's sends overall; `group_limit` and `private_limit`
    cap them per chat, as Telegram does (`TELEGRAM_GROUP_LIMIT`, `TELEGRAM_PRIVATE_LIMIT`).
    None (the default) is no limit: tests and the playground ask for the limits they need."""

    def __init__(
        self,
        flood_limit_per_second: float | None = None,
        *,
        group_limit: ChatLimit | None = None,
        private_limit: ChatLimit | None = None,
        webhook_timing: WebhookTiming | None = None,
    ) -> None:
        self.bots: dict[str, BotAccount] = {}
        self.flood_limit_per_second = flood_limit_per_second
        self.group_limit = group_limit
        self.private_limit = private_limit
        self.closing = False
        self.held: list[HeldCalls] = []
        self.faults = ApiFaults()  # Bot API calls refused, lost or held: see `faults.py`
        self._api = BotApi(self)
        self.webhooks = WebhookDeliveries(
            webhook_timing or WebhookTiming(), self._api.carry_out_webhook_answer
        )
        self._server: SimulatorServer | None = None

    @property
    def webhook_timing(self) -> WebhookTiming:
        """How patient Telegram is with webhooks (timeout, retry delays): see `webhook.py`.
        Change its fields or give a new one, at any time."""
        return self.webhooks.timing

    @webhook_timing.setter
    def webhook_timing(self, timing: WebhookTiming) -> None:
        self.webhooks.timing = timing

    def hold(self, method: str, *, text_contains: str | None = None) -> HeldCalls:
        """Hold back every call of `method` (a Bot API method name, any case) whose text contains
        `text_contains`, until `release()`; `reached` is set when the first one arrives."""
        held = HeldCalls(method.lower(), text_contains)
        self.held.append(held)
        return held

    def fail_through_gateway(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` get a gateway's HTML error page (HTTP 502) instead
        of Telegram's answer, after Telegram carried them out: the caller cannot know."""
        self.faults.add(ApiFault("5xx", method, carried_out=True, times=times))

    def add_bot(self, token: str, username: str = "shop_bot", first_name: str = "Shop") -> str:
        self.bots[token] = BotAccount(token, username, first_name)
        return token

    def bot(self, token: str | None = None) -> BotAccount:
        if token is not None:
            return self.bots[token]
        if not self.bots:
            raise RuntimeError("add a bot first")
        return next(iter(self.bots.values()))

    def bot_by_username(self, username: str | None) -> BotAccount:
        if username is None:
            return self.bot()
        for account in self.bots.values():
            if account.user.username == username:
                return account
        raise KeyError(username)

    def app(self) -> web.Application:
        api = self._api
        # The driver routes (/_emulator/...) for this machine's programs only.
        app = web.Application(client_max_size=64 * 1024 * 1024, middlewares=[same_origin_only()])
        app.router.add_route("*", "/bot{token}/{method}", api.handle)
        app.router.add_get("/file/bot{token}/{path:.+}", api.download)
        app.add_routes(driver_routes(self))
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self.closing = False
        self.faults.open()
        for account in self.bots.values():
            account.closing = False
        self._server = SimulatorServer(self.app())
        base_url = await self._server.start(host, port)
        await self.webhooks.start(list(self.bots.values()))
        return base_url

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return self._server.base_url

    async def stop(self) -> None:
        """Stop serving; long polls in progress return at once, webhook deliveries stop (their
        updates stay pending)."""
        self.closing = True
        await self.webhooks.stop()
        self.faults.close()
        for held in self.held:
            held.release()
        self.held.clear()
        for account in self.bots.values():
            await account.wake_pollers(closing=True)
        if self._server is not None:
            await self._server.stop()
            self._server = None

    def private_chat(
        self,
        user_id: int,
        first_name: str = "User",
        username: str | None = None,
        language_code: str | None = None,
        bot: str | None = None,
    ) -> ChatDriver:
        account = self.bot(bot)
        user = UserInfo(user_id, first_name, username, language_code)
        return ChatDriver(account, account.private_chat(user), user)

    def channel(
        self, chat_id: int, username: str, title: str = "Channel", bot: str | None = None
    ) -> Chat:
        """A public channel (`@username`): set its members' statuses in `chat.statuses` (the
        bot's own too: "administrator" for a bot the owner made an admin)."""
        return self.bot(bot).channel(chat_id, username, title)

    def group(self, chat_id: int, title: str = "Group", bot: str | None = None) -> GroupDriver:
        account = self.bot(bot)
        return GroupDriver(account, account.group(chat_id, title))
