"""Generate the product-usage and accounts files that sit beside ``data/sample_tickets.csv``.

Reads the sample export (left unchanged) and writes, deterministically for a given ``--seed``:

- ``data/sample_usage.csv``: ``account_id, week, feature, active_users`` for every account and
  week of the export, plus 40 accounts that never file a ticket and 3 rows for an account that
  is in neither file (reported as unknown by ``ticketlens report --usage``). Planted patterns:
  1. ``reports`` is used by over half the active accounts yet draws ~1.4× the tickets per
     adopter of the other features (their adoption follows their ticket volume): the top urgent fix.
  2. The export's silent accounts (tickets in most of weeks 1-18, none after): the first half
     (by id) have usage falling to a fifth from week 10 on (churn risk), the rest steady
     (quiet and healthy).
- ``data/sample_accounts.csv``: ``account_id, tier, industry, region, company_size,
  journey_stage`` segments for ``--by``.

Repeat tickets (same account and category within 14 days) occur in the export as it is.

Usage: python data/generate_usage.py [--seed 7] [--tickets data/sample_tickets.csv]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

ADOPTION_TOP, REPORTS_ADOPTION = 0.95, 0.70
USERS = {"enterprise": 30.0, "pro": 8.0, "free": 2.0}
INDUSTRIES = ("software", "retail", "finance", "healthcare", "education")
REGIONS = ("EMEA", "NA", "APAC", "LATAM")
STAGES = ("onboarding", "adoption", "expansion", "renewal")
EXTRA_ACCOUNTS, FALL_FROM_WEEK = 40, 9


def silent_accounts(tickets: pd.DataFrame, weeks: pd.Series) -> list[str]:
    """Accounts with tickets in at least 8 of weeks 1-18 and none from week 19 on."""
    per = pd.DataFrame({"account": tickets["account_id"], "week": weeks})
    early = per[per["week"] < 18].groupby("account")["week"].nunique()
    late = set(per.loc[per["week"] >= 18, "account"])
    return sorted(a for a, n in early.items() if n >= 8 and a not in late)


def generate(tickets: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    rng = np.random.default_rng(seed)
    created = pd.to_datetime(tickets["created_at"], utc=True).dt.tz_localize(None)
    start = created.min().normalize() - pd.Timedelta(days=created.min().weekday())
    weeks = (created - start).dt.days // 7
    n_weeks = int(weeks.max()) + 1
    tiers = tickets.groupby("account_id")["tier"].agg(lambda t: t.mode().iloc[0])
    extra = [f"ACC-{9000 + i}" for i in range(EXTRA_ACCOUNTS)]
    tiers = pd.concat([tiers, pd.Series(rng.choice(list(USERS), len(extra)), index=extra)])
    volume = tickets["feature"].value_counts()
    adoption = ADOPTION_TOP * volume / volume.drop("reports").max()
    adoption["reports"] = REPORTS_ADOPTION
    silent = silent_accounts(tickets, weeks)
    falling = set(silent[: len(silent) // 2])
    rows = []
    for account, tier in tiers.items():
        base = USERS[str(tier)] * rng.lognormal(0.0, 0.5)
        uses = [f for f in adoption.index if rng.random() < adoption[f]]
        for week in range(n_weeks):
            level = 1.0
            if account in falling and week >= FALL_FROM_WEEK:
                level = max(0.2, 1.0 - 0.8 * (week - FALL_FROM_WEEK) / (n_weeks - FALL_FROM_WEEK))
            day = (start + pd.Timedelta(weeks=week)).strftime("%Y-%m-%d")
            for feature in uses:
                users = rng.poisson(max(base * level * rng.uniform(0.3, 1.0), 0.5))
                rows.append((account, day, feature, int(users)))
    for week in range(3):
        day = (start + pd.Timedelta(weeks=week)).strftime("%Y-%m-%d")
        rows.append(("ACC-UNKNOWN", day, "reports", 3))
    usage = pd.DataFrame(rows, columns=["account_id", "week", "feature", "active_users"])
    accounts = pd.DataFrame(
        {
            "account_id": tiers.index,
            "tier": tiers.to_numpy(),
            "industry": rng.choice(INDUSTRIES, len(tiers)),
            "region": rng.choice(REGIONS, len(tiers), p=[0.35, 0.4, 0.15, 0.1]),
            "company_size": [
                {"enterprise": "1000+", "pro": "50-999", "free": "1-49"}[str(t)] for t in tiers
            ],
            "journey_stage": rng.choice(STAGES, len(tiers)),
        }
    )
    return usage, accounts, sorted(falling)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--tickets", type=Path, default=Path("data/sample_tickets.csv"))
    args = parser.parse_args()
    tickets = pd.read_csv(args.tickets, dtype=str, keep_default_na=False)
    usage, accounts, falling = generate(tickets, args.seed)
    folder = args.tickets.parent
    usage.to_csv(folder / "sample_usage.csv", index=False)
    accounts.to_csv(folder / "sample_accounts.csv", index=False)
    print(f"Wrote {folder / 'sample_usage.csv'} ({len(usage)} rows) and "
          f"{folder / 'sample_accounts.csv'} ({len(accounts)} accounts); "
          f"falling usage: {', '.join(falling)}")  # fmt: skip


if __name__ == "__main__":
    main()
