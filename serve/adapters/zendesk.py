"""Zendesk's trigger body → `Ticket`."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, Field

from classifier.records import Ticket
from serve.adapters.base import Incoming, metadata_of


class ZendeskTicket(Incoming):
    lenient_dates: ClassVar[tuple[str, ...]] = ("created_at",)
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
    """The body of the Zendesk trigger shown in docs/serving.md: `{"ticket": {...}}`."""

    ticket: ZendeskTicket


def zendesk_ticket(payload: ZendeskPayload) -> Ticket:
    t = payload.ticket
    return Ticket(
        id=t.id,
        subject=t.subject or "",
        body=t.description or "",
        created_at=t.created_at,
        account_id=t.organization,
        metadata=metadata_of(
            {"priority": t.priority, "status": t.status, "channel": t.channel, "tags": t.tags}
        ),
    )
