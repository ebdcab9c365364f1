"""Terminal tables for `ticketlens report --by SEGMENT`: each reading per accounts-file value.

The same readings as the HTML page's segment section (`training.reports.segment_sections`):
the summary (share, per-customer rate, resolution, CSAT, spike events), label shares, the top
urgent fixes and the spikes and floods of each segment value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from training.cli.tables import FLAG_STYLE, MARK, add_columns, day, f, titled_table

if TYPE_CHECKING:
    from training.analytics.segments import SegmentBreakdown

_SUMMARY = {
    "accounts": ("accts", "accounts", 0),
    "tickets": ("tkts", "tickets", 0),
    "share_pct": ("share", "share %", 1),
    "tickets_per_account": ("/acct", "tickets per account", 2),
    "tickets_per_active_week": ("/act wk", "tickets per active account-week", 3),
    "resolution_median_h": ("res h", "median resolution h", 1),
    "csat_mean": ("csat", "CSAT", 2),
    "satisfied_pct": ("sat %", "satisfied %", 1),
    "spikes": ("spk", "spike events", 0),
}
"""Summary column → (narrow header, wide header, digits); absent columns are left out."""
SHARE_COLUMNS = 5
"""Segment values shown as columns of a label-share table (those with most tickets)."""


def segment_tables(seg: SegmentBreakdown, wide: bool = False) -> list[Table]:
    """Summary, one share table per label field, urgent fixes and spike events by segment."""
    by = seg.column
    shown = [c for c in _SUMMARY if c in seg.summary.columns]
    active = (
        " and per usage-active account-week (/act wk)" if "tickets_per_active_week" in shown else ""
    )
    summary = titled_table(
        f"by {by}: share %, tickets per account (/acct){active}, median resolution h, CSAT, "
        "spike events (spk)",
        wide,
    )
    add_columns(
        summary,
        [(by, by, "text"), *((_SUMMARY[c][0], _SUMMARY[c][1], "num") for c in shown)],
        wide,
    )
    for value, row in seg.summary.iterrows():
        summary.add_row(escape(str(value)), *(f(float(row[c]), _SUMMARY[c][2]) for c in shown))
    tables = [summary]
    values = [str(v) for v in seg.summary.index]
    shown_values = values[:SHARE_COLUMNS]
    more = (
        f"; the {SHARE_COLUMNS} with most tickets of {len(values)}, all in --json and --html"
        if len(values) > SHARE_COLUMNS
        else ""
    )
    for name, shares in seg.shares.items():
        if shares.empty:
            continue
        table = titled_table(f"{name} share by {by} (% of the {by}'s tickets{more})", wide)
        add_columns(table, [(name, name, "text"), *((v, v, "num") for v in shown_values)], wide)
        by_label = shares.reindex(shown_values).T  # labels × segment values
        for label, row in by_label.iterrows():
            table.add_row(escape(str(label)), *(f(float(row[v])) for v in shown_values))
        tables.append(table)
    if any(seg.urgent.values()):
        urgent = titled_table(
            f"urgent fixes by {by}: top 3 each (avoided/wk = adopters × excess rate)", wide
        )
        add_columns(
            urgent,
            [(by, by, "text"), ("#", "rank", "num"), ("feature", "feature", "text"),
             ("adopt %", "adoption %", "num"), ("rate", "tickets/adopter-week", "num"),
             ("avoided/wk", "tickets avoided/week", "num"), ("csat", "CSAT", "num")],
            wide,
        )  # fmt: skip
        for value in values:
            for rank, u in enumerate(seg.urgent.get(value, []), start=1):
                urgent.add_row(
                    escape(value), str(rank), escape(u.feature), f(u.adoption_pct),
                    f(u.ticket_rate, 3), f(u.avoided_per_week, 2), f(u.csat_mean, 2),
                )  # fmt: skip
        tables.append(urgent)
    if any(seg.events.values()):
        events = titled_table(f"spikes and floods by {by} ({MARK} = cross-account spike)", wide)
        add_columns(
            events,
            [("", "", "mark"), (by, by, "text"), ("week", "week", "num"),
             ("event: cells", "event: every view it was seen in", "text"),
             ("kind", "kind", "text"), ("tkts", "tickets", "num"), ("accts", "accounts", "num"),
             ("base", "baseline accounts", "num")],
            wide,
        )  # fmt: skip
        for value in values:
            for e in seg.events.get(value, []):
                events.add_row(
                    MARK if e.likely_regression else "",
                    escape(value),
                    day(e.window, wide),
                    escape("\n".join(e.cells)),
                    e.kind if wide else e.kind.split()[-1],
                    str(e.head.tickets),
                    str(e.head.accounts),
                    f(e.head.baseline_accounts),
                    style=FLAG_STYLE if e.likely_regression else None,
                )
        tables.append(events)
    return tables
