"""The sections of the evaluate, drift and report pages: the data each template draws.

Each function picks what a page shows from a result object and hands it to a template in
`templates/`; the prose, headings and markup live there.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from training.analytics.report import AnalyticsReport, FieldReport
from training.evaluation.drift import P_VALUE_NOTE, FieldDrift
from training.evaluation.metrics import FieldEvaluation
from training.reports.charts import Table, line_chart, stacked_shares
from training.reports.html import Section


def evaluation_sections(results: dict[str, FieldEvaluation]) -> list[Section]:
    return [Section("evaluation_field.html.j2", _evaluation(n, r)) for n, r in results.items()]


def _evaluation(name: str, r: FieldEvaluation) -> dict[str, object]:
    per_class = [[c.label, c.precision, c.recall, c.f1, c.support] for c in r.per_class]
    per_class += [
        [a.label + " avg", a.precision, a.recall, a.f1, a.support] for a in (r.macro, r.weighted)
    ]
    curve = pd.Series([p.precision for p in r.curve], dtype=float)
    bins = [
        [f"{b.lower:.1f}–{b.upper:.1f}", b.count, b.mean_confidence, b.accuracy]
        for b in r.calibration
    ]
    return {
        "name": name,
        "result": r,
        "per_class": Table(["label", "precision", "recall", "F1", "support"], per_class, digits=3),
        "curve": Table(
            ["threshold", "coverage %", "precision"],
            [[p.threshold, 100 * p.coverage, p.precision] for p in r.curve],
            digits=[2, 1, 3],
        ),
        "curve_chart": line_chart(curve, "precision by threshold"),
        "reliability": Table(
            ["confidence bin", "tickets", "mean confidence", "accuracy"], bins, digits=3
        ),
        "confusions": Table(
            ["true", "predicted", "tickets", "examples"],
            [[c.true, c.predicted, c.count, ", ".join(c.examples)] for c in r.confusions],
        ),
    }


def drift_sections(results: Sequence[FieldDrift], threshold_pp: float) -> list[Section]:
    note = Section("drift_note.html.j2", {"note": P_VALUE_NOTE})
    return [note] + [Section("drift_field.html.j2", _drift(d, threshold_pp)) for d in results]


def _drift(d: FieldDrift, threshold_pp: float) -> dict[str, object]:
    shifts = d.overall.shifts
    windows = pd.DataFrame(
        [{s.label: s.current_pct for s in w.vs_reference.shifts} for w in d.windows],
        index=[w.window for w in d.windows],
    )
    markers = [
        (i, f"L∞ {w.vs_reference.linf_pp:.1f} pp")
        for i, w in enumerate(d.windows)
        if w.vs_reference.flagged
    ]
    per_window = [
        [
            w.window,
            w.vs_reference.n,
            w.vs_reference.linf_pp,
            w.vs_reference.js_distance,
            w.vs_reference.p_value,
            ", ".join(s.label for s in w.vs_reference.flagged),
            None if w.vs_previous is None else w.vs_previous.linf_pp,
            w.needs_review_pct,
        ]
        for w in d.windows
    ]
    return {
        "drift": d,
        "threshold_pp": threshold_pp,
        "shifts": Table(
            ["label", "reference %", "current %", "change pp"],
            [[s.label, s.reference_pct, s.current_pct, s.change_pp] for s in shifts],
            {i for i, s in enumerate(shifts) if s.flagged},
        ),
        "shares": stacked_shares(windows, markers, f"{d.field} share per window"),
        "windows": Table(
            [
                "window",
                "tickets",
                "L∞ pp",
                "JS",
                "p",
                "flagged",
                "vs previous L∞ pp",
                "needs review %",
            ],
            per_window,
            digits=[0, 0, 1, 3, 3, 0, 1, 1],
        ),
    }


def report_sections(report: AnalyticsReport) -> list[Section]:
    spikes = report.all_spikes
    spike_rows = [
        [
            s.window,
            s.week_index,
            f"{s.dimension}: {s.cell}",
            s.kind,
            s.tickets,
            s.accounts,
            s.baseline_accounts,
            s.top_account,
            100 * s.top_share,
        ]
        for s in spikes
    ]
    overview = Section(
        "report_overview.html.j2",
        {
            "report": report,
            "spikes": Table(
                [
                    "week",
                    "index",
                    "cell",
                    "kind",
                    "tickets",
                    "accounts",
                    "baseline accounts",
                    "top account",
                    "top share %",
                ],
                spike_rows,
                {i for i, s in enumerate(spikes) if s.likely_regression},
            ),
        },
    )
    fields = [
        Section("report_field.html.j2", _report_field(n, r)) for n, r in report.fields.items()
    ]
    customers = Section(
        "report_customers.html.j2",
        {
            "active_definition": report.active_definition,
            "per_active": line_chart(report.tickets_per_active, "tickets per active customer"),
            "silent": Table(
                ["account", "active weeks before", "tickets", "last ticket"],
                [
                    [s.account_id, s.active_weeks, s.tickets_before, s.last_ticket]
                    for s in report.silent
                ],
            ),
        },
    )
    return [overview, *fields, customers]


def _report_field(name: str, r: FieldReport) -> dict[str, object]:
    markers = [(s.week_index, f"{s.cell}: {s.kind}") for s in r.spikes]
    trends = [
        [t.label, t.slope_pp_per_week, t.change_pp, t.p_value, "yes" if t.flagged else ""]
        for t in r.trends
    ]
    service = r.service.reset_index()
    return {
        "name": name,
        "source_column": r.source_column,
        "shares": stacked_shares(r.shares, markers, f"{name} weekly share"),
        "trends": Table(
            ["label", "pp/week", "change pp", "p", "flagged"],
            trends,
            {i for i, t in enumerate(r.trends) if t.flagged},
            digits=[0, 3, 1, 3, 0],
        ),
        "roadmap": Table(
            ["label", "weeks in top 3", "of weeks", "tickets", "longest streak"],
            [[x.label, x.weeks_in_top, x.weeks, x.tickets, x.longest_streak] for x in r.roadmap],
        ),
        "service": Table([str(c) for c in service.columns], service.values.tolist(), digits=2),
    }
