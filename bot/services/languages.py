"""The languages the shop speaks, and which one a Telegram user gets by default."""

from __future__ import annotations

LANGUAGES: dict[str, str] = {"en": "English", "zh": "简体中文", "vi": "Tiếng Việt"}
DEFAULT_LANGUAGE = "en"


def language_from_telegram(language_code: str | None) -> str:
    """Telegram reports IETF tags such as `zh-hans`, `vi`, `en-US`; anything else gets English."""
    if not language_code:
        return DEFAULT_LANGUAGE
    primary = language_code.lower().replace("_", "-").split("-")[0]
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE
