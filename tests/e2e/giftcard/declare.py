"""Declares the gift card line to a bot that imports this module (`STOREFRONT_EXTRA_MODULES`), as
a line of the shop declares itself at the end of its own modules."""

from __future__ import annotations

from bot.services.lines.registry import register
from handlers.lines import register_conversation
from tests.e2e.giftcard.conversation import CONVERSATION
from tests.e2e.giftcard.line import UNIT

register(UNIT)
register_conversation(CONVERSATION)
