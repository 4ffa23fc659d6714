"""The daily report with several shop processes on one PostgreSQL database: every process makes
it at its time, so a change of leader in that second loses nothing, and the operators read it
once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from pydantic import SecretStr

from bot.services.config import Settings
from bot.shop import Shop
from bot.telegram.link import BotLink
from bot.wiring.watch import UpstreamWatch
from handlers.admin.broadcast import progress_message
from tests.databases import postgres_schema

OPERATORS = -100_777


async def test_two_processes_at_the_report_time_tell_the_operators_once() -> None:
    async with postgres_schema() as url:
        config = Settings(_env_file=None, database_url=SecretStr(url), admin_chat_id=OPERATORS)
        shops = [
            await Shop.open(
                config, link=BotLink(), renderers={}, describe_progress=progress_message
            )
            for _ in range(2)
        ]
        try:
            day = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
            watches = [UpstreamWatch(shop, clock=lambda: day) for shop in shops]
            # Neither process is the leader here: the report is not left to one.
            await asyncio.gather(*(watch.send_daily_report() for watch in watches))
            next_day = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
            await UpstreamWatch(shops[1], clock=lambda: next_day).send_daily_report()
            told = await shops[0].db.fetch_all(
                "SELECT body FROM outbox WHERE chat_id = ? ORDER BY id", (OPERATORS,)
            )
            reports = [row["body"] for row in told if "Daily report" in row["body"]]
            assert len(reports) == 2, told
            assert "the 24 hours to 2026-12-03 09:00" in reports[0]
            assert "the 24 hours to 2026-12-04 09:00" in reports[1]
        finally:
            for shop in shops:
                await shop.close()
