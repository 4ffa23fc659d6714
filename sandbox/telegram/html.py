"""Telegram's HTML formatting, parsed the way the Bot API does: into plain text and entities.

Anything Telegram would refuse raises `EntityError`, so a bot that forgets to escape a customer's
text fails here the way it would fail in production. Entity offsets and lengths are in UTF-16 code
units, as in the Bot API. This parser is stricter than Telegram in one way: a bare `&` that does not
start a known entity is refused, which catches unescaped text early.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_TAG = re.compile(
    r"<(?P<close>/)?(?P<name>[a-zA-Z][a-zA-Z0-9-]*)"
    r"(?P<attrs>(?:\s+[a-zA-Z][a-zA-Z0-9-]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)"
    r"\s*>"
)
_ATTR = re.compile(r"([a-zA-Z][a-zA-Z0-9-]*)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")
_ENTITY = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|(lt|gt|amp|quot));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}


class EntityError(ValueError):
    """Why Telegram would answer "can't parse entities"."""


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    tag: str
    entity: dict[str, Any] | None
    start: int  # UTF-16 offset
    children: list[dict[str, Any]] = field(default_factory=list)


def _unescape(raw: str, byte_offset: int) -> str:
    out: list[str] = []
    position = 0
    while True:
        amp = raw.find("&", position)
        if amp < 0:
            out.append(raw[position:])
            return "".join(out)
        out.append(raw[position:amp])
        match = _ENTITY.match(raw, amp)
        if match is None:
            raise EntityError(
                f'unsupported HTML entity or bare "&" at byte offset {byte_offset + amp}'
            )
        decimal, hexadecimal, named = match.groups()
        if named:
            out.append(_NAMED[named])
        else:
            code = int(decimal) if decimal else int(hexadecimal, 16)
            if not 0 < code <= 0x10FFFF:
                raise EntityError(f"invalid character reference at byte offset {byte_offset + amp}")
            out.append(chr(code))
        position = match.end()


def _attributes(raw: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _ATTR.finditer(raw):
        name, double, single, bare = match.groups()
        found[name.lower()] = double if double is not None else single or bare or ""
    return found


def _open_entity(tag: str, attrs: dict[str, str], stack: list[_Open]) -> dict[str, Any] | None:
    if tag in _SIMPLE:
        entity: dict[str, Any] = {"type": _SIMPLE[tag]}
        if tag == "code" and stack and stack[-1].tag == "pre":
            language = attrs.get("class", "")
            if language.startswith("language-"):
                assert stack[-1].entity is not None
                stack[-1].entity["language"] = language.removeprefix("language-")
                return None
        return entity
    if tag == "span":
        if attrs.get("class") != "tg-spoiler":
            raise EntityError('tag "span" must have class "tg-spoiler"')
        return {"type": "spoiler"}
    if tag == "a":
        href = attrs.get("href", "")
        if not href:
            raise EntityError('tag "a" must have a non-empty "href"')
        return {"type": "text_link", "url": href}
    if tag == "blockquote":
        return {"type": "expandable_blockquote" if "expandable" in attrs else "blockquote"}
    if tag == "tg-emoji":
        emoji_id = attrs.get("emoji-id", "")
        if not emoji_id.isdigit():
            raise EntityError('tag "tg-emoji" must have a numeric "emoji-id"')
        return {"type": "custom_emoji", "custom_emoji_id": emoji_id}
    raise EntityError(f'unsupported start tag "{tag}"')


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """The plain text and entities Telegram would make of `source`, or EntityError."""
    text: list[str] = []
    offset = 0  # UTF-16 units emitted so far
    entities: list[dict[str, Any]] = []
    stack: list[_Open] = []
    position = 0
    while position < len(source):
        lt = source.find("<", position)
        chunk = source[position:] if lt < 0 else source[position:lt]
        if chunk:
            plain = _unescape(chunk, len(source[:position].encode()))
            text.append(plain)
            offset += utf16_length(plain)
        if lt < 0:
            break
        match = _TAG.match(source, lt)
        if match is None:
            raise EntityError(
                f'unexpected "<" or malformed tag at byte offset {len(source[:lt].encode())}'
            )
        tag = match.group("name").lower()
        if match.group("close"):
            if not stack or stack[-1].tag != tag:
                raise EntityError(f'unmatched end tag "{tag}"')
            opened = stack.pop()
            if opened.entity is not None and offset > opened.start:
                entities.append(
                    {**opened.entity, "offset": opened.start, "length": offset - opened.start}
                )
        else:
            entity = _open_entity(tag, _attributes(match.group("attrs")), stack)
            stack.append(_Open(tag, entity, offset))
        position = match.end()
    if stack:
        raise EntityError(f'can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(text), entities
