"""TRON addresses as customers type them: base58check, 34 characters, starting with `T`.

An address is 25 bytes: the version byte 0x41, the 20-byte account, and a 4-byte checksum (the
first bytes of a double SHA-256 of the first 21). Checking it here means a typo is caught before
anything is quoted, instead of energy being delegated to an address nobody owns.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

ADDRESS_LENGTH = 34
VERSION = 0x41
_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_DIGITS = {char: value for value, char in enumerate(_ALPHABET)}


class AddressProblem(StrEnum):
    EMPTY = "empty"
    NOT_T = "not_t"  # does not start with T (e.g. an Ethereum or hex address)
    WRONG_LENGTH = "wrong_length"
    BAD_CHARACTERS = "bad_characters"  # outside base58 (0, O, I, l, spaces, anything else)
    BAD_CHECKSUM = "bad_checksum"  # a typo: the last characters do not match the rest
    WRONG_VERSION = "wrong_version"


def address_problem(text: str) -> AddressProblem | None:
    """What is wrong with `text` as a TRON address (None: it is a valid one)."""
    if not text:
        return AddressProblem.EMPTY
    if not text.startswith("T"):
        return AddressProblem.NOT_T
    if len(text) != ADDRESS_LENGTH:
        return AddressProblem.WRONG_LENGTH
    if any(char not in _DIGITS for char in text):
        return AddressProblem.BAD_CHARACTERS
    number = 0
    for char in text:
        number = number * 58 + _DIGITS[char]
    raw = number.to_bytes(25, "big")  # 58**34 < 2**200: 34 characters always fit 25 bytes
    payload, checksum = raw[:21], raw[21:]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != checksum:
        return AddressProblem.BAD_CHECKSUM
    if payload[0] != VERSION:
        return AddressProblem.WRONG_VERSION
    return None


def is_tron_address(text: str) -> bool:
    return address_problem(text) is None
