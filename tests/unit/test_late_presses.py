"""Which refusals of Telegram the shop lets go: only a button press's or a payment's
pre-checkout query's answer refused as too old (or its id unknown, which Telegram says in the
same words), each noted in a line naming the query, so that a wrong id would show in the log;
any other refusal is the caller's to handle."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    AnswerCallbackQuery,
    AnswerPreCheckoutQuery,
    Response,
    SendMessage,
    TelegramMethod,
)

from bot.telegram.late_presses import GoOnAfterLateAnswers

TELEGRAMS_WORDS = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
TOKEN = "42:TEST"


def refusing(text: str) -> Any:
    async def make_request(bot: Bot, method: TelegramMethod[Any]) -> Response[Any]:
        raise TelegramBadRequest(method, text)

    return make_request


async def answer(method: TelegramMethod[Any], refusal: str) -> Response[Any]:
    return await GoOnAfterLateAnswers()(refusing(refusal), Bot(TOKEN), method)


@pytest.mark.parametrize(
    "refusal",
    [
        TELEGRAMS_WORDS,
        "Bad Request: query is too old",
        "Bad Request: query ID is invalid",
    ],
)
async def test_a_press_answered_too_late_goes_on_and_the_log_names_the_press(
    refusal: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.telegram.late_presses")

    response = await answer(AnswerCallbackQuery(callback_query_id="q-7f3a"), refusal)

    assert response.ok and response.result is True
    [line] = [record.getMessage() for record in caplog.records]
    assert "q-7f3a" in line


async def test_a_payment_check_answered_too_late_goes_on_and_the_log_names_the_query(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Telegram waits 10 s for the answer to a pre-checkout query, then declines the payment
    itself; an answer after that (or a second one, after a restart) changes nothing."""
    caplog.set_level(logging.INFO, logger="bot.telegram.late_presses")

    method = AnswerPreCheckoutQuery(pre_checkout_query_id="pcq-91b2", ok=True)
    response = await answer(method, TELEGRAMS_WORDS)

    assert response.ok and response.result is True
    [line] = [record.getMessage() for record in caplog.records]
    assert "pcq-91b2" in line


@pytest.mark.parametrize(
    ("method", "refusal"),
    [
        (AnswerCallbackQuery(callback_query_id="q-7f3a"), "Bad Request: message is not modified"),
        (AnswerCallbackQuery(callback_query_id="q-7f3a"), "Bad Request: URL_INVALID"),
        (SendMessage(chat_id=1, text="hi"), TELEGRAMS_WORDS),
        (
            AnswerPreCheckoutQuery(pre_checkout_query_id="pcq-91b2", ok=True),
            "Bad Request: PAYMENT_CHECK_FAILED",
        ),
    ],
)
async def test_any_other_refusal_reaches_the_caller(
    method: TelegramMethod[Any], refusal: str
) -> None:
    with pytest.raises(TelegramBadRequest, match=refusal.split(": ")[1]):
        await answer(method, refusal)
