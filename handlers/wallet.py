"""The wallet: balance, money held for orders in progress, and the history, paged."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram_i18n import I18nContext

from bot.services.money import format_money, format_signed_money
from bot.services.wallet import WalletPage, wallet_page
from bot.shop import Shop
from handlers.callbacks import Open, Screen, WalletPageButton
from handlers.screens import back_button, pager_row, show
from storage.ledger import Kind, WalletLine
from storage.users import Customer

router = Router(name="wallet")


@router.callback_query(Open.filter(F.screen == Screen.WALLET))
async def open_wallet(
    query: CallbackQuery, i18n: I18nContext, shop: Shop, customer: Customer
) -> None:
    await _show_page(query, i18n, shop, customer, 0)


@router.callback_query(WalletPageButton.filter())
async def turn_page(
    query: CallbackQuery,
    callback_data: WalletPageButton,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
) -> None:
    await _show_page(query, i18n, shop, customer, callback_data.page)


async def _show_page(
    query: CallbackQuery, i18n: I18nContext, shop: Shop, customer: Customer, page: int
) -> None:
    wallet = await wallet_page(shop.ledger, customer.id, page)
    await show(query, _wallet_text(i18n, shop, wallet), _wallet_keyboard(i18n, shop, wallet))


def _wallet_text(i18n: I18nContext, shop: Shop, wallet: WalletPage) -> str:
    parts = [
        i18n.get("wallet-title"),
        i18n.get("wallet-available", amount=format_money(wallet.balance.available, shop.currency)),
    ]
    if wallet.balance.held:
        parts.append(
            i18n.get("wallet-held", amount=format_money(wallet.balance.held, shop.currency))
        )
    parts.append("")
    history = wallet.history
    if not history.items:
        parts.append(i18n.get("wallet-empty"))
    else:
        parts.append(i18n.get("wallet-page", page=history.page + 1, pages=history.pages))
        for line in history.items:
            parts.append(
                i18n.get(
                    "wallet-line",
                    date=_short_date(line.created_at),
                    what=_describe(i18n, line),
                    amount=format_signed_money(line.amount, shop.currency),
                )
            )
    return "\n".join(parts)


def _describe(i18n: I18nContext, line: WalletLine) -> str:
    order = line.order_id or "—"
    match line.kind:
        case Kind.DEPOSIT:
            return i18n.get("history-deposit")
        case Kind.ADJUSTMENT if line.memo:
            return i18n.get("history-adjustment-reason", reason=line.memo)
        case Kind.ADJUSTMENT:
            return i18n.get("history-adjustment")
        case Kind.HOLD:
            return i18n.get("history-hold", order=order)
        case Kind.VOID:
            return i18n.get("history-void", order=order)
        case Kind.REFUND:
            return i18n.get("history-refund", order=order)
        case Kind.POST:
            return i18n.get("history-post", order=order)
        case Kind.DEPOSIT_REFUND:
            return i18n.get("history-deposit-refund")
        case Kind.DEPOSIT_REFUND_CANCELLED:
            return i18n.get("history-deposit-refund-cancelled")
        case Kind.GIFT:
            return i18n.get("history-gift")
        case Kind.REFERRAL_REWARD:
            return i18n.get("history-referral-reward")
        case Kind.DISCOUNT | Kind.DISCOUNT_RETURNED:  # the shop's own accounts, never a wallet
            return i18n.get("history-discount", order=order)


def _short_date(iso: str) -> str:
    """`2026-11-22T13:45:12.123456Z` → `2026-11-22 13:45` (UTC)."""
    return iso[:16].replace("T", " ")


def _wallet_keyboard(i18n: I18nContext, shop: Shop, wallet: WalletPage) -> InlineKeyboardMarkup:
    pager = pager_row(i18n, wallet.history, lambda page: WalletPageButton(page=page))
    rows = [pager] if pager else []
    top_up = Open(screen=Screen.DEPOSIT).pack()  # Telegram Stars are always taken
    rows.append([InlineKeyboardButton(text=i18n.get("button-top-up"), callback_data=top_up)])
    if shop.support_enabled:
        support = Open(screen=Screen.SUPPORT).pack()
        rows.append([InlineKeyboardButton(text=i18n.get("menu-support"), callback_data=support)])
    rows.append([back_button(i18n)])
    return InlineKeyboardMarkup(inline_keyboard=rows)
