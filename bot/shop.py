"""The shop's services, opened once and handed to every handler through the dispatcher."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from bot.services.config import Settings
from bot.services.deposits import Deposits
from bot.services.deposits.books import DepositBooks
from bot.services.figures import OperatorFigures
from bot.services.lines import build_lines
from bot.services.lines.base import Line, LineSetup
from bot.services.lines.registry import default_markups
from bot.services.metrics import metered
from bot.services.money import STORE_CURRENCY
from bot.services.operators import Operators
from bot.services.orders import OrderService
from bot.services.price_groups import PriceGroups
from bot.services.pricing import Pricing
from bot.services.promos import PromoService
from bot.services.reconciliation import Reconciler
from bot.services.referrals import ReferralService
from bot.services.stars_history import StarsHistory
from bot.services.support import SupportDesk
from bot.services.usdt_watch import UsdtWatch
from bot.telegram.broadcast import Broadcaster, DescribeProgress, ProgressMessage
from bot.telegram.channel import ChannelMembership
from bot.telegram.link import BotLink
from bot.telegram.notify import Messenger
from bot.telegram.outbox import Outbox, Renderers
from bot.telegram.stars import BotStars
from providers.http import Timeouts
from providers.trongrid import TronGridClient
from storage.admin_log import AdminLog
from storage.broadcasts import BroadcastStore
from storage.conversations import ConversationStore
from storage.database import Database
from storage.ledger import Ledger
from storage.orders import OrderStore
from storage.price_groups import PriceGroupStore
from storage.process_lock import ShopLock
from storage.settings import SettingsStore
from storage.users import CustomerStore

L = TypeVar("L")


@dataclass
class Shop:
    config: Settings
    db: Database
    lock: ShopLock  # this process's hold on the database: one shop per database
    customers: CustomerStore
    ledger: Ledger
    orders: OrderStore
    settings: SettingsStore
    conversations: ConversationStore
    pricing: Pricing
    messenger: Messenger
    sales: OrderService
    reconciler: Reconciler
    operators: Operators
    broadcasts: BroadcastStore
    broadcaster: Broadcaster
    deposits: Deposits
    stars_history: StarsHistory  # Telegram's record of the bot's Stars, against the shop's
    usdt_watch: UsdtWatch | None  # None: no DEPOSIT_ADDRESS, no USDT deposits
    outbox: Outbox
    support_desk: SupportDesk
    link: BotLink  # the bot, once the dispatcher starts
    figures: OperatorFigures  # the books as operators read them: /stats, /export
    promos: PromoService
    referrals: ReferralService
    channel: ChannelMembership | None  # REQUIRED_CHANNEL: who is in it
    price_groups: PriceGroups
    lines: dict[str, Line] = field(default_factory=dict)  # by product, the configured ones
    currency: str = STORE_CURRENCY

    @classmethod
    async def open(
        cls,
        config: Settings,
        *,
        link: BotLink,
        renderers: Renderers,
        describe_progress: DescribeProgress,
    ) -> Shop:
        """Take the database for this process (LockHeld names the shop that has it already), open
        it and build a product line for every configured upstream. What sends to Telegram is
        given the `link` its bot is attached to at start-up, the `renderers` that word the
        outbox's news, and how a broadcast's progress reads (`describe_progress`)."""
        db = config.database()
        lock = db.shop_lock()
        lock.acquire()  # before anything reads or writes the database
        try:
            return await cls._open(config, db, lock, link, renderers, describe_progress)
        except BaseException:
            lock.release()
            raise

    @classmethod
    async def _open(
        cls,
        config: Settings,
        db: Database,
        lock: ShopLock,
        link: BotLink,
        renderers: Renderers,
        describe_progress: DescribeProgress,
    ) -> Shop:
        await db.open()
        settings = SettingsStore(db)
        admin_log = AdminLog(db)
        price_groups = PriceGroups(PriceGroupStore(db), settings, admin_log)
        pricing = Pricing(settings, default_markups(), price_groups.group_of)
        outbox = Outbox(db, config.admin_chat_id, link, renderers)
        messenger = Messenger(outbox, link)
        wait = config.upstream_timeout_seconds
        timeouts = Timeouts(connect=min(wait, Timeouts.connect), total=wait)
        lines = build_lines(LineSetup(config, pricing, timeouts))
        ledger, orders = Ledger(db), OrderStore(db)
        promos = PromoService(db, ledger, orders, admin_log, outbox)
        referrals = ReferralService(db, ledger, settings, outbox, admin_log, pricing.lines)
        sales = OrderService(
            db,
            ledger,
            orders,
            lines,
            outbox,
            review_after=timedelta(minutes=config.review_after_minutes),
            followers=[promos, referrals],
        )
        for line in lines.values():
            line.bind(sales.report, sales.find)
        every = timedelta(seconds=config.reconcile_every_seconds)
        customers = CustomerStore(db)
        broadcasts = BroadcastStore(db, admin_log)
        telegram_stars = BotStars(link, config.upstream_timeout_seconds)
        deposits = Deposits(
            DepositBooks(
                db,
                ledger,
                admin_log,
                outbox,
                request_ttl=timedelta(minutes=config.deposit_request_minutes),
            ),
            telegram_stars,
            stars_rate=config.stars_rate,
        )
        usdt_watch = None
        if config.deposit_address is not None:
            key = config.trongrid_api_key
            client = metered(
                "usdt",
                TronGridClient(
                    str(config.trongrid_base_url),
                    None if key is None else key.get_secret_value(),
                    timeouts=timeouts,
                ),
            )
            usdt_watch = UsdtWatch(
                client,
                config.deposit_address,
                deposits,
                every=timedelta(seconds=config.deposit_check_every_seconds),
            )
        return cls(
            config=config,
            db=db,
            lock=lock,
            customers=customers,
            ledger=ledger,
            orders=orders,
            settings=settings,
            conversations=ConversationStore(db),
            pricing=pricing,
            messenger=messenger,
            sales=sales,
            reconciler=Reconciler(
                sales, every=every, first_delay=min(every, timedelta(seconds=10))
            ),
            operators=Operators(
                db, ledger, customers, settings, pricing, admin_log, STORE_CURRENCY, outbox
            ),
            broadcasts=broadcasts,
            broadcaster=Broadcaster(
                broadcasts, link, ProgressMessage(messenger, describe_progress)
            ),
            deposits=deposits,
            stars_history=StarsHistory(deposits, customers, telegram_stars),
            usdt_watch=usdt_watch,
            outbox=outbox,
            support_desk=SupportDesk(db, outbox),
            link=link,
            figures=OperatorFigures(db),
            promos=promos,
            referrals=referrals,
            price_groups=price_groups,
            channel=(
                None
                if config.required_channel is None
                else ChannelMembership(link, config.required_channel)
            ),
            lines=lines,
        )

    def line_of(self, kind: type[L]) -> L | None:
        """The configured line of that class (None: its upstream is not configured)."""
        for line in self.lines.values():
            if isinstance(line, kind):
                return line
        return None

    def require(self, kind: type[L]) -> L:
        """The configured line of that class, for a conversation that only runs when it is."""
        line = self.line_of(kind)
        if line is None:
            raise LookupError(f"{kind.__name__} is not configured")
        return line

    async def close(self) -> None:
        for line in self.lines.values():
            await line.close()
        if self.usdt_watch is not None:
            await self.usdt_watch.client.close()
        await self.db.close()
        self.lock.release()

    @property
    def support_enabled(self) -> bool:
        return self.config.admin_chat_id is not None
