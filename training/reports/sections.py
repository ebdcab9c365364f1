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
from training.reports.charts import SCIENTIFIC, Table, line_chart, stacked_shares
from training.reports.html import Section
from training.reports.readings_sections import readings_section
from training.reports.segment_sections import segments_section


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
        "shift_intervals": Table(
            ["label", "change pp", "95% low", "95% high", "q (BH)", "flagged"],
            [
                [s.label, s.change_pp, s.low_pp, s.high_pp, s.q_value, "! yes" if s.flagged else ""]
                for s in shifts
            ],
            {i for i, s in enumerate(shifts) if s.flagged},
            digits=[0, 1, 1, 1, SCIENTIFIC, 0],
        ),
        "shares": stacked_shares(
            windows,
            markers,
            f"{d.field} share per window",
            totals=[w.vs_reference.n for w in d.windows],
        ),
        "flagged_labels": sorted({s.label for w in d.windows for s in w.vs_reference.flagged}),
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
            digits=[0, 0, 1, 3, SCIENTIFIC, 0, 1, 1],
        ),
    }


def _summary(report: AnalyticsReport) -> dict[str, object]:
    """What changed in the last week: its spikes, the drifting labels, the silent accounts."""
    last = len(report.windows) - 1
    week = f"{report.windows[-1]:%Y-%m-%d}" if report.windows else ""
    return {
        "week": week,
        "events": [e for e in report.events if e.week_index == last],
        "recent": [e for e in report.events if last - 4 <= e.week_index < last],
        "drifting": [
            (name, t.label, t.change_pp)
            for name, r in report.fields.items()
            for t in r.trends
            if t.flagged
        ],
        "silent": report.silent,
    }


def report_sections(report: AnalyticsReport) -> list[Section]:
    spikes = report.events
    spike_rows = [
        [
            e.window,
            e.week_index,
            "; ".join(e.cells),
            e.kind,
            e.head.tickets,
            e.head.accounts,
            e.head.baseline_accounts,
            e.head.top_account,
            100 * e.head.top_share,
        ]
        for e in spikes
    ]
    overview = Section(
        "report_overview.html.j2",
        {
            "report": report,
            "summary": _summary(report),
            "spikes": Table(
                [
                    "week",
                    "index",
                    "event: every view it was seen in",
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
    segments = report.readings.segments
    by = [] if segments is None else [segments_section(segments)]
    return [overview, *fields, customers, readings_section(report.readings), *by]


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
        "shares": stacked_shares(
            r.shares,
            markers,
            f"{name} weekly share",
            totals=r.counts.sum(axis=1).tolist(),
            marker_note="▼ spike or flood in this week (hover for the cell)",
        ),
        "trends": Table(
            ["label", "pp/week", "change pp", "p", "flagged"],
            trends,
            {i for i, t in enumerate(r.trends) if t.flagged},
            digits=[0, 3, 1, SCIENTIFIC, 0],
        ),
        "roadmap": Table(
            ["label", "weeks in top 3", "of weeks", "tickets", "longest streak"],
            [[x.label, x.weeks_in_top, x.weeks, x.tickets, x.longest_streak] for x in r.roadmap],
        ),
        "service": Table([str(c) for c in service.columns], service.values.tolist(), digits=2),
    }
