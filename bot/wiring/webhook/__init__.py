"""Webhook mode (`python -m bot run --webhook`, `BOT_MODE=webhook`): Telegram posts each update to
PUBLIC_BASE_URL + WEBHOOK_PATH on the bot's own web server, the one that takes upstream callbacks.

`intake` takes the requests, `once` keeps an update Telegram delivers again from being handled
twice, `refusals` logs requests without the secret, and `serve` sets the webhook, runs until
SIGTERM and stops as polling does (see `bot.telegram.intake`).
"""
