"""Customer-facing text: Fluent files per language through aiogram-i18n.

Every string argument is HTML-escaped before it reaches a message (messages use parse_mode HTML
and the markup lives in the .ftl files), so a customer's name or an upstream's text can never
break or inject formatting. A value that is already safe HTML is passed as `Markup`.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from aiogram.types import User
from aiogram_i18n.cores import FluentRuntimeCore
from aiogram_i18n.managers import BaseManager

from bot.services.languages import DEFAULT_LANGUAGE as DEFAULT_LANGUAGE
from bot.services.languages import LANGUAGES as LANGUAGES
from bot.services.languages import language_from_telegram as language_from_telegram
from storage.users import Customer, CustomerStore

LOCALES_DIR = Path(__file__).parents[1] / "locales"


class Markup(str):
    """A string that is already safe HTML and must not be escaped again."""


def escape_arguments(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {
        name: value
        if isinstance(value, Markup) or not isinstance(value, str)
        else html.escape(value)
        for name, value in kwargs.items()
    }


class HtmlFluentCore(FluentRuntimeCore):
    def __init__(self, path: Path = LOCALES_DIR) -> None:
        super().__init__(path=path, default_locale=DEFAULT_LANGUAGE, use_td=False)

    def get(self, message_id: str, locale: str | None = None, /, **kwargs: Any) -> str:
        text: str = super().get(message_id, locale, **escape_arguments(kwargs))
        return text


class CustomerLanguage(BaseManager):
    """The customer's chosen language, stored with the customer; Telegram's language before that."""

    def __init__(self, customers: CustomerStore) -> None:
        super().__init__(default_locale=DEFAULT_LANGUAGE)
        self._customers = customers

    async def get_locale(
        self, customer: Customer | None = None, event_from_user: User | None = None
    ) -> str:
        if customer is not None:
            return customer.language
        if event_from_user is not None:
            return language_from_telegram(event_from_user.language_code)
        return DEFAULT_LANGUAGE

    async def set_locale(self, locale: str, event_from_user: User | None = None) -> None:
        if locale not in LANGUAGES:
            raise ValueError(f"unsupported language {locale!r}")
        if event_from_user is not None:
            await self._customers.set_language(event_from_user.id, locale)
