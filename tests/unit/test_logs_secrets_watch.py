"""The end-to-end suite's watch for secrets in the bots' logs (tests/e2e/secrets_watch.py) finds
a secret planted in a log, whichever way it is written; it looks for every secret the harness
configures without being told their names."""

from __future__ import annotations

import json

from sandbox.upstreams import Upstreams
from tests.e2e.harness import BOT_TOKEN
from tests.e2e.secrets_watch import SecretsWatch, secrets_in

SECRET_PART = BOT_TOKEN.split(":")[1]


def harness_environment() -> dict[str, str]:
    """What the harness gives a bot, as far as secrets go (the simulators' addresses aside),
    and the secrets other settings add."""
    environment = {
        "BOT_TOKEN": BOT_TOKEN,
        "DATABASE_PATH": "/tmp/shop/shop.sqlite3",
        "ADMIN_IDS": "900001,900002",
        "WEBHOOK_SECRET": "forged-or-not-0123456789",
        "METRICS_TOKEN": "scrape-me-9f8e7d6c",
        "PYTHONPATH": "/work/storefront",
    }
    for upstream in Upstreams().all:
        environment.update(upstream.credentials)
    return environment


def test_every_secret_the_harness_configures_is_looked_for() -> None:
    looked_for = set(secrets_in(harness_environment()).values())
    assert looked_for == {
        "BOT_TOKEN",
        "CLOUDRUBY_APP_SECRET",
        "ENERGY_API_KEY",
        "ENERGY_API_SECRET",
        "KUMQUAT_SIGN_KEY",
        "SHOP_API_KEY",
        "ACEDATA_TOKEN",
        "TRONGRID_API_KEY",
        "WEBHOOK_SECRET",
        "METRICS_TOKEN",
    }


def test_a_planted_secret_is_found_once_and_named_not_shown() -> None:
    watch = SecretsWatch()
    log: list[str] = []
    watch.watch("the bot", harness_environment(), log)
    log += [
        "INFO aiogram.dispatcher: Run polling for bot @storefront_test_bot id=4242424242 - 'Shop'",
        "INFO bot.services.orders [update 3 user 100001 order 7]: order 7 succeeded",
    ]
    assert watch.leaks() == []
    log.append(f"WARNING aiogram.event: POST http://127.0.0.1:4000/bot{BOT_TOKEN}/getMe failed")
    [leak] = watch.leaks()
    assert leak == (
        "the bot logged BOT_TOKEN: WARNING aiogram.event: POST "
        "http://127.0.0.1:4000/bot<BOT_TOKEN>/getMe failed"
    )
    assert SECRET_PART not in leak
    assert watch.leaks() == []  # each line is read once


def test_a_secret_is_found_in_a_json_line_and_in_any_process_watched() -> None:
    watch = SecretsWatch()
    first: list[str] = []
    check: list[str] = []
    watch.watch("the bot", harness_environment(), first)
    watch.watch("python -m bot check", {"ACEDATA_TOKEN": 'a"quoted\\secret'}, check)
    first.append(json.dumps({"message": "signing with 123456789"}))  # KUMQUAT_SIGN_KEY
    check.append(json.dumps({"message": 'token a"quoted\\secret refused'}))
    leaks = watch.leaks()
    assert [leak.split(":")[0] for leak in leaks] == [
        "the bot logged KUMQUAT_SIGN_KEY",
        "python -m bot check logged ACEDATA_TOKEN",
    ]


def test_values_too_short_to_look_for_and_empty_ones_are_left_out() -> None:
    assert secrets_in({"SHOP_API_KEY": "", "SOME_KEY": "1", "OTHER_TOKEN": "12:ab"}) == {}


def test_a_secret_of_digits_is_a_number_of_its_own_not_digits_of_another() -> None:
    watch = SecretsWatch()
    log: list[str] = []
    watch.watch("the bot", {"KUMQUAT_SIGN_KEY": "123456789"}, log)
    log.append("cloud recharge POST /api/orders/ba202612021234567899/pay: disconnected")
    assert watch.leaks() == []
    log.append("KUMQUAT signs with key=123456789&sign=ab12")
    assert watch.leaks() == [
        "the bot logged KUMQUAT_SIGN_KEY: KUMQUAT signs with key=<KUMQUAT_SIGN_KEY>&sign=ab12"
    ]
