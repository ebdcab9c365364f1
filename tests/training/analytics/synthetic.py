"""Small synthetic ticket tables with known answers for the detectors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

START = datetime(2026, 1, 5, 10, tzinfo=UTC)  # a Monday
CATEGORIES = ("billing", "bug", "login", "question")


def steady(weeks: int = 16, per_week: int = 20, accounts: int = 60, seed: int = 0) -> pd.DataFrame:
    """Every category gets `per_week` tickets a week (±Poisson), from random accounts."""
    rng = np.random.default_rng(seed)
    rows = []
    for week in range(weeks):
        for category in CATEGORIES:
            for _ in range(rng.poisson(per_week)):
                rows.append(_row(week, category, f"ACC-{rng.integers(accounts):03d}", rng))
    return _table(rows)


def add(
    table: pd.DataFrame, week: int, category: str, accounts: list[str], per_account: int = 1
) -> pd.DataFrame:
    rng = np.random.default_rng(99)
    rows = [_row(week, category, a, rng) for a in accounts for _ in range(per_account)]
    return pd.concat([table, _table(rows)], ignore_index=True)


def _row(week: int, category: str, account: str, rng: np.random.Generator) -> dict[str, str]:
    created = START + timedelta(weeks=week, hours=int(rng.integers(0, 100)))
    return {
        "created_at": created.isoformat(),
        "account_id": account,
        "category": category,
        "feature": "reports" if category == "bug" else "api",
        "csat": str(int(rng.integers(1, 6))),
        "resolution_hours": f"{rng.uniform(1, 20):.1f}",
        "tier": "pro",
    }


def _table(rows: list[dict[str, str]]) -> pd.DataFrame:
    table = pd.DataFrame(rows)
    table.insert(0, "ticket_id", [f"T-{i}" for i in range(len(table))])
    return table


def with_ids(table: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    table["ticket_id"] = [f"T-{i}" for i in range(len(table))]
    return table
