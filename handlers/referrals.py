"""Invite friends: the customer's referral link (and its QR code), how many joined through it,
and what their purchases earned."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from aiogram_i18n import I18nContext

from bot.services.money import format_money
from bot.services.referrals import LINK_PREFIX, RewardBase
from bot.shop import Shop
from bot.telegram.qr import qr_png
from handlers.callbacks import Open, Screen
from handlers.lines import conversations
from handlers.screens import back_button, show
from storage.users import Customer

router = Router(name="referrals")


class ReferralQr(CallbackData, prefix="refqr"):
    """Send the customer's referral link as a QR code."""


async def referral_link(bot: Bot, shop: Shop, customer: Customer) -> str:
    me = await bot.me()
    code = await shop.referrals.code_for(customer.id)
    return f"https://t.me/{me.username}?start={LINK_PREFIX}{code}"


async def _rewards(i18n: I18nContext, shop: Shop) -> list[str]:
    """What a friend's purchase earns, per line that pays anything."""
    offered = []
    for conversation in conversations():
        if conversation.key not in shop.lines:
            continue
        terms = await shop.referrals.terms(conversation.key)
        if terms is None:
            continue
        percent = f"{terms.percent.normalize():f}"
        by_margin = terms.base == RewardBase.MARGIN
        offered.append(
            i18n.get(
                "referral-share-margin" if by_margin else "referral-share-amount",
                line=conversation.label(i18n),
                percent=percent,
            )
        )
    return offered


@router.callback_query(Open.filter(F.screen == Screen.REFERRALS))
async def open_referrals(
    query: CallbackQuery, bot: Bot, i18n: I18nContext, shop: Shop, customer: Customer
) -> None:
    link = await referral_link(bot, shop, customer)
    standing = await shop.referrals.standing(customer.id)
    parts = [i18n.get("referral-title")]
    offered = await _rewards(i18n, shop)
    if offered:
        hours = int((await shop.referrals.settling()).total_seconds() // 3600)
        parts += [i18n.get("referral-how"), *offered, i18n.get("referral-when", hours=hours)]
    else:
        parts.append(i18n.get("referral-no-rewards"))
    parts.append(i18n.get("referral-link", link=link))
    parts.append(
        i18n.get(
            "referral-standing",
            joined=standing.joined,
            earned=format_money(standing.released, shop.currency),
            pending=format_money(standing.pending, shop.currency),
        )
    )
    qr = InlineKeyboardButton(
        text=i18n.get("button-referral-qr"), callback_data=ReferralQr().pack()
    )
    markup = InlineKeyboardMarkup(inline_keyboard=[[qr], [back_button(i18n)]])
    await show(query, "\n".join(parts), markup)


@router.callback_query(ReferralQr.filter())
async def send_qr(
    query: CallbackQuery, bot: Bot, i18n: I18nContext, shop: Shop, customer: Customer
) -> None:
    link = await referral_link(bot, shop, customer)
    picture = BufferedInputFile(qr_png(link), filename="invite.png")
    await query.answer()
    if query.message is not None:
        await bot.send_photo(
            query.message.chat.id,
            picture,
            caption=i18n.get("referral-qr-caption", link=link),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=[[back_button(i18n)]]),
        )
