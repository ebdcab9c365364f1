"""Terminal tables for the readings beside usage and segments (`ticketlens report --usage`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

if TYPE_CHECKING:
    from training.analytics.joined import Readings


def _f(value: float, digits: int = 1) -> str:
    if value != value:
        return "–"
    text = f"{value:.{digits}f}"
    return text.removeprefix("-") if float(text) == 0 else text  # never "-0.00"


def readings_tables(readings: Readings) -> list[Table]:
    """The urgent-fix list, silence decoded, the sweet spot, service readings and segments."""
    tables = []
    if readings.urgent:
        urgent = Table(title="urgent fixes (tickets avoided per week = adopters × excess rate)")
        for column in ("feature", "adoption %", "rate/adopter-wk", "excess", "avoided/wk",
                       "CSAT", "res. median h"):  # fmt: skip
            urgent.add_column(column)
        for u in readings.urgent:
            urgent.add_row(
                u.feature, _f(u.adoption_pct), _f(u.ticket_rate, 3), _f(u.excess_rate, 3),
                _f(u.avoided_per_week, 2), _f(u.csat_mean, 2), _f(u.resolution_median_h),
            )  # fmt: skip
        tables.append(urgent)
    if readings.silence:
        silence = Table(title="silence decoded (Theil–Sen usage slope, drop vs own baseline)")
        for column in ("account", "verdict", "last ticket", "evidence"):
            silence.add_column(column)
        for s in readings.silence:
            silence.add_row(s.account_id, s.verdict, s.last_ticket, s.evidence)
        tables.append(silence)
    if readings.sweet_spot:
        spot = Table(title="sweet spot: wins (volume fell, CSAT held) and regressions")
        for column in ("field", "label", "verdict", "slope/wk", "1st half", "2nd half",
                       "CSAT before", "CSAT after"):  # fmt: skip
            spot.add_column(column)
        for v in readings.sweet_spot:
            spot.add_row(
                v.field, v.label, v.verdict, _f(v.slope_per_week, 2), str(v.first_half),
                str(v.second_half), _f(v.csat_before, 2), _f(v.csat_after, 2),
            )  # fmt: skip
        tables.append(spot)
    for name, table in readings.within_target.items():
        if table.empty:
            continue
        within = Table(title=f"{name}: resolved within {readings.target_hours:g} h (standard 80 %)")
        for column in ("label", "resolved", "within %", "meets 80 %"):
            within.add_column(column)
        for label, row in table.iterrows():
            within.add_row(str(label), str(int(row["resolved"])), _f(row["within_target_pct"]),
                           "yes" if row["meets_standard"] else "no")  # fmt: skip
        tables.append(within)
    for name, table in readings.escalation.items():
        if table.empty:
            continue
        escalated = Table(title=f"{name}: escalation rate")
        for column in ("label", "tickets", "escalated %"):
            escalated.add_column(column)
        for label, row in table.iterrows():
            escalated.add_row(str(label), str(int(row["tickets"])), _f(row["escalated_pct"]))
        tables.append(escalated)
    if readings.repeats is not None:
        r = readings.repeats
        repeats = Table(
            title=f"repeat tickets (same account and category within {r.days} days): "
            f"{r.repeats}/{r.tickets} = {_f(r.share_pct)} %; last 3 months "
            f"{_f(r.change_3m_pct)} % (goal −30 %)"
        )
        for column in ("month", "tickets", "repeats", "repeat %"):
            repeats.add_column(column)
        for month, row in r.monthly.iterrows():
            repeats.add_row(str(month), str(int(row["tickets"])), str(int(row["repeats"])),
                            _f(row["repeat_pct"]))  # fmt: skip
        tables.append(repeats)
    if not readings.per_100_users.empty:
        per = Table(title="tickets per 100 users per month (common for SaaS: 21.2)")
        for column in ("month", "tickets", "users", "per 100 users"):
            per.add_column(column)
        for month, row in readings.per_100_users.iterrows():
            per.add_row(str(month), str(int(row["tickets"])), _f(row["users"], 0),
                        _f(row["per_100_users"]))  # fmt: skip
        tables.append(per)
    if readings.segments is not None:
        seg = readings.segments
        summary = Table(title=f"by {seg.column}")
        columns = [str(c) for c in seg.summary.columns]
        for column in [seg.column, *columns]:
            summary.add_column(column)
        for value, row in seg.summary.iterrows():
            summary.add_row(str(value), *(_f(float(row[c]), 2) for c in seg.summary.columns))
        tables.append(summary)
        if seg.urgent:
            top = Table(title=f"top urgent fix by {seg.column}")
            for column in (seg.column, "feature", "avoided/wk"):
                top.add_column(column)
            for value, fixes in seg.urgent.items():
                if fixes:
                    top.add_row(value, fixes[0].feature, _f(fixes[0].avoided_per_week, 2))
            tables.append(top)
    return tables
