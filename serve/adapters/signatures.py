"""Webhook signatures: HMAC checks and replay windows (no HTTP here).

Zendesk signs `timestamp + body` with HMAC-SHA256 and sends the base64 digest in
`X-Zendesk-Webhook-Signature` and the timestamp in `X-Zendesk-Webhook-Signature-Timestamp`.
ticketlens' own scheme (for the generic webhook, or anything that can compute an HMAC) is
`X-Ticketlens-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` with the Unix time in
`X-Ticketlens-Timestamp`. Both refuse timestamps outside the replay window.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import time
from datetime import datetime


class SignatureError(Exception):
    """The webhook call is not signed, signed wrongly, or too old to trust."""


def _timestamp_seconds(value: str) -> float:
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds):  # nan compares false with any window: refuse it here
            raise SignatureError(f"unreadable signature timestamp {value!r}")
        return seconds
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError as exc:
        raise SignatureError(f"unreadable signature timestamp {value!r}") from exc


def _check_fresh(timestamp: str, window_s: float, now: float | None) -> None:
    age = (time.time() if now is None else now) - _timestamp_seconds(timestamp)
    if abs(age) > window_s:
        raise SignatureError(
            f"signature timestamp is {age:.0f}s from now, outside the {window_s:.0f}s window"
        )


def verify_zendesk(
    secret: str,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    *,
    window_s: float = 300,
    now: float | None = None,
) -> None:
    """Raise `SignatureError` unless `signature` is Zendesk's for this body and fresh."""
    if not signature or not timestamp:
        raise SignatureError(
            "missing X-Zendesk-Webhook-Signature or X-Zendesk-Webhook-Signature-Timestamp"
        )
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    if not hmac.compare_digest(base64.b64encode(digest), signature.strip().encode()):
        raise SignatureError("Zendesk signature does not match")
    _check_fresh(timestamp, window_s, now)


def sign_generic(secret: str, body: bytes, timestamp: str) -> str:
    """The `X-Ticketlens-Signature` value for a body (what a sender computes)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify_generic(
    secret: str,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    *,
    window_s: float = 300,
    now: float | None = None,
) -> None:
    """Raise `SignatureError` unless `signature` is `sign_generic`'s for this body and fresh."""
    if not signature or not timestamp:
        raise SignatureError("missing X-Ticketlens-Signature or X-Ticketlens-Timestamp")
    expected = sign_generic(secret, body, timestamp).encode()
    if not hmac.compare_digest(expected, signature.strip().encode()):
        raise SignatureError("signature does not match")
    _check_fresh(timestamp, window_s, now)
