"""The TRON address check: real addresses pass, each kind of mistake is named."""

from __future__ import annotations

import hashlib

import pytest

from bot.services.tron import AddressProblem, address_problem, is_tron_address

DOCUMENT_ADDRESS = "TPP5NBKiMX8AjS4fyao2Nj6AhFFCqDXgWS"  # the energy API's own example
USDT_CONTRACT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58check(payload: bytes) -> str:
    """An independent encoder, to build addresses with a chosen version byte."""
    raw = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    number, text = int.from_bytes(raw, "big"), ""
    while number:
        number, digit = divmod(number, 58)
        text = ALPHABET[digit] + text
    return text


@pytest.mark.parametrize(
    "address", [DOCUMENT_ADDRESS, USDT_CONTRACT, base58check(b"\x41" + bytes(range(20)))]
)
def test_real_addresses_pass(address: str) -> None:
    assert address_problem(address) is None
    assert is_tron_address(address)


def test_a_broken_checksum_is_named() -> None:
    # One character changed: still 34 base58 characters starting with T, but the checksum fails.
    broken = DOCUMENT_ADDRESS[:-1] + ("X" if DOCUMENT_ADDRESS[-1] != "X" else "Y")
    assert address_problem(broken) == AddressProblem.BAD_CHECKSUM
    swapped = (
        DOCUMENT_ADDRESS[:5] + DOCUMENT_ADDRESS[6] + DOCUMENT_ADDRESS[5] + DOCUMENT_ADDRESS[7:]
    )
    assert address_problem(swapped) == AddressProblem.BAD_CHECKSUM


def test_another_version_byte_is_refused_even_with_a_good_checksum() -> None:
    # 0x42 also encodes to 34 characters starting with T, with a valid checksum.
    other = base58check(b"\x42" + bytes(20))
    assert other.startswith("T") and len(other) == 34
    assert address_problem(other) == AddressProblem.WRONG_VERSION


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", AddressProblem.EMPTY),
        (DOCUMENT_ADDRESS[:-1], AddressProblem.WRONG_LENGTH),
        (DOCUMENT_ADDRESS + "1", AddressProblem.WRONG_LENGTH),
        ("T" * 200, AddressProblem.WRONG_LENGTH),
        ("t" + DOCUMENT_ADDRESS[1:], AddressProblem.NOT_T),
        ("0x" + "ab" * 20, AddressProblem.NOT_T),
        ("41" + "ab" * 20, AddressProblem.NOT_T),
        (" " + DOCUMENT_ADDRESS, AddressProblem.NOT_T),
        ("<b>" + DOCUMENT_ADDRESS[3:] + "</b>", AddressProblem.NOT_T),
        ("T0" + DOCUMENT_ADDRESS[2:], AddressProblem.BAD_CHARACTERS),
        ("TPP5NBKiMX8AjS4fyao2Nj6AhFFCqDXgWＳ", AddressProblem.BAD_CHARACTERS),
        ("TPP5NBKiMX8AjS4fyao2Nj6AhFFCqDXgW٣", AddressProblem.BAD_CHARACTERS),
        ("T<b>NBKiMX8AjS4fyao2Nj6AhFFCqD</b>", AddressProblem.BAD_CHARACTERS),
        ("Tzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", AddressProblem.BAD_CHECKSUM),
    ],
)
def test_each_mistake_is_named(text: str, problem: AddressProblem) -> None:
    assert address_problem(text) == problem
    assert not is_tron_address(text)
