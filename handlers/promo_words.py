"""How promo codes read to a customer: why a code cannot be used, and a discount on a quote."""

from __future__ import annotations

from aiogram_i18n import I18nContext

from bot.services.money import format_money
from bot.services.orders import Settlement
from bot.services.promos import PromoProblem
from storage.orders import Order


def problem_text(i18n: I18nContext, problem: PromoProblem) -> str:
    match problem:
        case PromoProblem.UNKNOWN:
            return i18n.get("promo-unknown")
        case PromoProblem.ENDED:
            return i18n.get("promo-ended")
        case PromoProblem.EXPIRED:
            return i18n.get("promo-expired")
        case PromoProblem.USED_UP:
            return i18n.get("promo-used-up")
        case PromoProblem.USED_BY_YOU:
            return i18n.get("promo-used-by-you")
        case PromoProblem.WRONG_LINE:
            return i18n.get("promo-wrong-line")
        case PromoProblem.TOO_SMALL:
            return i18n.get("promo-too-small")
        case PromoProblem.NOT_FIRST:
            return i18n.get("promo-not-first")
        case PromoProblem.GIFT_ONLY:
            return i18n.get("promo-gift-only")
        case PromoProblem.PURCHASE_ONLY:
            return i18n.get("promo-purchase-only")


def discount_line(i18n: I18nContext, order: Order, currency: str) -> str | None:
    """The quote's discount, when a promo code took one off (None: none)."""
    settlement = Settlement.of(order)
    if settlement.promo_code is None or not settlement.discount:
        return None
    return i18n.get(
        "confirm-discount",
        code=settlement.promo_code,
        price=format_money(settlement.list_charge or order.charge, currency),
        discount=format_money(settlement.discount, currency),
    )
