"""Helpdesk webhooks: signature checks and payload → `Ticket` parsing (no HTTP here).

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
import time
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from classifier.records import MetadataValue, Ticket


class SignatureError(Exception):
    """The webhook call is not signed, signed wrongly, or too old to trust."""


def _timestamp_seconds(value: str) -> float:
    text = value.strip()
    try:
        return float(text)
    except ValueError:
        pass
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


def _blank_to_none(value: Any) -> Any:
    # Helpdesk placeholders render missing values as "" (or "null" text).
    if isinstance(value, str) and value.strip() in ("", "null", "None"):
        return None
    return value


class _Incoming(BaseModel):
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    @field_validator("*", mode="before")
    @classmethod
    def _blanks(cls, value: Any) -> Any:
        return _blank_to_none(value)


class ZendeskTicket(_Incoming):
    id: str = Field(min_length=1)
    subject: str | None = None
    description: str | None = None
    created_at: datetime | None = None
    organization: str | None = None
    requester: str | None = None
    priority: str | None = None
    status: str | None = None
    channel: str | None = None
    tags: str | None = None


class ZendeskPayload(BaseModel):
    """The body of the Zendesk trigger shown in the README: `{"ticket": {...}}`."""

    ticket: ZendeskTicket


class FreshdeskTicket(_Incoming):
    ticket_id: str = Field(min_length=1)
    ticket_subject: str | None = None
    ticket_description: str | None = None
    ticket_created_at: datetime | None = None
    ticket_company_name: str | None = None
    ticket_priority: str | None = None
    ticket_status: str | None = None
    ticket_source: str | None = None
    ticket_tags: str | None = None


class FreshdeskPayload(BaseModel):
    """Freshdesk's webhook body: `{"freshdesk_webhook": {"ticket_id": …, …}}`."""

    freshdesk_webhook: FreshdeskTicket


def _metadata(values: dict[str, Any]) -> dict[str, MetadataValue]:
    return {k: v for k, v in values.items() if v is not None and isinstance(v, str | int | float)}


def zendesk_ticket(payload: ZendeskPayload) -> Ticket:
    t = payload.ticket
    return Ticket(
        id=t.id,
        subject=t.subject or "",
        body=t.description or "",
        created_at=t.created_at,
        account_id=t.organization,
        metadata=_metadata(
            {"priority": t.priority, "status": t.status, "channel": t.channel, "tags": t.tags}
        ),
    )


def freshdesk_ticket(payload: FreshdeskPayload) -> Ticket:
    t = payload.freshdesk_webhook
    return Ticket(
        id=t.ticket_id,
        subject=t.ticket_subject or "",
        body=t.ticket_description or "",
        created_at=t.ticket_created_at,
        account_id=t.ticket_company_name,
        metadata=_metadata(
            {
                "priority": t.ticket_priority,
                "status": t.ticket_status,
                "channel": t.ticket_source,
                "tags": t.ticket_tags,
            }
        ),
    )


_MISSING = object()


def _lookup(payload: Any, path: str) -> Any:
    value = payload
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


class GenericFieldError(ValueError):
    """A mapped field is missing or has the wrong type; `loc` is its path in the body."""

    def __init__(self, loc: list[str], message: str) -> None:
        super().__init__(message)
        self.loc = loc


_TICKET_ATTRIBUTES = {"id", "subject", "body", "created_at", "account_id"}


def generic_ticket(payload: Any, fields: dict[str, str]) -> Ticket:
    """A `Ticket` from any JSON, following `fields` (attribute → dotted path in the body).

    Attributes other than id, subject, body, created_at and account_id land in `metadata`.
    """
    values: dict[str, Any] = {}
    for attribute, path in fields.items():
        found = _lookup(payload, path)
        if found is _MISSING or _blank_to_none(found) is None:
            continue
        if isinstance(found, dict | list):
            raise GenericFieldError(path.split("."), f"'{path}' must be a string, not an object")
        values[attribute] = found if attribute == "created_at" else str(found)
    if "id" not in values:
        path = fields.get("id", "id")
        raise GenericFieldError(path.split("."), f"the ticket id ('{path}') is missing")
    own = {k: v for k, v in values.items() if k in _TICKET_ATTRIBUTES}
    extra = {k: v for k, v in values.items() if k not in _TICKET_ATTRIBUTES}
    return Ticket.model_validate({**own, "metadata": extra})
