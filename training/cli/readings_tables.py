"""Terminal tables for the readings beside usage and segments (`ticketlens report --usage`),
readable at 80 columns like the report's other tables (`training.cli.tables`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from training.analytics.silence import CHURN_RISK
from training.cli.tables import FLAG_STYLE, MARK, add_columns, f, titled_table

if TYPE_CHECKING:
    from training.analytics.joined import Readings


def readings_tables(readings: Readings, wide: bool = False) -> list[Table]:
    """The urgent-fix list, silence decoded, the sweet spot, service readings and segments."""
    tables = []
    if readings.urgent:
        urgent = titled_table(
            "urgent fixes: tickets avoided per week by fixing (avoided/wk) = adopters × excess "
            "rate over the median feature's tickets per adopter-week (rate)",
            wide,
        )
        add_columns(
            urgent,
            [("feature", "feature", "text"), ("adopt %", "adoption %", "num"),
             ("rate", "tickets/adopter-week", "num"), ("excess", "excess rate", "num"),
             ("avoided/wk", "tickets avoided/week", "num"), ("csat", "CSAT", "num"),
             ("res h", "median resolution h", "num")],
            wide,
        )  # fmt: skip
        for u in readings.urgent:
            urgent.add_row(
                escape(u.feature), f(u.adoption_pct), f(u.ticket_rate, 3), f(u.excess_rate, 3),
                f(u.avoided_per_week, 2), f(u.csat_mean, 2), f(u.resolution_median_h),
            )  # fmt: skip
        tables.append(urgent)
    if readings.silence:
        silence = titled_table(
            f"silence decoded (Theil–Sen usage slope, drop vs own baseline); {MARK} = churn risk",
            wide,
        )
        add_columns(
            silence,
            [("", "", "mark"), ("account", "account", "text"), ("verdict", "verdict", "text"),
             ("last", "last ticket", "num"), ("evidence", "evidence", "text")],
            wide,
        )  # fmt: skip
        for s in readings.silence:
            risk = s.verdict == CHURN_RISK
            silence.add_row(
                MARK if risk else "", escape(s.account_id), s.verdict, s.last_ticket,
                escape(s.evidence), style=FLAG_STYLE if risk else None,
            )  # fmt: skip
        tables.append(silence)
    if readings.sweet_spot:
        spot = titled_table(
            "sweet spot: wins (weekly volume fell, CSAT held) and regressions (rose, or CSAT "
            "fell); tickets in the 1st and 2nd half of the weeks",
            wide,
        )
        add_columns(
            spot,
            [("field", "field", "text"), ("label", "label", "text"),
             ("verdict", "verdict", "text"), ("/wk", "slope/week", "num"),
             ("1st", "1st half", "num"), ("2nd", "2nd half", "num"),
             ("csat 1st", "CSAT 1st half", "num"), ("csat 2nd", "CSAT 2nd half", "num")],
            wide,
        )  # fmt: skip
        for v in readings.sweet_spot:
            spot.add_row(
                v.field, escape(v.label), v.verdict, f(v.slope_per_week, 2), str(v.first_half),
                str(v.second_half), f(v.csat_before, 2), f(v.csat_after, 2),
            )  # fmt: skip
        tables.append(spot)
    for name, table in readings.within_target.items():
        if table.empty:
            continue
        title = f"{name}: resolved within {readings.target_hours:g} h (standard 80 %)"
        within = titled_table(title, wide)
        add_columns(
            within,
            [("label", "label", "text"), ("resolved", "resolved", "num"),
             ("within %", "within %", "num"), ("meets 80 %", "meets 80 %", "text")],
            wide,
        )  # fmt: skip
        for label, row in table.iterrows():
            within.add_row(escape(str(label)), str(int(row["resolved"])),
                           f(row["within_target_pct"]),
                           "yes" if row["meets_standard"] else "no")  # fmt: skip
        tables.append(within)
    for name, table in readings.escalation.items():
        if table.empty:
            continue
        escalated = titled_table(f"{name}: escalation rate", wide)
        add_columns(
            escalated,
            [("label", "label", "text"), ("tickets", "tickets", "num"),
             ("escalated %", "escalated %", "num")],
            wide,
        )  # fmt: skip
        for label, row in table.iterrows():
            escalated.add_row(escape(str(label)), str(int(row["tickets"])),
                              f(row["escalated_pct"]))  # fmt: skip
        tables.append(escalated)
    if readings.repeats is not None:
        r = readings.repeats
        repeats = titled_table(
            f"repeat tickets (same account and category within {r.days} days): "
            f"{r.repeats}/{r.tickets} = {f(r.share_pct)} %; last 3 months "
            f"{f(r.change_3m_pct)} % (goal −30 %)",
            wide,
        )
        add_columns(
            repeats,
            [("month", "month", "num"), ("tickets", "tickets", "num"),
             ("repeats", "repeats", "num"), ("repeat %", "repeat %", "num")],
            wide,
        )  # fmt: skip
        for month, row in r.monthly.iterrows():
            repeats.add_row(str(month), str(int(row["tickets"])), str(int(row["repeats"])),
                            f(row["repeat_pct"]))  # fmt: skip
        tables.append(repeats)
    if not readings.per_100_users.empty:
        per = titled_table("tickets per 100 users per month (common for SaaS: 21.2)", wide)
        add_columns(
            per,
            [("month", "month", "num"), ("tickets", "tickets", "num"),
             ("users", "users", "num"), ("per 100", "per 100 users", "num")],
            wide,
        )  # fmt: skip
        for month, row in readings.per_100_users.iterrows():
            per.add_row(str(month), str(int(row["tickets"])), f(row["users"], 0),
                        f(row["per_100_users"]))  # fmt: skip
        tables.append(per)
    if readings.segments is not None:
        from training.cli.segment_tables import segment_tables

        tables += segment_tables(readings.segments, wide)
    return tables
