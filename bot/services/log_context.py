"""What a log line is about: the Telegram update being handled, its user, the order being worked
on. The log's format writes them beside each line (see `bot.wiring.logs`), so an operator can
follow one customer's tap or one order through everything the shop logged about it.

They are context variables, so they follow the asyncio task that set them and the tasks it
starts (a message sent on after its handler returned still belongs to that update), and never
leak into another task. aiogram handles each update in a task of its own, polling or webhook, so
the update's ids are set once for the rest of that task, aiogram's own "update is handled" and
error lines included. An order is worked on within a block (`working_on_order`), since one task,
the follow-up job, works on many orders in turn. A scheduled job's run starts from nothing
(`on_its_own`): it is about no update, whoever happened to schedule it.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextvars import ContextVar
from typing import Any, Concatenate, ParamSpec, TypeVar

_update_id: ContextVar[int | None] = ContextVar("log_update_id", default=None)
_user_id: ContextVar[int | None] = ContextVar("log_user_id", default=None)
_order_id: ContextVar[str | None] = ContextVar("log_order_id", default=None)

_P = ParamSpec("_P")
_R = TypeVar("_R")
_S = TypeVar("_S")


def handling_update(update_id: int, user_id: int | None) -> None:
    """From now on, the current task handles this update (of this user, if it has one)."""
    _update_id.set(update_id)
    _user_id.set(user_id)
    _order_id.set(None)


@contextlib.contextmanager
def working_on_order(order_id: str) -> Iterator[None]:
    """The lines logged inside the block are about this order."""
    token = _order_id.set(order_id)
    try:
        yield
    finally:
        _order_id.reset(token)


def about_the_order(
    method: Callable[Concatenate[_S, str, _P], Awaitable[_R]],
) -> Callable[Concatenate[_S, str, _P], Coroutine[Any, Any, _R]]:
    """For a service's async method whose first argument is an order id: the lines logged while
    it runs are about that order."""

    @functools.wraps(method)
    async def about(self: _S, order_id: str, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with working_on_order(order_id):
            return await method(self, order_id, *args, **kwargs)

    return about


@contextlib.contextmanager
def on_its_own() -> Iterator[None]:
    """Inside the block nothing is being handled: a background job's run."""
    tokens = (_update_id.set(None), _user_id.set(None), _order_id.set(None))
    try:
        yield
    finally:
        _order_id.reset(tokens[2])
        _user_id.reset(tokens[1])
        _update_id.reset(tokens[0])


def current() -> dict[str, int | str]:
    """The ids known where this is called: `update_id`, `user_id`, `order_id`, each only if
    there is one."""
    known: dict[str, int | str | None] = {
        "update_id": _update_id.get(),
        "user_id": _user_id.get(),
        "order_id": _order_id.get(),
    }
    return {name: value for name, value in known.items() if value is not None}
