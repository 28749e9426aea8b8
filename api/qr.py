"""QR codes drawn on the server (presentation): the licence's public verification URL as an SVG."""

from __future__ import annotations

import io

import segno


def qr_svg(url: str) -> bytes:
    """An SVG QR code of `url`, drawn locally: the verification code never goes to a third party."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=4, border=4)
    return buffer.getvalue()
