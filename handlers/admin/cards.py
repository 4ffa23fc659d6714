"""How an order reads for the operators (in English, every stored string escaped)."""

from __future__ import annotations

import html

from bot.services.money import format_money
from bot.services.orders import Settlement
from bot.shop import Shop
from storage.orders import Order


def _when(iso: str) -> str:
    return iso[:19].replace("T", " ")


async def order_card(shop: Shop, order: Order, *, history: bool = False) -> str:
    """The order's facts; with `history`, every event with its time, actor and reason."""
    escape = html.escape
    charge = format_money(order.charge, shop.currency)
    lines = [
        f"🧾 <b>Order</b> <code>{escape(order.id)}</code> · {escape(order.product)}",
        f"Customer: <code>{order.user_id}</code>",
        f"Charge: <b>{charge}</b> · status <b>{order.status}</b>",
        f"Created: {_when(order.created_at)} UTC",
    ]
    if order.upstream_ref:
        lines.append(f"Upstream reference: <code>{escape(order.upstream_ref)}</code>")
    if order.upstream_cost is not None and order.upstream_currency:
        cost = format_money(order.upstream_cost, order.upstream_currency, places=6)
        lines.append(f"Upstream cost: {escape(cost)}")
    settlement = Settlement.of(order)
    if settlement.upstream_owes_refund:
        lines.append("⚠️ upstream owes refund")
    if settlement.delivered_after_refund:
        lines.append("⚠️ delivered after refund")
    if history:
        lines.append("<b>History</b> (UTC):")
        for event in await shop.orders.events(order.id):
            came_from = event.from_status or "—"
            lines.append(
                f"<code>{_when(event.at)}</code> {came_from} → {event.to_status} · "
                f"{escape(event.actor)} · {escape(event.reason)}"
            )
    return "\n".join(lines)
