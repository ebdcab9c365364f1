"""Real-looking helpdesk exports (Zendesk, Freshdesk, Jira column names and formats) for tests.

Five weeks of tickets from Monday 2024-03-04, five well-separated categories, one customer per
ticket among a handful; each export writes its dates the way that helpdesk (or locale) does.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

START = datetime(2024, 3, 4, 9, 0)
WEEKS = 5
CATEGORIES = {
    "billing": "invoice charged twice refund card payment",
    "login": "password reset cannot sign in locked account",
    "shipping": "parcel delayed courier tracking delivery address",
    "export": "csv download report export spreadsheet columns",
    "api": "webhook token rate limit endpoint integration",
}


def tickets(n: int = 150) -> list[dict[str, object]]:
    """Plain records: id, subject, body, created, account, category, csat, minutes."""
    names = list(CATEGORIES)
    rows = []
    for i in range(n):
        category = names[i % len(names)]
        words = CATEGORIES[category].split()
        created = START + timedelta(hours=(WEEKS * 7 * 24 - 24) * i / (n - 1))
        rows.append(
            {
                "id": 4700 + i,
                "subject": f"{words[i % 3]} {words[3 + i % 2]} issue {i}",
                "body": f"Hello, {' '.join(words)} — ticket {i}, please help.",
                "created": created,
                "account": f"ACME-{i % 7}",
                "category": category,
                "csat": ("Good", "Bad", "Offered")[i % 3],
                "minutes": 30 + 7 * i,
            }
        )
    return rows


def zendesk_csv(path: Path, *, day_first: bool = True) -> Path:
    """Zendesk CSV: its column titles, dd/mm/yyyy HH:MM dates (or mm/dd), Good/Bad CSAT, minutes."""
    fmt = "%d/%m/%Y %H:%M" if day_first else "%m/%d/%Y %H:%M"
    frame = pd.DataFrame(
        {
            "Id": r["id"],
            "Subject": r["subject"],
            "Description": r["body"],
            "Created at": r["created"].strftime(fmt),  # type: ignore[attr-defined]
            "Organization": r["account"],
            "Satisfaction Score": r["csat"],
            "Full resolution time in minutes": r["minutes"],
            "Category": r["category"],
        }
        for r in tickets()
    )
    frame.to_csv(path, index=False)
    return path


def freshdesk_xlsx(path: Path) -> Path:
    """Freshdesk export saved as .xlsx: real date cells, hours to resolution, numeric CSAT."""
    frame = pd.DataFrame(
        {
            "Ticket ID": r["id"],
            "Subject": r["subject"],
            "Description": r["body"],
            "Created time": r["created"],
            "Company Name": r["account"],
            "Resolution time (in hrs)": round(int(r["minutes"]) / 60, 2),  # type: ignore[call-overload]
            "Category": r["category"],
        }
        for r in tickets()
    )
    frame.to_excel(path, index=False)
    return path


def jira_json(path: Path) -> Path:
    """Jira issues as a JSON array, with Jira's own `05/Mar/24 2:22 PM` dates."""
    records = [
        {
            "Issue key": f"SUP-{r['id']}",
            "Summary": r["subject"],
            "Description": r["body"],
            "Created": r["created"].strftime("%d/%b/%y %I:%M %p"),  # type: ignore[attr-defined]
            "Reporter": r["account"],
            "Category": r["category"],
        }
        for r in tickets()
    ]
    path.write_text(json.dumps(records, indent=1), encoding="utf-8")
    return path


def legacy_csv(path: Path) -> Path:
    """A cp1252 CSV from an older system: ISO dates, accented text, 1–5 CSAT."""
    frame = pd.DataFrame(
        {
            "ticket_id": r["id"],
            "subject": f"{r['subject']} – déjà vu",
            "body": r["body"],
            "created_at": r["created"].isoformat(),  # type: ignore[attr-defined]
            "account": r["account"],
            "csat": 1 + int(r["id"]) % 5,  # type: ignore[call-overload]
            "category": r["category"],
        }
        for r in tickets()
    )
    frame.to_csv(path, index=False, encoding="cp1252")
    return path
