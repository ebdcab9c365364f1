"""The HTML sections of the evaluate, drift and report pages (charts and tables)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from training.analytics.report import AnalyticsReport
from training.evaluation.drift import P_VALUE_NOTE, FieldDrift
from training.evaluation.metrics import FieldEvaluation
from training.reports.html import escape, line_chart, stacked_shares, table


def evaluation_sections(results: dict[str, FieldEvaluation]) -> list[str]:
    sections = []
    for name, r in results.items():
        rows = [[c.label, c.precision, c.recall, c.f1, c.support] for c in r.per_class]
        rows += [
            [a.label + " avg", a.precision, a.recall, a.f1, a.support]
            for a in (r.macro, r.weighted)
        ]
        curve = pd.Series(
            [p.precision for p in r.curve], index=[p.coverage for p in r.curve], dtype=float
        )
        unknown = (
            f"<p class=flag>labels the model does not know: {escape(r.unknown_labels)}</p>"
            if r.unknown_labels
            else ""
        )
        sections.append(
            f"<h2>{escape(name)}</h2><p>{r.n} tickets, accuracy {r.accuracy:.3f}, macro-F1 "
            f"{r.macro.f1:.3f}; at the abstain threshold {r.threshold:.2f}: coverage "
            f"{100 * r.coverage_at_threshold:.1f}%, precision {r.precision_at_threshold:.3f}; "
            f"expected calibration error {r.ece:.3f}</p>{unknown}"
            + table(["label", "precision", "recall", "F1", "support"], _round(rows, 3))
            + "<h3>Precision–coverage (thresholds 0, 0.05, …, 0.95)</h3>"
            + table(
                ["threshold", "coverage %", "precision"],
                [[p.threshold, 100 * p.coverage, p.precision] for p in r.curve],
            )
            + line_chart(curve.reset_index(drop=True), "precision by threshold")
            + "<h3>Reliability</h3>"
            + table(
                ["confidence bin", "tickets", "mean confidence", "accuracy"],
                _round(
                    [
                        [f"{b.lower:.1f}–{b.upper:.1f}", b.count, b.mean_confidence, b.accuracy]
                        for b in r.calibration
                    ],
                    3,
                ),
            )
            + "<h3>Most confused</h3>"
            + table(
                ["true", "predicted", "tickets", "examples"],
                [[c.true, c.predicted, c.count, ", ".join(c.examples)] for c in r.confusions],
            )
        )
    return sections


def _round(rows: Sequence[Sequence[object]], digits: int) -> list[list[object]]:
    return [[round(v, digits) if isinstance(v, float) else v for v in row] for row in rows]


def drift_sections(results: Sequence[FieldDrift], threshold_pp: float) -> list[str]:
    sections = [f"<p class=note>{escape(P_VALUE_NOTE)}</p>"]
    for d in results:
        o = d.overall
        flagged = {i for i, s in enumerate(o.shifts) if s.flagged}
        windows = pd.DataFrame(
            [{s.label: s.current_pct for s in w.vs_reference.shifts} for w in d.windows],
            index=[w.window for w in d.windows],
        )
        markers = [
            (i, f"L∞ {w.vs_reference.linf_pp:.1f} pp")
            for i, w in enumerate(d.windows)
            if w.vs_reference.flagged
        ]
        unknown = (
            f"<p class=flag>labels absent from the reference: {escape(o.unknown_labels)}</p>"
            if o.unknown_labels
            else ""
        )
        sections.append(
            f"<h2>{escape(d.field)} ({escape(d.source_column)}) vs {escape(d.reference)}</h2>"
            f"<p>{o.n} tickets; L∞ {o.linf_pp:.1f} pp, JS distance {o.js_distance:.3f}, "
            f"chi-square {o.chi2:.1f} (p = {o.p_value:.3g}); flag at ±{threshold_pp:g} pp</p>"
            + unknown
            + table(
                ["label", "reference %", "current %", "change pp"],
                _round(
                    [[s.label, s.reference_pct, s.current_pct, s.change_pp] for s in o.shifts], 2
                ),
                flagged,
            )
            + "<h3>Share per window</h3>"
            + stacked_shares(windows, markers, f"{d.field} share per window")
            + table(
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
                _round(
                    [
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
                    ],
                    3,
                ),
            )
        )
    return sections


def report_sections(report: AnalyticsReport) -> list[str]:
    sections = [
        f"<p>{report.tickets} tickets, {len(report.windows)} weeks "
        f"({report.windows[0]:%Y-%m-%d} to {report.windows[-1]:%Y-%m-%d}).</p>"
    ]
    spikes = report.all_spikes
    sections.append(
        "<h2>Spikes and floods</h2>"
        + table(
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
            [
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
            ],
            {i for i, s in enumerate(spikes) if s.likely_regression},
        )
    )
    for name, r in report.fields.items():
        markers = [(s.week_index, f"{s.cell}: {s.kind}") for s in r.spikes]
        trend_rows = [
            [t.label, t.slope_pp_per_week, t.change_pp, t.p_value, "yes" if t.flagged else ""]
            for t in r.trends
        ]
        service = r.service.reset_index()
        sections.append(
            f"<h2>{escape(name)} (from column {escape(r.source_column)})</h2>"
            + "<h3>Weekly share</h3>"
            + stacked_shares(r.shares, markers, f"{name} weekly share")
            + "<h3>Slow drift (Theil–Sen slope, Mann–Kendall p)</h3>"
            + table(
                ["label", "pp/week", "change pp", "p", "flagged"],
                _round(trend_rows, 3),
                {i for i, t in enumerate(r.trends) if t.flagged},
            )
            + "<h3>Roadmap: recurring in the weekly top 3</h3>"
            + table(
                ["label", "weeks in top 3", "of weeks", "tickets", "longest streak"],
                [
                    [x.label, x.weeks_in_top, x.weeks, x.tickets, x.longest_streak]
                    for x in r.roadmap
                ],
            )
            + "<h3>Service levels</h3>"
            + table([str(c) for c in service.columns], _round(service.values.tolist(), 2))
        )
    sections.append(
        "<h2>Tickets per active customer</h2>"
        f"<p>Active: {escape(report.active_definition)}.</p>"
        + line_chart(report.tickets_per_active, "tickets per active customer")
        + "<h2>Silent accounts</h2>"
        + table(
            ["account", "active weeks before", "tickets", "last ticket"],
            [
                [s.account_id, s.active_weeks, s.tickets_before, s.last_ticket]
                for s in report.silent
            ],
        )
    )
    return sections
