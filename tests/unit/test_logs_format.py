"""The log as an operator's collector reads it: LOG_FORMAT=json gives one JSON object a line,
with the update, user and order a line is about; plain lines name them in brackets; LOG_LEVEL
drops what is below it; no configured secret is ever written."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.services.config import load_settings
from bot.services.log_context import handling_update, on_its_own, working_on_order
from bot.wiring.logs import CHATTY, ShopLog, apply_log_settings, configure_logging
from tests.unit.test_cli import run_bot

log = logging.getLogger("bot.services.orders")
TOKEN = "4242424242:AAH-secret-part-of-the-token-0123456"
KEY = "energy-api-secret-1864fb62"


class Log:
    """The shop's log, configured as `python -m bot` does, written into memory."""

    def __init__(self, handler: ShopLog, out: io.StringIO) -> None:
        self.handler = handler
        self.out = out

    def lines(self) -> list[str]:
        return self.out.getvalue().splitlines()

    def entries(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.lines()]


@pytest.fixture
def shop_log() -> Iterator[Log]:
    root = logging.getLogger()
    level, hook = root.level, sys.excepthook
    chatty = {name: logging.getLogger(name).level for name in CHATTY}
    out = io.StringIO()
    handler = configure_logging(out)
    try:
        with on_its_own():  # what a test sets is forgotten after it
            yield Log(handler, out)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        sys.excepthook = hook
        logging.captureWarnings(False)
        for name, was in chatty.items():
            logging.getLogger(name).setLevel(was)


def settle(**settings: str) -> None:
    """`apply_log_settings` with these settings (and the test's secrets)."""
    apply_log_settings(load_settings(bot_token=TOKEN, energy_api_secret=KEY, **settings))


def test_a_json_line_has_time_level_logger_and_message(shop_log: Log) -> None:
    settle(log_format="json")
    before = datetime.now(UTC)
    log.warning("order %s: upstream said %r", "7", "busy")
    [entry] = shop_log.entries()
    assert entry.keys() == {"time", "level", "logger", "message"}
    assert (entry["level"], entry["logger"]) == ("WARNING", "bot.services.orders")
    assert entry["message"] == "order 7: upstream said 'busy'"
    assert isinstance(entry["time"], str) and entry["time"].endswith("Z")
    written = datetime.fromisoformat(entry["time"].replace("Z", "+00:00"))
    assert written.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= written <= datetime.now(UTC)


def test_a_line_names_the_update_user_and_order_it_is_about(shop_log: Log) -> None:
    settle(log_format="json")
    handling_update(12, 100001)
    log.info("confirm pressed")
    with working_on_order("260102100000123456"):
        log.info("order succeeded")
    log.info("answered")
    about = [{k: v for k, v in entry.items() if k.endswith("_id")} for entry in shop_log.entries()]
    assert about == [
        {"update_id": 12, "user_id": 100001},
        {"update_id": 12, "user_id": 100001, "order_id": "260102100000123456"},
        {"update_id": 12, "user_id": 100001},
    ]


def test_plain_lines_name_what_they_are_about_in_brackets(shop_log: Log) -> None:
    settle()  # plain is the default
    log.info("nothing in hand")
    handling_update(12, None)  # an update without a user (a channel post, say)
    log.info("an update")
    handling_update(13, 100001)
    with working_on_order("7"):
        log.info("an order")
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
    assert [re.sub(f"^{stamp} ", "", line) for line in shop_log.lines()] == [
        "INFO bot.services.orders: nothing in hand",
        "INFO bot.services.orders [update 12]: an update",
        "INFO bot.services.orders [update 13 user 100001 order 7]: an order",
    ]


def test_an_exception_is_one_field_of_one_line(shop_log: Log) -> None:
    settle(log_format="json")
    try:
        raise ValueError("upstream answer unreadable:\n<html>502</html>")
    except ValueError:
        log.exception("order %s could not be settled", "7")
    written = shop_log.out.getvalue()
    assert written.count("\n") == 1
    [entry] = shop_log.entries()
    assert entry["message"] == "order 7 could not be settled"
    exc = entry["exc"]
    assert isinstance(exc, str)
    assert exc.startswith("Traceback (most recent call last):\n")
    assert exc.endswith("ValueError: upstream answer unreadable:\n<html>502</html>")


