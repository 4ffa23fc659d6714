"""The shop's services, opened once and handed to every handler through the dispatcher."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from bot.config import Settings
from bot.lines.cloud import CloudLine
from bot.notify import Messenger
from bot.orders import OrderService, ProductLine
from bot.pricing import Pricing
from bot.reconciliation import Reconciler
from providers.cloud import CloudRechargeClient
from providers.http import Timeouts
from storage.conversations import ConversationStore
from storage.database import Database
from storage.ledger import Ledger
from storage.orders import OrderStore
from storage.settings import SettingsStore
from storage.users import CustomerStore

STORE_CURRENCY = "USDT"


@dataclass
class Shop:
    config: Settings
    db: Database
    customers: CustomerStore
    ledger: Ledger
    orders: OrderStore
    settings: SettingsStore
    conversations: ConversationStore
    pricing: Pricing
    messenger: Messenger
    sales: OrderService
    reconciler: Reconciler
    cloud: CloudLine | None = None
    currency: str = STORE_CURRENCY
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @classmethod
    async def open(cls, config: Settings) -> Shop:
        """Open the database and build a product line for every configured upstream."""
        db = Database(config.database_path)
        await db.open()
        settings = SettingsStore(db)
        pricing = Pricing(settings)
        messenger = Messenger(config.admin_chat_id)
        lines: dict[str, ProductLine] = {}
        closers: list[Callable[[], Awaitable[None]]] = []
        wait = config.upstream_timeout_seconds
        timeouts = Timeouts(connect=min(wait, Timeouts.connect), total=wait)
        cloud = None
        if config.cloudruby_app_id and config.cloudruby_app_secret:
            client = CloudRechargeClient(
                str(config.cloudruby_base_url),
                config.cloudruby_app_id,
                config.cloudruby_app_secret.get_secret_value(),
                timeouts=timeouts,
            )
            closers.append(client.close)
            repay_after = timedelta(seconds=config.cloudruby_repay_after_seconds)
            cloud = CloudLine(client, pricing, repay_after=repay_after)
            lines[cloud.product] = cloud
        ledger, orders = Ledger(db), OrderStore(db)
        sales = OrderService(
            db,
            ledger,
            orders,
            lines,
            alert=messenger.alert_operators,
            review_after=timedelta(minutes=config.review_after_minutes),
        )
        every = timedelta(seconds=config.reconcile_every_seconds)
        return cls(
            config=config,
            db=db,
            customers=CustomerStore(db),
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
            cloud=cloud,
            _closers=closers,
        )

    async def close(self) -> None:
        for close in self._closers:
            await close()
        await self.db.close()

    @property
    def support_enabled(self) -> bool:
        return self.config.admin_chat_id is not None
