"""What the soak knows of the shop in its own terms (it imports nothing of the shop) must be what
the shop really does."""

from __future__ import annotations

from bot.services.pricing import QUOTE_LIFETIME
from sandbox.soak.purchases import COME_BACK_AFTER, QUOTE_LIFETIME_SECONDS


def test_the_soak_knows_how_long_a_quote_holds() -> None:
    shop_seconds = QUOTE_LIFETIME.total_seconds()
    assert shop_seconds == QUOTE_LIFETIME_SECONDS
    assert shop_seconds < COME_BACK_AFTER  # a customer who comes back surely finds it expired
