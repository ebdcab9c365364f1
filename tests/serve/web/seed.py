"""Log rows with a planted spike: three labels over 12 weeks, `billing` jumps in week 10."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

START = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday
SPIKE_WEEK = "2024-03-11"  # week 10


def log_rows(count: int = 600, spike: int = 40) -> list[dict[str, Any]]:
    """`count` steady rows (every 4th needs review) plus `spike` billing rows from many accounts."""
    rng = random.Random(0)
    rows = []
    for i in range(count + spike):
        planted = i >= count
        week = 10 if planted else i % 12
        when = START + timedelta(weeks=week, hours=i % 100)
        category = (
            "billing" if planted else rng.choice(["billing", "login_access", "technical_issue"])
        )
        rows.append(
            {
                "ticket_id": f"T-{i:04d}",
                "model_version": "v1",
                "received_at": when,
                "created_at": when if i % 5 else None,
                "account_id": f"ACC-{i % 40 if not planted else 100 + i % 30}",
                "text_sha256": "0" * 64,
                "labels": {
                    "category": {
                        "label": category,
                        "confidence": 0.3 + (i % 7) / 10,
                        "needs_review": i % 4 == 0 and not planted,
                        "review_reason": "low_confidence" if i % 4 == 0 else None,
                    }
                },
            }
        )
    return rows


def scored_row(
    ticket_id: str, top: list[float], *, flagged: bool = False, field: str = "category"
) -> dict[str, Any]:
    """One log row whose `field` entry holds a top three with these confidences, best first."""
    labels = ["billing", "login_access", "technical_issue"]
    when = START + timedelta(weeks=13, minutes=int(ticket_id.split("-")[-1]))
    return {
        "ticket_id": ticket_id,
        "model_version": "v1",
        "received_at": when,
        "created_at": when,
        "account_id": "ACC-7",
        "text_sha256": "0" * 64,
        "labels": {
            field: {
                "label": labels[0],
                "confidence": top[0],
                "top": [{"label": n, "confidence": c} for n, c in zip(labels, top, strict=False)],
                "needs_review": flagged,
                "review_reason": "low_confidence" if flagged else None,
            }
        },
    }
