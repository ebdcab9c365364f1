"""Header names of helpdesk exports: one preset per helpdesk, and the names known without one.

`training.io.columns` tries a preset's names first, then the generic ones, for each field.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# Header names recognised without a preset, best first; matched ignoring case, spaces, _ and -.
GENERIC: dict[str, tuple[str, ...]] = {
    "id": ("ticket_id", "id", "issue key", "ticket number", "case number", "issue id"),
    "subject": ("subject", "title", "summary"),
    "body": ("body", "description", "message", "content"),
    "text": ("text", "ticket text"),
    "created_at": ("created_at", "created", "created time", "created date", "date"),
    "account_id": (
        "account_id", "account", "customer_id", "customer", "organization", "organizations",
        "organization_id", "company", "company name", "company_id", "requester_id",
    ),
}  # fmt: skip
GENERIC_METADATA: dict[str, tuple[str, ...]] = {
    "tier": ("tier", "plan", "customer tier"),
    "channel": ("channel", "source", "via"),
    "csat": ("csat", "satisfaction score", "satisfaction rating"),
    "resolution_hours": ("resolution_hours", "resolution time (in hrs)", "resolution time (hours)"),
    "resolution_minutes": (
        "resolution_minutes",
        "full resolution time in minutes",
        "resolution time (minutes)",
    ),
    "resolution_seconds": ("resolution_seconds", "resolution time (seconds)"),
    "solved_at": ("solved_at", "solved at", "resolved_at", "resolved at", "resolved"),
    "priority": ("priority",),
    "status": ("status",),
    # Escalated or not (yes/no, true/false) or a support level (1/L1/Tier 1 is not escalated).
    "escalation": (
        "escalation", "escalated", "escalation level", "is escalated", "level", "tier level",
        "support level",
    ),
}  # fmt: skip


class Preset(BaseModel):
    """Header names of one helpdesk's export, best first per field; exact names win."""

    model_config = ConfigDict(frozen=True)

    columns: dict[str, tuple[str, ...]]
    metadata: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    date_format: str | None = None
    """strftime format of the export's dates, tried first (cells it misses are parsed as usual)."""


PRESETS: dict[str, Preset] = {
    # Zendesk CSV export (Reporting > Export) and the Tickets API / JSON export. The CSV export
    # has no Description column, so CSV-only exports classify on the subject alone.
    "zendesk": Preset(
        columns={
            "id": ("Id", "id"),
            "subject": ("Subject", "subject"),
            "body": ("Description", "description"),
            "created_at": ("Created at", "created_at"),
            "account_id": ("Organization", "organization_id", "Requester id", "requester_id"),
        },
        metadata={
            "type": ("Ticket type", "type"),
            "priority": ("Priority", "priority"),
            "status": ("Status", "status"),
            "channel": ("Via", "via.channel"),  # API "via" is an object; JSONL flattens it
            "group": ("Group",),
            "csat": ("Satisfaction Score", "satisfaction_rating.score"),
            "resolution_minutes": ("Full resolution time in minutes",),
            "solved_at": ("Solved at", "solved_at"),
        },
    ),
    # Freshdesk "Export tickets" CSV. "Description" only appears when ticked in the export
    # dialog; "Resolution time (in hrs)" is a best guess at that column's exact title.
    "freshdesk": Preset(
        columns={
            "id": ("Ticket ID", "Ticket Id", "id"),
            "subject": ("Subject", "subject"),
            "body": ("Description", "description_text", "description"),
            "created_at": ("Created time", "created_at"),
            "account_id": ("Company Name", "company_id", "Contact ID", "requester_id"),
        },
        metadata={
            "type": ("Type", "type"),
            "priority": ("Priority", "priority"),
            "status": ("Status", "status"),
            "channel": ("Source", "source"),
            "group": ("Group",),
            "resolution_hours": ("Resolution time (in hrs)",),
            "solved_at": ("Resolved time", "resolved_at"),
        },
    ),
    # Jira Service Management CSV export. Custom fields are exported as "Custom field (Name)";
    # the Organizations, Request Type and Satisfaction titles below are best guesses.
    "jira": Preset(
        columns={
            "id": ("Issue key",),
            "subject": ("Summary",),
            "body": ("Description",),
            "created_at": ("Created",),
            "account_id": ("Custom field (Organizations)", "Organizations", "Reporter"),
        },
        metadata={
            "type": ("Issue Type",),
            "request_type": ("Custom field (Customer Request Type)", "Custom field (Request Type)"),
            "priority": ("Priority",),
            "status": ("Status",),
            "csat": ("Custom field (Satisfaction)", "Satisfaction"),
            "solved_at": ("Resolved",),
            # Jira has no built-in escalation field; custom ones export as "Custom field (…)".
            "escalation": (
                "Custom field (Escalated)",
                "Custom field (Escalation)",
                "Custom field (Escalation level)",
                "Custom field (Support level)",
            ),
        },
        date_format="%d/%b/%y %I:%M %p",  # Jira's default: 05/Mar/24 2:22 PM
    ),
}
