"""Ticket analytics: weekly shares, spikes, slow drift, silence, service levels, roadmap."""

from training.analytics.accounts import (
    SilentAccount,
    active_from_file,
    active_from_tickets,
    silent_accounts,
    tickets_per_active,
)
from training.analytics.events import SpikeEvent, group_spikes
from training.analytics.frame import TicketFrame, frame_from_table, load_export
from training.analytics.report import AnalyticsReport, ReportConfig, build_report
from training.analytics.roadmap import Recurring, recurring_top
from training.analytics.service_levels import service_levels
from training.analytics.spikes import (
    CROSS_ACCOUNT,
    FLOOD,
    Spike,
    SpikeConfig,
    detect_spikes,
)
from training.analytics.trends import Trend, TrendConfig, trends
from training.analytics.weekly import counts, shares, totals

__all__ = [
    "CROSS_ACCOUNT",
    "FLOOD",
    "AnalyticsReport",
    "Recurring",
    "ReportConfig",
    "SilentAccount",
    "Spike",
    "SpikeConfig",
    "SpikeEvent",
    "TicketFrame",
    "Trend",
    "TrendConfig",
    "active_from_file",
    "active_from_tickets",
    "build_report",
    "counts",
    "detect_spikes",
    "frame_from_table",
    "group_spikes",
    "load_export",
    "recurring_top",
    "service_levels",
    "shares",
    "silent_accounts",
    "tickets_per_active",
    "totals",
    "trends",
]
