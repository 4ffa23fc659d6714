"""A warning or error that repeats is written once a second, saying how many were left out; info
lines are all written."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator

import pytest

from bot.wiring.logs import FoldRepeats, OneLinePerKey, PlainLines


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def written(clock: Clock) -> Iterator[io.StringIO]:
    """What a logger of the shop writes, through the folding filter."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(PlainLines())
    handler.addFilter(FoldRepeats(every=1.0, clock=clock))
    logger = logging.getLogger("shop.test")
    logger.addHandler(handler)
    logger.propagate = False
    yield out
    logger.removeHandler(handler)
    logger.propagate = True


TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")


def lines(out: io.StringIO) -> list[str]:
    """The lines written, without their time."""
    return [TIME.sub("", line) for line in out.getvalue().splitlines()]


def test_a_repeated_error_is_written_once_a_second(written: io.StringIO, clock: Clock) -> None:
    log = logging.getLogger("shop.test")
    for attempt in range(10_000):
        try:
            raise OSError(24, "Too many open files")
        except OSError:
            log.exception("socket.accept() out of system resource\nsocket: <fd=12>")
        clock.now += 0.0001 * (attempt % 2)  # 10,000 of them within half a second
    assert [line for line in lines(written) if "ERROR" in line] == [
        "ERROR shop.test: socket.accept() out of system resource"
    ]
    assert lines(written).count("OSError: [Errno 24] Too many open files") == 1

    clock.now += 1.0
    log.error("socket.accept() out of system resource\nsocket: <fd=12>")
    assert lines(written)[-2] == ("ERROR shop.test: socket.accept() out of system resource")
    assert lines(written)[-1] == "socket: <fd=12> (9999 more like this since the last one)"


def test_a_kind_is_its_message_as_written(written: io.StringIO, clock: Clock) -> None:
    """Two events that differ are two lines, however fast they come; the same one is folded."""
    log = logging.getLogger("shop.test")
    for number in range(3):
        log.warning("operator alert: payment %s could not be settled", number)
    for _ in range(50):
        log.warning("callback from %s refused: bad signature", "10.0.0.1")
    log.error("callback from %s refused: bad signature", "10.0.0.1")
    assert lines(written) == [
        "WARNING shop.test: operator alert: payment 0 could not be settled",
        "WARNING shop.test: operator alert: payment 1 could not be settled",
        "WARNING shop.test: operator alert: payment 2 could not be settled",
        "WARNING shop.test: callback from 10.0.0.1 refused: bad signature",
        "ERROR shop.test: callback from 10.0.0.1 refused: bad signature",
    ]
    clock.now += 1.5
    log.warning("callback from %s refused: bad signature", "10.0.0.1")
    assert lines(written)[-1] == (
        "WARNING shop.test: callback from 10.0.0.1 refused: bad signature "
        "(49 more like this since the last one)"
    )


def test_info_lines_are_never_folded(written: io.StringIO) -> None:
    log = logging.getLogger("shop.test")
    log.setLevel(logging.INFO)
    for number in range(5):
        log.info("order %s succeeded", number)
    assert len(lines(written)) == 5


def test_one_line_per_key_counts_those_left_out_and_forgets_the_oldest_keys() -> None:
    now = [0.0]
    lines = OneLinePerKey[str](10, remembered=2, clock=lambda: now[0])
    assert [lines.due("a"), lines.due("a"), lines.due("a")] == [0, None, None]
    now[0] = 10.0
    assert lines.due("a") == 2  # the two left out since its last line
    assert [lines.due("b"), lines.due("c")] == [0, 0]  # "a", written about longest ago, goes
    assert lines.due("a") == 0 and lines.due("c") is None
