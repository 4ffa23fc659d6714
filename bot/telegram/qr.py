"""QR codes for payment details (the deposit address), as PNG bytes."""

from __future__ import annotations

import io

import segno


def qr_png(text: str) -> bytes:
    """A regular QR code (never a Micro QR, which wallets do not read), quiet zone included."""
    code = segno.make_qr(text, error="m")
    out = io.BytesIO()
    code.save(out, kind="png", scale=8, border=4)
    return out.getvalue()
