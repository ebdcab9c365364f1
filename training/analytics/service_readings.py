"""The seeds' service readings: resolved within a target, SLA adherence per tier, repeat
tickets, tickets per 100 users per month, and the escalation rate.

- resolved within target: the share of a label's tickets with a resolution time whose
  resolution took at most `target_hours` (24 h by default), against the common 80 % standard;
- SLA adherence: the same share, each ticket held to its tier's target from a tier target file;
- repeat tickets: a ticket from the same account in the same category within `days` days
  (14 by default) of that account's previous one; the trend is the Theil–Sen slope
  (`scipy.stats.theilslopes`) of the monthly repeat share and the change over the last three
  months, against the seeds' −30 % in three months;
- tickets per 100 users per month: tickets ÷ the month's mean weekly active users × 100, only
  when the usage measure counts users, beside the 21.2 the seeds cite as common for SaaS;
- escalation rate: the share of a label's tickets whose escalation/level column says escalated
  (anything but empty, no/false/0, or level 1: 1, L1, Tier 1, Level 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from scipy.stats import theilslopes

from classifier.errors import ExportFormatError
from classifier.records import NO_LABEL
from training.analytics.frame import TicketFrame
from training.analytics.usage import Usage
from training.io.readers import iter_export

TARGET_HOURS = 24.0
STANDARD_PCT = 80.0
REPEAT_DAYS = 14
REPEAT_GOAL_PCT = -30.0
SAAS_PER_100_USERS = 21.2
_NOT_ESCALATED = frozenset(
    {"", "0", "1", "l1", "tier 1", "tier1", "level 1", "level1", "no", "false", "none", "n", "f",
     "not escalated", "nan"}
)  # fmt: skip


def within_target(
    frame: TicketFrame, field: str, target_hours: float = TARGET_HOURS
) -> pd.DataFrame:
    """Per label: tickets with a resolution time, % resolved within target, meets 80 %."""
    if "resolution_hours" not in frame.data.columns:
        return pd.DataFrame()
    data = frame.data[(frame.data[field] != NO_LABEL) & frame.data["resolution_hours"].notna()]
    grouped = data.groupby(field)["resolution_hours"]
    table = pd.DataFrame(
        {
            "resolved": grouped.size(),
            "within_target_pct": grouped.apply(lambda h: 100 * float((h <= target_hours).mean())),
        }
    )
    table["meets_standard"] = table["within_target_pct"] >= STANDARD_PCT
    return table.sort_values("within_target_pct")


def load_tier_targets(path: Path) -> dict[str, float]:
    """A tier target file: columns `tier` and `target_hours`, one row per tier."""
    table = pd.concat(list(iter_export(path)), ignore_index=True)
    for column in ("tier", "target_hours"):
        if column not in table.columns:
            raise ExportFormatError(
                f"no '{column}' column in the tier target file (--sla-targets)", file=path
            )
    hours = pd.to_numeric(table["target_hours"], errors="coerce")
    if hours.isna().any():
        row = int(hours.isna().to_numpy().nonzero()[0][0]) + 1
        raise ExportFormatError(
            "target_hours must be a number", file=path, row=row, field="target_hours"
        )
    return dict(zip(table["tier"].str.strip(), hours.astype(float), strict=True))


def sla_adherence(frame: TicketFrame, field: str, targets: dict[str, float]) -> pd.DataFrame:
    """Per label: % of tickets resolved within their tier's target (tiers without one skipped)."""
    if "resolution_hours" not in frame.data.columns or "tier" not in frame.data.columns:
        return pd.DataFrame()
    data = frame.data[(frame.data[field] != NO_LABEL) & frame.data["resolution_hours"].notna()]
    limit = data["tier"].map(targets)
    data = data.assign(met=data["resolution_hours"] <= limit)[limit.notna()]
    grouped = data.groupby(field)["met"]
    return pd.DataFrame({"tickets": grouped.size(), "adherence_pct": 100 * grouped.mean()})


@dataclass(frozen=True)
class RepeatTickets:
    days: int
    tickets: int
    repeats: int
    monthly: pd.DataFrame
    """Per month: tickets, repeats, repeat_pct."""
    slope_pp_per_month: float
    change_3m_pct: float
    """Change of the repeat share over the last three months (the seeds aim at −30 %)."""

    @property
    def share_pct(self) -> float:
        return 100 * self.repeats / self.tickets if self.tickets else float("nan")


def repeat_flags(frame: TicketFrame, field: str = "category", days: int = REPEAT_DAYS) -> pd.Series:
    """True for a ticket filed within `days` of the same account's previous one in its label."""
    data = frame.data.dropna(subset=["account_id"])
    data = data[data[field] != NO_LABEL].sort_values("created_at")
    gap = data.groupby(["account_id", field])["created_at"].diff()
    return (gap <= pd.Timedelta(days=days)).reindex(frame.data.index, fill_value=False)


def repeat_tickets(
    frame: TicketFrame, field: str = "category", days: int = REPEAT_DAYS
) -> RepeatTickets:
    """Repeat tickets overall and per month, with their trend (see the module docstring)."""
    frame.require("account_id")
    flags = repeat_flags(frame, field, days)
    month = frame.data["created_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("M")
    monthly = pd.DataFrame(
        {"tickets": flags.groupby(month).size(), "repeats": flags.groupby(month).sum()}
    )
    monthly["repeat_pct"] = 100 * monthly["repeats"] / monthly["tickets"]
    monthly.index = monthly.index.astype(str)
    shares = monthly["repeat_pct"].to_numpy(dtype=float)
    slope = float(theilslopes(shares).slope) if len(shares) >= 2 else float("nan")
    change = float("nan")
    if len(shares) >= 4 and shares[-4] > 0:
        change = 100 * (shares[-1] - shares[-4]) / shares[-4]
    return RepeatTickets(days, len(flags), int(flags.sum()), monthly, slope, change)


def tickets_per_100_users(frame: TicketFrame, usage: Usage) -> pd.DataFrame:
    """Per month: tickets, mean weekly active users, tickets per 100 users (empty unless the
    usage measure counts users)."""
    if not usage.counts_users:
        return pd.DataFrame()
    weekly_users = usage.data.groupby("window")["measure"].sum()
    if usage.has_features:  # the same people use several features: count each account once
        weekly_users = (
            usage.data.groupby(["window", "account_id"])["measure"].max().groupby("window").sum()
        )
    users = weekly_users.groupby(pd.DatetimeIndex(weekly_users.index).to_period("M")).mean()
    stamps = frame.data["created_at"].dt.tz_convert("UTC").dt.tz_localize(None)
    tickets = (
        frame.data[frame.data["window"].isin(weekly_users.index)]
        .groupby(stamps.dt.to_period("M"))
        .size()
    )
    table = pd.DataFrame({"tickets": tickets, "users": users}).dropna()
    table["per_100_users"] = 100 * table["tickets"] / table["users"]
    table.index = table.index.astype(str)
    return table


def escalation_rate(frame: TicketFrame, field: str) -> pd.DataFrame:
    """Per label: tickets and % escalated (empty without an `escalation` column)."""
    if "escalation" not in frame.data.columns:
        return pd.DataFrame()
    data = frame.data[frame.data[field] != NO_LABEL]
    cells = data["escalation"].astype(str).str.strip().str.lower()
    escalated = ~cells.isin(_NOT_ESCALATED)
    grouped = escalated.groupby(data[field])
    table = pd.DataFrame({"tickets": grouped.size(), "escalated_pct": 100 * grouped.mean()})
    return table.sort_values("escalated_pct", ascending=False)
