"""Tickets beside usage and segments: the readings `build_report` adds when given a usage file,
an accounts file with segments, or both (the urgent-fix list, silence decoded, active customers
by tier, the sweet spot, segment breakdowns and the service readings)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from classifier.errors import ExportFormatError
from training.analytics.accounts import SilentAccount
from training.analytics.frame import TicketFrame
from training.analytics.segments import SegmentBreakdown, load_segments, segment_breakdown
from training.analytics.service_readings import (
    REPEAT_DAYS,
    SAAS_PER_100_USERS,
    TARGET_HOURS,
    RepeatTickets,
    escalation_rate,
    load_tier_targets,
    repeat_tickets,
    sla_adherence,
    tickets_per_100_users,
    within_target,
)
from training.analytics.silence import DecodedSilence, decode_silence
from training.analytics.spikes import SpikeConfig
from training.analytics.sweet_spot import VolumeVerdict, sweet_spot
from training.analytics.urgent import UrgentFix, urgent_fixes
from training.analytics.usage import Usage, load_usage, tickets_per_active_by_tier
from training.analytics.weekly import counts


@dataclass(frozen=True)
class JoinConfig:
    usage_file: Path | None = None
    usage_columns: Mapping[str, str] = field(default_factory=dict)
    by: str | None = None
    target_hours: float = TARGET_HOURS
    repeat_days: int = REPEAT_DAYS
    sla_targets: Path | None = None


@dataclass
class Readings:
    usage: Usage | None = None
    urgent: list[UrgentFix] = field(default_factory=list)
    silence: list[DecodedSilence] = field(default_factory=list)
    per_active_by_tier: pd.DataFrame = field(default_factory=pd.DataFrame)
    sweet_spot: list[VolumeVerdict] = field(default_factory=list)
    within_target: dict[str, pd.DataFrame] = field(default_factory=dict)
    sla: dict[str, pd.DataFrame] = field(default_factory=dict)
    escalation: dict[str, pd.DataFrame] = field(default_factory=dict)
    repeats: RepeatTickets | None = None
    per_100_users: pd.DataFrame = field(default_factory=pd.DataFrame)
    segments: SegmentBreakdown | None = None
    target_hours: float = TARGET_HOURS

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (NaN is cleaned by the report's `to_dict`)."""
        usage = self.usage
        return {
            "usage": None
            if usage is None
            else {
                "source": usage.source,
                "measure": usage.measure,
                "unknown_accounts": usage.unknown_accounts,
                "unknown_rows": usage.unknown_rows,
            },
            "urgent_fixes": [u.to_dict() for u in self.urgent],
            "silence_decoded": [s.to_dict() for s in self.silence],
            "tickets_per_active_by_tier": _columns(self.per_active_by_tier),
            "sweet_spot": [v.to_dict() for v in self.sweet_spot],
            "target_hours": self.target_hours,
            "resolved_within_target": {k: _rows(t) for k, t in self.within_target.items()},
            "sla_adherence": {k: _rows(t) for k, t in self.sla.items()},
            "escalation": {k: _rows(t) for k, t in self.escalation.items()},
            "repeat_tickets": None
            if self.repeats is None
            else {
                "days": self.repeats.days,
                "tickets": self.repeats.tickets,
                "repeats": self.repeats.repeats,
                "share_pct": self.repeats.share_pct,
                "slope_pp_per_month": self.repeats.slope_pp_per_month,
                "change_3m_pct": self.repeats.change_3m_pct,
                "monthly": _rows(self.repeats.monthly),
            },
            "tickets_per_100_users": {
                "reference": SAAS_PER_100_USERS,
                "monthly": _rows(self.per_100_users),
            },
            "segments": None
            if self.segments is None
            else {
                "by": self.segments.column,
                "summary": _rows(self.segments.summary),
                "shares_pct": {k: _rows(t) for k, t in self.segments.shares.items()},
                "urgent_fixes": {
                    k: [u.to_dict() for u in v] for k, v in self.segments.urgent.items()
                },
                "spike_events": {
                    k: [e.to_dict() for e in v] for k, v in self.segments.events.items()
                },
            },
        }


def _rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in table.reset_index().to_dict("records")]


def _columns(table: pd.DataFrame) -> dict[str, list[Any]]:
    return {str(c): table[c].round(4).tolist() for c in table.columns}


def _tiers(frame: TicketFrame, segments: pd.DataFrame | None) -> pd.Series:
    for column in ("tier", "plan"):
        if segments is not None and column in segments.columns:
            return segments[column].astype(str).str.strip()
    if "tier" in frame.data.columns:
        rows = frame.data.dropna(subset=["account_id", "tier"])
        return rows.groupby("account_id")["tier"].agg(lambda t: t.mode().iloc[0])
    return pd.Series(dtype=str)


def build_readings(
    frame: TicketFrame,
    config: JoinConfig,
    silent: list[SilentAccount],
    *,
    accounts_file: Path | None = None,
    quiet_weeks: int = 6,
    spikes: SpikeConfig | None = None,
) -> Readings:
    """Every joined reading the inputs allow; the service readings need only the tickets."""
    segments = load_segments(accounts_file) if accounts_file else None
    known = set(segments.index) if segments is not None else None
    usage = (
        load_usage(config.usage_file, frame, columns=config.usage_columns, known_accounts=known)
        if config.usage_file
        else None
    )
    readings = Readings(usage=usage, target_hours=config.target_hours)
    readings.silence = decode_silence(silent, usage, quiet_weeks)
    targets = load_tier_targets(config.sla_targets) if config.sla_targets else None
    for name in frame.fields:
        readings.within_target[name] = within_target(frame, name, config.target_hours)
        readings.escalation[name] = escalation_rate(frame, name)
        if targets:
            readings.sla[name] = sla_adherence(frame, name, targets)
        readings.sweet_spot += sweet_spot(counts(frame, name), frame.data, name, usage)
    if "category" in frame.fields:
        readings.repeats = repeat_tickets(frame, "category", config.repeat_days)
    if usage is not None:
        readings.urgent = urgent_fixes(frame, usage)
        readings.per_active_by_tier = tickets_per_active_by_tier(
            frame, usage, _tiers(frame, segments)
        )
        readings.per_100_users = tickets_per_100_users(frame, usage)
    if config.by:
        if segments is None:
            raise ExportFormatError(
                f"--by {config.by} needs an accounts file with segment columns (--accounts)"
            )
        readings.segments = segment_breakdown(
            frame, segments, config.by, usage, spikes, source=accounts_file
        )
    return readings
