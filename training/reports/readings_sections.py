"""The report page's section for the readings beside usage and segments: the urgent-fix list,
silence decoded, tickets per active customer by tier, the sweet spot and the service readings.

The tables are built here from `training.analytics.joined.Readings`; the prose that says what
each reading means lives in `templates/report_readings.html.j2`.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from training.analytics.joined import Readings
from training.analytics.service_readings import REPEAT_GOAL_PCT, SAAS_PER_100_USERS, STANDARD_PCT
from training.analytics.silence import CHURN_RISK, HEALTHY, UNKNOWN
from training.analytics.sweet_spot import REGRESSION, WIN
from training.reports.charts import SCIENTIFIC, Table, fmt
from training.reports.html import Section


def readings_section(readings: Readings) -> Section:
    """The readings section; a reading the inputs do not allow is left out (None/empty)."""
    spot = sorted(readings.sweet_spot, key=lambda v: (v.verdict != WIN, v.field, v.label))
    silence = Counter(s.verdict for s in readings.silence)
    return Section(
        "report_readings.html.j2",
        {
            "usage": readings.usage,
            "urgent": _urgent(readings),
            "silence_counts": [(v, silence[v]) for v in (HEALTHY, CHURN_RISK, UNKNOWN)],
            "silence": Table(
                [
                    "account",
                    "verdict",
                    "usage weeks",
                    "slope %/week",
                    "baseline",
                    "recent",
                    "last ticket",
                    "evidence",
                ],
                [
                    [
                        s.account_id,
                        s.verdict,
                        s.usage_weeks,
                        s.slope_pct_per_week,
                        s.baseline,
                        s.recent,
                        s.last_ticket,
                        s.evidence,
                    ]
                    for s in readings.silence
                ],
                {i for i, s in enumerate(readings.silence) if s.verdict == CHURN_RISK},
                digits=[0, 0, 0, 1, 1, 1, 0, 0],
            )
            if readings.silence
            else None,
            "per_active": _weeks_by_tier(readings.per_active_by_tier),
            "wins": sum(v.verdict == WIN for v in spot),
            "sweet_spot": Table(
                [
                    "field",
                    "label",
                    "verdict",
                    "tickets/week slope",
                    "first half",
                    "second half",
                    "CSAT before",
                    "CSAT after",
                    "CSAT dip p",
                ],
                [
                    [
                        v.field,
                        v.label,
                        v.verdict,
                        v.slope_per_week,
                        v.first_half,
                        v.second_half,
                        v.csat_before,
                        v.csat_after,
                        v.csat_p_value,
                    ]
                    for v in spot
                ],
                {i for i, v in enumerate(spot) if v.verdict == REGRESSION},
                digits=[0, 0, 0, 2, 0, 0, 2, 2, SCIENTIFIC],
            )
            if spot
            else None,
            "target_hours": readings.target_hours,
            "standard_pct": STANDARD_PCT,
            "within_target": {
                name: Table(
                    ["label", "resolved", "within target %", f"meets {STANDARD_PCT:g} %"],
                    [
                        [
                            str(label),
                            int(row["resolved"]),
                            float(row["within_target_pct"]),
                            "yes" if row["meets_standard"] else "no",
                        ]
                        for label, row in table.iterrows()
                    ],
                    {i for i, met in enumerate(table["meets_standard"]) if not met},
                )
                for name, table in readings.within_target.items()
                if not table.empty
            },
            "sla": _per_label(readings.sla, "adherence_pct", "SLA adherence %"),
            "escalation": _per_label(readings.escalation, "escalated_pct", "escalated %"),
            "repeats": readings.repeats,
            "repeat_goal_pct": REPEAT_GOAL_PCT,
            "repeat_figures": None
            if readings.repeats is None
            else {
                "share": fmt(readings.repeats.share_pct),
                "slope": fmt(readings.repeats.slope_pp_per_month, 2),
                "change": fmt(readings.repeats.change_3m_pct),
            },
            "repeat_months": None
            if readings.repeats is None
            else Table(
                ["month", "tickets", "repeats", "repeat %"],
                [
                    [str(m), int(r["tickets"]), int(r["repeats"]), float(r["repeat_pct"])]
                    for m, r in readings.repeats.monthly.iterrows()
                ],
            ),
            "reference_per_100": SAAS_PER_100_USERS,
            "per_100_users": _per_100_users(readings.per_100_users),
        },
    )


def _urgent(readings: Readings) -> Table | None:
    if not readings.urgent:
        return None
    return Table(
        [
            "rank",
            "feature",
            "adoption %",
            "adopters/week",
            "tickets",
            "tickets/adopter-week",
            "excess rate",
            "tickets avoided/week",
            "CSAT",
            "median resolution h",
        ],
        [
            [
                i,
                u.feature,
                u.adoption_pct,
                u.adopters_per_week,
                u.tickets,
                u.ticket_rate,
                u.excess_rate,
                u.avoided_per_week,
                u.csat_mean,
                u.resolution_median_h,
            ]
            for i, u in enumerate(readings.urgent, start=1)
        ],
        {i for i, u in enumerate(readings.urgent) if u.avoided_per_week > 0},
        digits=[0, 0, 1, 1, 0, 3, 3, 2, 2, 1],
    )


def _weeks_by_tier(table: pd.DataFrame) -> Table | None:
    if table.empty:
        return None
    return Table(
        ["week", *(str(c) for c in table.columns)],
        [[f"{w:%Y-%m-%d}", *(float(v) for v in row)] for w, row in table.iterrows()],
        digits=2,
    )


def _per_label(tables: dict[str, pd.DataFrame], column: str, header: str) -> dict[str, Table]:
    return {
        name: Table(
            ["label", "tickets", header],
            [[str(label), int(r["tickets"]), float(r[column])] for label, r in table.iterrows()],
        )
        for name, table in tables.items()
        if not table.empty
    }


def _per_100_users(table: pd.DataFrame) -> Table | None:
    if table.empty:
        return None
    return Table(
        ["month", "tickets", "users", "per 100 users", f"vs {SAAS_PER_100_USERS:g}"],
        [
            [
                str(m),
                int(r["tickets"]),
                float(r["users"]),
                float(r["per_100_users"]),
                float(r["per_100_users"]) - SAAS_PER_100_USERS,
            ]
            for m, r in table.iterrows()
        ],
        {i for i, v in enumerate(table["per_100_users"]) if v > SAAS_PER_100_USERS},
        digits=[0, 0, 0, 1, 1],
    )
