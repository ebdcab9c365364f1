"""Segments: an accounts file's columns (vertical, geography, size, plan, journey stage — any)
joined to the tickets, and every reading broken down by one of them (`--by COLUMN`).

The accounts file has `account_id` and any other columns; `active_from`, `active_to` and `week`
are activity columns (see `training.analytics.accounts`), the rest are segments.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from classifier.errors import ExportFormatError
from classifier.records import NO_LABEL
from training.analytics.events import SpikeEvent, group_spikes
from training.analytics.frame import TicketFrame
from training.analytics.spikes import SpikeConfig, detect_spikes
from training.analytics.urgent import UrgentFix, urgent_fixes
from training.analytics.usage import Usage, tickets_per_active_by_tier
from training.io.readers import iter_export

ACTIVITY_COLUMNS = ("active_from", "active_to", "week")
NO_SEGMENT = "(not in accounts file)"


def load_segments(path: Path) -> pd.DataFrame:
    """The accounts file's segment columns, indexed by account_id (one row per account)."""
    table = pd.concat(list(iter_export(path)), ignore_index=True)
    if "account_id" not in table.columns:
        raise ExportFormatError(
            "no 'account_id' column in the accounts file", file=path, field="account_id"
        )
    table["account_id"] = table["account_id"].astype(str).str.strip()
    segments = table.drop(columns=[c for c in ACTIVITY_COLUMNS if c in table.columns])
    return segments.drop_duplicates("account_id").set_index("account_id")


def has_activity(path: Path) -> bool:
    """True when the accounts file says when each account was active."""
    table = next(iter(iter_export(path, chunk_rows=1)))
    return any(c in table.columns for c in ("active_from", "week"))


@dataclass
class SegmentBreakdown:
    column: str
    summary: pd.DataFrame
    """Per segment value: accounts, tickets, share %, tickets per account (and, with usage, per
    usage-active account per week), resolution, CSAT, spike events."""
    shares: dict[str, pd.DataFrame]
    """Per label field: segment value × label, % of the segment's tickets."""
    urgent: dict[str, list[UrgentFix]] = field(default_factory=dict)
    """Per segment value: its top three urgent fixes, from its own accounts' tickets and usage."""
    events: dict[str, list[SpikeEvent]] = field(default_factory=dict)
    """Per segment value: spikes and floods in its own weekly counts, one event per line."""


def segment_of(
    frame: TicketFrame, segments: pd.DataFrame, column: str, *, source: str | Path | None = None
) -> pd.Series:
    """Each ticket's segment value (NO_SEGMENT for accounts the file does not list); `source`
    (the accounts file) names the file in the error for a missing column."""
    if column not in segments.columns:
        raise ExportFormatError(
            f"no segment column '{column}' in the accounts file; it has: "
            f"{', '.join(segments.columns)} (choose one with --by)",
            file=source,
            field=column,
        )
    return frame.data["account_id"].map(_listed(segments, column)).fillna(NO_SEGMENT)


def _listed(segments: pd.DataFrame, column: str) -> pd.Series:
    """The file's value per account; a blank or missing cell (Parquet/xlsx NaN) is NO_SEGMENT."""
    cells = segments[column]
    values = cells.astype(object).where(cells.notna(), "").astype(str).str.strip()
    return values.mask(values == "", NO_SEGMENT)


def _members(frame: TicketFrame, segments: pd.DataFrame, column: str, usage: Usage) -> pd.Series:
    """account_id → segment value for every account the tickets, the usage or the file name."""
    listed = _listed(segments, column)
    accounts = set(frame.data["account_id"].dropna()) | set(usage.data["account_id"])
    return listed.reindex(sorted(accounts | set(listed.index))).fillna(NO_SEGMENT)


def segment_breakdown(
    frame: TicketFrame,
    segments: pd.DataFrame,
    column: str,
    usage: Usage | None = None,
    spikes: SpikeConfig | None = None,
    *,
    source: str | Path | None = None,
) -> SegmentBreakdown:
    """Share, per-customer rate, spikes, resolution, CSAT and urgent fixes per segment value."""
    frame.require("account_id")
    segment = segment_of(frame, segments, column, source=source)
    data = frame.data.assign(_segment=segment)
    grouped = data.groupby("_segment")
    summary = pd.DataFrame({"accounts": grouped["account_id"].nunique(), "tickets": grouped.size()})
    summary["share_pct"] = 100 * summary["tickets"] / summary["tickets"].sum()
    summary["tickets_per_account"] = summary["tickets"] / summary["accounts"]
    if "resolution_hours" in data.columns:
        summary["resolution_median_h"] = grouped["resolution_hours"].median()
    if "csat" in data.columns:
        summary["csat_mean"] = grouped["csat"].mean()
    if "satisfied" in data.columns:  # 1/0 per answer: scores and Good/Bad alike
        summary["satisfied_pct"] = 100 * grouped["satisfied"].mean()
    if usage is not None:
        members = _members(frame, segments, column, usage)
        per_active = tickets_per_active_by_tier(frame, usage, members)
        summary["tickets_per_active_week"] = per_active.mean()  # weeks with nobody active: skipped
    shares, urgent, events = {}, {}, {}
    for name in frame.fields:
        labelled = data[data[name] != NO_LABEL]
        table = pd.crosstab(labelled["_segment"], labelled[name], normalize="index") * 100
        shares[name] = table
    views = [[name] for name in frame.fields]
    views += [frame.fields[:2]] if len(frame.fields) >= 2 else []
    for value, rows in grouped:
        part = replace(frame, data=rows.drop(columns="_segment").reset_index(drop=True))
        if "created_at" in part.data.columns and part.data["window"].nunique() >= 2:
            found = [s for by in views for s in detect_spikes(part, by, spikes)]
            events[str(value)] = group_spikes(found)
        if usage is not None:
            mine = replace(usage, data=usage.data[usage.data["account_id"].map(members) == value])
            urgent[str(value)] = urgent_fixes(part, mine)[:3]
    summary["spikes"] = pd.Series({v: len(e) for v, e in events.items()}, dtype=float)
    summary.index.name = column
    summary = summary.sort_values("tickets", ascending=False)
    return SegmentBreakdown(column, summary, shares, urgent, events)