def test_a_repeated_error_is_folded_in_json_too(shop_log: Log) -> None:
    settle(log_format="json")
    for _ in range(500):
        log.error("accept failed: too many open files")
    [entry] = shop_log.entries()
    assert entry["message"] == "accept failed: too many open files"


def test_the_level_leaves_out_what_is_below_it(shop_log: Log) -> None:
    settle(log_level="warning")
    log.info("order 7 succeeded")
    log.warning("upstream slow")
    assert [line.split(" ", 2)[2] for line in shop_log.lines()] == [
        "WARNING bot.services.orders: upstream slow"
    ]
    settle(log_level="DEBUG")
    log.debug("asking upstream about order 7")
    logging.getLogger("aiosqlite").debug("executing a query")  # a line per query: left out
    assert shop_log.lines()[-1].endswith("DEBUG bot.services.orders: asking upstream about order 7")


def test_configured_secrets_never_reach_the_log(shop_log: Log) -> None:
    settle(log_format="json")
    url = f"http://127.0.0.1:8081/bot{TOKEN}/getUpdates"
    log.warning("Bot API call failed: %s", url)
    log.warning("upstream echoed the signature key %s", KEY)
    try:
        raise ConnectionError(f"Cannot connect to {url}")
    except ConnectionError:
        log.exception("polling failed")
    written = shop_log.out.getvalue()
    assert TOKEN.split(":")[1] not in written
    assert KEY not in written
    first, second, third = shop_log.entries()
    assert (
        first["message"]
        == "Bot API call failed: http://127.0.0.1:8081/bot4242424242:***/getUpdates"
    )
    assert second["message"] == "upstream echoed the signature key ***"
    assert isinstance(third["exc"], str)
    assert third["exc"].endswith(
        "ConnectionError: Cannot connect to http://127.0.0.1:8081/bot4242424242:***/getUpdates"
    )


def test_a_telegram_token_is_blotted_out_before_the_settings_are_read(shop_log: Log) -> None:
    other = "123456789:AAEhBOweik6ad9r_QXMENQjcrGbqCr4K-ay"  # not the configured token
    log.error("bad token %s", other)
    [line] = shop_log.lines()
    assert line.endswith("bad token 123456789:***")


def test_what_stops_the_shop_is_a_json_line_too(shop_log: Log) -> None:
    settle(log_format="json")
    try:
        raise RuntimeError(f"session closed for bot{TOKEN}")
    except RuntimeError as stopped:
        sys.excepthook(type(stopped), stopped, stopped.__traceback__)
    [entry] = shop_log.entries()
    assert (entry["level"], entry["message"]) == (
        "CRITICAL",
        "the shop stopped on an unexpected error",
    )
    assert isinstance(entry["exc"], str)
    assert entry["exc"].endswith("RuntimeError: session closed for bot4242424242:***")


def test_a_python_warning_is_a_json_line(shop_log: Log) -> None:
    settle(log_format="json")
    warnings.showwarning("coroutine was never awaited", RuntimeWarning, "intake.py", 40)
    [entry] = shop_log.entries()
    assert entry["logger"] == "py.warnings"
    assert "RuntimeWarning: coroutine was never awaited" in str(entry["message"])


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("LOG_FORMAT", "xml", "Input should be 'plain' or 'json'"),
        ("LOG_LEVEL", "loud", "Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'"),
    ],
)
def test_a_bad_log_setting_stops_start_up_in_one_line(
    tmp_path: Path, variable: str, value: str, said: str
) -> None:
    result = run_bot("run", cwd=tmp_path, BOT_TOKEN=TOKEN, **{variable: value})
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"configuration error: {variable} is invalid: {said}"]
    assert result.stdout == ""


def test_a_secret_of_digits_is_blotted_out_only_as_a_number_of_its_own(shop_log: Log) -> None:
    apply_log_settings(load_settings(kumquat_sign_key="123456789"))
    log.warning("cloud recharge POST /api/orders/ba202612021234567899/pay: disconnected")
    log.warning("KUMQUAT signed with key=123456789&sign=ab12")
    assert [line.split(": ", 1)[1] for line in shop_log.lines()] == [
        "cloud recharge POST /api/orders/ba202612021234567899/pay: disconnected",
        "KUMQUAT signed with key=***&sign=ab12",
    ]
