"""How the shop's figures read for the operators (HTML, in English): one home for `/stats` and the
daily report."""

from __future__ import annotations

import html
from datetime import datetime, timedelta

from bot.services.figures import OperatorFigures
from bot.services.money import format_money
from bot.services.upstreams import UpstreamState, state_line
from storage.figures import Figures, LineFigures

DAY = timedelta(days=1)


def figures_lines(figures: Figures, currency: str) -> list[str]:
    """Per product line: orders placed and delivered, revenue, cost and margin; then all lines,
    new customers and deposits."""

    def money(micro: int) -> str:
        return format_money(micro, currency)

    lines = []
    total = LineFigures()
    for product in sorted(figures.lines):
        line = figures.lines[product]
        total.placed += line.placed
        total.succeeded += line.succeeded
        total.revenue += line.revenue
        total.cost += line.cost
        lines.append(
            f"{html.escape(product)}: {line.placed} placed, {line.succeeded} delivered · "
            f"revenue {money(line.revenue)} · cost {money(line.cost)} · "
            f"margin {money(line.revenue - line.cost)}"
        )
    if not figures.lines:
        lines.append("No orders.")
    lines.append(
        f"<b>All lines</b>: {total.placed} placed, {total.succeeded} delivered · revenue "
        f"{money(total.revenue)} · cost {money(total.cost)} · margin "
        f"{money(total.revenue - total.cost)}"
    )
    lines.append(f"New customers: {figures.new_customers}")
    deposits = f"Deposits: {money(figures.deposits)} in {figures.deposit_count}"
    if figures.deposit_refund_count or figures.deposit_refunds:
        deposits += (
            f" · refunded {money(figures.deposit_refunds)} in {figures.deposit_refund_count}"
        )
    lines.append(deposits)
    if figures.marketing:
        lines.append(
            f"Marketing (apart from the margins above): discounts {money(figures.discounts)} on "
            f"{figures.discount_count} orders · gifts {money(figures.gifts)} in "
            f"{figures.gift_count} · referral rewards {money(figures.referral_rewards)} in "
            f"{figures.referral_reward_count} · margin after marketing "
            f"{money(total.revenue - total.cost - figures.marketing)}"
        )
    return lines


async def daily_report(
    books: OperatorFigures,
    currency: str,
    now: datetime,
    in_review: int,
    upstreams: list[UpstreamState],
) -> str:
    """The last 24 hours' figures, the review queue and every upstream, as of `now` (UTC)."""
    start = now - DAY
    figures = await books.since(start)
    lines = [f"📅 <b>Daily report</b>: the 24 hours to {now:%Y-%m-%d %H:%M} UTC"]
    lines += figures_lines(figures, currency)
    if in_review:
        lines.append(f"🔎 Review queue: {in_review} order(s) wait for an operator (/review)")
    else:
        lines.append("🔎 Review queue: empty")
    lines.append("<b>Upstreams</b>")
    lines += [state_line(state) for state in upstreams]
    return "\n".join(lines)
