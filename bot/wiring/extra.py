"""Modules a bot started by the tests imports before it reads its configuration.

`STOREFRONT_EXTRA_MODULES` names them, separated by commas: a test's own product line declares
itself (its line and its conversation) by being imported, as the shop's own lines do, and the bot
runs as a separate process. Not a setting of the shop: an operator has no use for it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from bot.services.config import ConfigError

EXTRA_MODULES = "STOREFRONT_EXTRA_MODULES"


def import_extra_modules(environ: Mapping[str, str]) -> list[str]:
    """Import every module `STOREFRONT_EXTRA_MODULES` names; the names imported."""
    names = [name.strip() for name in environ.get(EXTRA_MODULES, "").split(",") if name.strip()]
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:  # a line that fails to declare itself: one line, no traceback
            message = f"{EXTRA_MODULES} names {name}, which cannot be imported: {exc}"
            raise ConfigError(message) from None
    return names
