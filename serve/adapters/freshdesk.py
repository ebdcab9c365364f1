"""Freshdesk's webhook body → `Ticket`."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, Field

from classifier.records import Ticket
from serve.adapters.base import Incoming, metadata_of


class FreshdeskTicket(Incoming):
    lenient_dates: ClassVar[tuple[str, ...]] = ("ticket_created_at",)
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


def freshdesk_ticket(payload: FreshdeskPayload) -> Ticket:
    t = payload.freshdesk_webhook
    return Ticket(
        id=t.ticket_id,
        subject=t.ticket_subject or "",
        body=t.ticket_description or "",
        created_at=t.ticket_created_at,
        account_id=t.ticket_company_name,
        metadata=metadata_of(
            {
                "priority": t.ticket_priority,
                "status": t.ticket_status,
                "channel": t.ticket_source,
                "tags": t.ticket_tags,
            }
        ),
    )
