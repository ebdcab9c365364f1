"""Assemble the ticket analytics report from the single-purpose modules of this package."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from training.analytics.accounts import (
    DEFAULT_LOOKBACK,
    SilentAccount,
    active_from_file,
    active_from_tickets,
    silent_accounts,
    tickets_per_active,
)
from training.analytics.events import SpikeEvent, group_spikes
from training.analytics.frame import TicketFrame
from training.analytics.joined import JoinConfig, Readings, build_readings
from training.analytics.roadmap import Recurring, recurring_top
from training.analytics.segments import has_activity
from training.analytics.service_levels import service_levels
from training.analytics.spikes import Spike, SpikeConfig, detect_spikes
from training.analytics.trends import Trend, TrendConfig, trends
from training.analytics.usage import active_from_usage
from training.analytics.weekly import counts, shares, totals


@dataclass(frozen=True)
class ReportConfig:
    spikes: SpikeConfig = field(default_factory=SpikeConfig)
    trends: TrendConfig = field(default_factory=TrendConfig)
    quiet_weeks: int = 6
    active_lookback: int = DEFAULT_LOOKBACK
    accounts_file: Path | None = None
    join: JoinConfig = field(default_factory=JoinConfig)


@dataclass
class FieldReport:
    field: str
    source_column: str
    counts: pd.DataFrame
    shares: pd.DataFrame
    trends: list[Trend]
    spikes: list[Spike]
    roadmap: list[Recurring]
    service: pd.DataFrame
    service_by_tier: pd.DataFrame


@dataclass
class AnalyticsReport:
    source: str
    tickets: int
    windows: list[pd.Timestamp]
    totals: pd.Series
    fields: dict[str, FieldReport]
    active_definition: str
    active_accounts: pd.Series
    tickets_per_active: pd.Series
    silent: list[SilentAccount]
    pair_spikes: list[Spike]
    pair_roadmap: list[Recurring]
    readings: Readings = field(default_factory=Readings)
    inputs: dict[str, str] = field(default_factory=dict)
    """What each analytics input was read from (`TicketFrame.used`)."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Analytics left out for want of a column, with why (`TicketFrame.skipped`)."""

    @property
    def all_spikes(self) -> list[Spike]:
        found = [s for r in self.fields.values() for s in r.spikes] + self.pair_spikes
        return sorted(found, key=lambda s: (s.week_index, s.dimension, s.cell))

    @property
    def events(self) -> list[SpikeEvent]:
        """The spikes with the views of one event grouped into one line."""
        return group_spikes(self.all_spikes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view: windows as ISO dates, NaN as null."""
        weeks = [f"{w:%Y-%m-%d}" for w in self.windows]
        return _clean(
            {
                "source": self.source,
                "inputs": self.inputs,
                "skipped": self.skipped,
                "tickets": self.tickets,
                "weeks": weeks,
                "tickets_per_week": self.totals.tolist(),
                "active_customers": {
                    "definition": self.active_definition,
                    "active": self.active_accounts.tolist(),
                    "tickets_per_active": self.tickets_per_active.round(4).tolist(),
                },
                "fields": {name: _field_dict(r) for name, r in self.fields.items()},
                "spikes": [s.to_dict() for s in self.all_spikes],
                "spike_events": [e.to_dict() for e in self.events],
                "silent_accounts": [vars(s) for s in self.silent],
                "roadmap_pairs": [r.to_dict() for r in self.pair_roadmap],
                **self.readings.to_dict(),
            }
        )


def _table_dict(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in table.reset_index().to_dict("records")]


def _field_dict(report: FieldReport) -> dict[str, Any]:
    return {
        "source_column": report.source_column,
        "counts": {str(c): report.counts[c].tolist() for c in report.counts.columns},
        "shares_pct": {str(c): report.shares[c].round(3).tolist() for c in report.shares.columns},
        "trends": [t.to_dict() for t in report.trends],
        "roadmap": [r.to_dict() for r in report.roadmap],
        "service_levels": _table_dict(report.service),
        "service_levels_by_tier": _table_dict(report.service_by_tier),
    }


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _clean(value.item())
    return value


def build_report(frame: TicketFrame, config: ReportConfig | None = None) -> AnalyticsReport:
    """Every section of the analytics report for a loaded export."""
    config = config or ReportConfig()
    frame.require("created_at")
    frame.require("account_id")
    per_window = totals(frame)
    if len(per_window) < 2:
        trends(per_window.to_frame())  # raises the "at least two weeks" error, with the count
    reports = {}
    for name in frame.fields:
        table = counts(frame, name)
        share_table = shares(table)
        reports[name] = FieldReport(
            field=name,
            source_column=frame.label_columns[name],
            counts=table,
            shares=share_table,
            trends=trends(share_table, config.trends),
            spikes=detect_spikes(frame, [name], config.spikes),
            roadmap=recurring_top(table),
            service=service_levels(frame, name),
            service_by_tier=service_levels(frame, name, by_tier=True)
            if "tier" in frame.data.columns
            else pd.DataFrame(),
        )
    pair = frame.fields[:2] if len(frame.fields) >= 2 else []
    silent = silent_accounts(frame, config.quiet_weeks)
    readings = build_readings(
        frame,
        config.join,
        silent,
        accounts_file=config.accounts_file,
        quiet_weeks=config.quiet_weeks,
        spikes=config.spikes,
    )
    if config.accounts_file is not None and has_activity(config.accounts_file):
        active = active_from_file(config.accounts_file, frame)
        definition = f"listed as active in {config.accounts_file}"
    elif readings.usage is not None:
        active = active_from_usage(readings.usage, frame)
        definition = f"positive '{readings.usage.measure}' that week in {readings.usage.source}"
    else:
        active = active_from_tickets(frame, config.active_lookback)
        definition = (
            f"filed a ticket in the week or any of the previous {config.active_lookback} weeks"
        )
    return AnalyticsReport(
        source=frame.source,
        tickets=len(frame.data),
        windows=list(frame.windows),
        totals=per_window,
        fields=reports,
        active_definition=definition,
        active_accounts=active,
        tickets_per_active=tickets_per_active(per_window, active),
        silent=silent,
        pair_spikes=detect_spikes(frame, pair, config.spikes) if pair else [],
        pair_roadmap=recurring_top(counts(frame, *pair)) if pair else [],
        readings=readings,
        inputs=dict(frame.used),
        skipped=dict(frame.skipped),
    )
