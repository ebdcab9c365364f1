"""The report page's section for `--by SEGMENT`: every reading broken down by one accounts-file
column (share, per-customer rate, spikes, resolution, CSAT, label shares, urgent fixes).

The tables are built here from `training.analytics.segments.SegmentBreakdown`; the prose that
says what each table means lives in `templates/report_segments.html.j2`.
"""

from __future__ import annotations

from training.analytics.segments import NO_SEGMENT, SegmentBreakdown
from training.reports.charts import Table
from training.reports.html import Section

SUMMARY_COLUMNS = {
    "accounts": ("accounts", 0),
    "tickets": ("tickets", 0),
    "share_pct": ("share %", 1),
    "tickets_per_account": ("tickets per account", 2),
    "tickets_per_active_week": ("tickets per active account-week", 3),
    "resolution_median_h": ("median resolution h", 1),
    "csat_mean": ("CSAT", 2),
    "satisfied_pct": ("satisfied %", 1),
    "spikes": ("spikes", 0),
}
"""Summary column → (header, digits); columns the inputs did not allow are absent."""


def segments_section(breakdown: SegmentBreakdown) -> Section:
    """The segment breakdown's tables, in the order the terminal shows them."""
    column = breakdown.column
    summary = breakdown.summary
    shown = [c for c in SUMMARY_COLUMNS if c in summary.columns]
    return Section(
        "report_segments.html.j2",
        {
            "column": column,
            "no_segment": NO_SEGMENT,
            "summary": Table(
                [column, *(SUMMARY_COLUMNS[c][0] for c in shown)],
                [
                    [str(value), *(_cell(row[c], SUMMARY_COLUMNS[c][1]) for c in shown)]
                    for value, row in summary.iterrows()
                ],
                digits=[0, *(SUMMARY_COLUMNS[c][1] for c in shown)],
            ),
            "shares": {
                name: Table(
                    [column, *(str(label) for label in table.columns)],
                    [
                        [str(value), *(float(v) for v in row)]
                        for value, row in table.reindex(summary.index).dropna(how="all").iterrows()
                    ],
                )
                for name, table in breakdown.shares.items()
                if not table.empty
            },
            "urgent": _urgent(breakdown),
            "events": _events(breakdown),
        },
    )


def _events(breakdown: SegmentBreakdown) -> Table | None:
    """Each segment's spikes and floods, one row per event, cross-account ones flagged."""
    rows: list[list[object]] = []
    flags = set()
    for value in breakdown.summary.index:
        for e in breakdown.events.get(str(value), []):
            if e.likely_regression:
                flags.add(len(rows))
            rows.append(
                [str(value), e.window, "; ".join(e.cells), e.kind, e.head.tickets,
                 e.head.accounts, e.head.baseline_accounts, e.head.top_account]
            )  # fmt: skip
    if not rows:
        return None
    return Table(
        [breakdown.column, "week", "event: every view it was seen in", "kind", "tickets",
         "accounts", "baseline accounts", "top account"],
        rows,
        flags,
        digits=[0, 0, 0, 0, 0, 0, 1, 0],
    )  # fmt: skip


def _cell(value: float, digits: int) -> float | int:
    """Counts (no decimals) as integers, the rest as floats; NaN stays, shown as a dash."""
    number = float(value)
    return int(number) if digits == 0 and number.is_integer() else number


def _urgent(breakdown: SegmentBreakdown) -> Table | None:
    rows: list[list[object]] = []
    flags = set()
    for value, fixes in breakdown.urgent.items():
        for rank, u in enumerate(fixes, start=1):
            if rank == 1 and u.avoided_per_week > 0:
                flags.add(len(rows))
            rows.append(
                [
                    value,
                    rank,
                    u.feature,
                    u.adoption_pct,
                    u.ticket_rate,
                    u.excess_rate,
                    u.avoided_per_week,
                    u.csat_mean,
                    u.resolution_median_h,
                ]
            )
    if not rows:
        return None
    return Table(
        [
            breakdown.column,
            "rank",
            "feature",
            "adoption %",
            "tickets/adopter-week",
            "excess rate",
            "tickets avoided/week",
            "CSAT",
            "median resolution h",
        ],
        rows,
        flags,
        digits=[0, 0, 0, 1, 3, 3, 2, 2, 1],
    )
