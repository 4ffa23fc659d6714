"""An upstream callback's body is read as the fields it plainly carries, or not at all."""

from __future__ import annotations

import pytest

from bot.services.web_limits import multipart_fields

BOUNDARY = "b0undary"
FORM = f"multipart/form-data; boundary={BOUNDARY}"


def multipart(*parts: str) -> bytes:
    body = "".join(f"--{BOUNDARY}\r\n{part}\r\n" for part in parts) + f"--{BOUNDARY}--\r\n"
    return body.encode()


def field(name: str, value: str) -> str:
    return f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}'


def test_a_multipart_form_gives_its_fields_as_sent() -> None:
    body = multipart(field("request_no", "T123"), field("status", "success"), field("sign", "ab"))
    assert multipart_fields(body, FORM) == {"request_no": "T123", "status": "success", "sign": "ab"}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"--x\r\nContent-Disposition: form-data\r\n\r\n", "multipart/form-data; boundary=x"),
        (multipart(field("status", "success")), "multipart/form-data"),  # no boundary
        (b"status=success", FORM),
        (
            multipart('Content-Disposition: form-data; name="f"; filename="a.txt"\r\n\r\nx'),
            FORM,
        ),
        (multipart("Content-Disposition: form-data\r\n\r\nnameless"), FORM),
        (b"\xff\xfe" * 100, FORM),
    ],
    ids=["broken", "no boundary", "not multipart", "a file", "a nameless field", "bytes"],
)
def test_anything_else_is_unreadable(body: bytes, content_type: str) -> None:
    assert multipart_fields(body, content_type) is None
