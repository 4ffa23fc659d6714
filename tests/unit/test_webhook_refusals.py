"""A webhook request without the right secret is logged once per source address a minute."""

from __future__ import annotations

import logging

import pytest

from bot.wiring.webhook.refusals import RefusedSources


def test_one_line_per_source_a_minute_and_the_count_left_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [1000.0]
    refusals = RefusedSources(every=60, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="bot.wiring.webhook.refusals"):
        for _ in range(50):
            refusals.refused("203.0.113.7")
            now[0] += 1  # one a second: 50 requests within the minute
        refusals.refused("198.51.100.2")  # another source has its own line
        now[0] = 1061.0
        refusals.refused("203.0.113.7")
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 3
    assert "203.0.113.7" in lines[0] and "more from it" not in lines[0]
    assert "198.51.100.2" in lines[1]
    assert "203.0.113.7" in lines[2] and "(49 more from it since the last line)" in lines[2]
