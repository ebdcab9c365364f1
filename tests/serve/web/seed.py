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


USAGE_FEATURES = {"reports": 10, "export": 2, "sso": 4}
"""Adopting accounts per week: reports U00–U07 plus the two silent accounts with usage."""
SILENT = {"S-CHURN": "churn risk", "S-QUIET": "quiet and healthy", "S-NONE": "unknown"}


def feature_rows() -> list[dict[str, Any]]:
    """12 weeks of `feature`-labelled tickets: per week 3 `reports`, 1–2 `export` (18 in all),
    `sso` in weeks 0–5 (6), from U00–U11; and one `onboarding` ticket a week in weeks 0–5 from
    each `SILENT` account, which files nothing after that."""
    plan: list[tuple[int, str, str]] = []
    for week in range(12):
        plan += [(week, "reports", "")] * 3 + [(week, "export", "")] * (1 if week % 2 else 2)
        plan += [(week, "sso", "")] if week < 6 else []
        plan += [(week, "onboarding", account) for account in SILENT if week < 6]
    return [
        _feature_row(i, week, feature, account or f"U{i % 12:02d}")
        for i, (week, feature, account) in enumerate(plan)
    ]


def _feature_row(i: int, week: int, feature: str, account: str) -> dict[str, Any]:
    when = START + timedelta(weeks=week, hours=i % 48)
    return {
        "ticket_id": f"F-{i:04d}",
        "model_version": "v1",
        "received_at": when,
        "created_at": when,
        "account_id": account,
        "text_sha256": "0" * 64,
        "labels": {
            "category": {"label": "technical_issue", "confidence": 0.9, "needs_review": False},
            "feature": {"label": feature, "confidence": 0.9, "needs_review": False},
        },
    }


def usage_csv() -> str:
    """The usage file for `feature_rows`: `reports` used by U00–U07, S-CHURN (10 users, 1 from
    week 6) and S-QUIET (5 every week); `export` by U00–U01; `sso` by U02–U05; one row of an
    account the log does not know."""
    lines = ["account_id,week,feature,active_users"]
    for week in range(12):
        monday = (START + timedelta(weeks=week)).date().isoformat()
        users = {f"U{a:02d}": 2 for a in range(8)} | {"S-CHURN": 10 if week < 6 else 1}
        users["S-QUIET"] = 5
        lines += [f"{a},{monday},reports,{n}" for a, n in users.items()]
        lines += [f"U{a:02d},{monday},export,1" for a in range(2)]
        lines += [f"U{a:02d},{monday},sso,3" for a in range(2, 6)]
    lines.append(f"GHOST,{START.date().isoformat()},reports,7")
    return "\n".join(lines) + "\n"
