"""Telegram plumbing: how the shop talks to the Bot API (the outbox, flood control, late answers,
conversation storage, languages). May use the shop's services, never the handlers."""
