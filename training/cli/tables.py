"""The terminal tables of `evaluate` and `report`, readable at 80 columns, and the formatting
every command's tables share (`drift`'s are in `training.cli.drift_tables`).

Narrow (the default): short headers, dates as `05-18`, labels folded rather than cut, numbers
never wrapped, and a text marker (`!`) beside the red of a flagged row so the flag survives a
pipe. `wide=True` (`--wide`): full headers and ISO dates, for wide terminals and files.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich import box
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from training.analytics import AnalyticsReport
    from training.evaluation.metrics import FieldEvaluation

MARK = "!"
FLAG_STYLE = "bold red"
_SHORT_SERVICE = {
    "tickets": "n",
    "resolution_median_h": "res p50 h",
    "resolution_p90_h": "res p90 h",
    "csat_responses": "csat n",
    "csat_mean": "csat",
    "satisfied_pct": "sat %",
}


def f(value: float | None, digits: int = 1) -> str:
    """A number to `digits` places; "–" for a missing one; never "-0.0"."""
    if value is None or value != value:
        return "–"
    text = f"{value:.{digits}f}"
    return text.removeprefix("-") if float(text) == 0 else text


def p_text(value: float | None) -> str:
    """A p- or q-value in scientific notation ("–" when missing)."""
    return "–" if value is None or value != value else f"{value:.1e}"


def day(iso: str, wide: bool) -> str:
    """`2026-05-18` as `05-18`, or whole when wide."""
    return iso if wide else iso[5:10]


def titled_table(title: str, wide: bool) -> Table:
    return Table(
        title=escape(title),
        box=box.HEAVY_HEAD if wide else box.SIMPLE_HEAD,
        pad_edge=wide,
        collapse_padding=not wide,
    )


def add_columns(table: Table, headers: Sequence[tuple[str, str, str]], wide: bool) -> None:
    """Add (narrow header, wide header, kind) columns; kind: text (folds), num, mark."""
    for narrow, full, kind in headers:
        if kind == "num":
            table.add_column(full if wide else narrow, justify="right", no_wrap=True)
        elif kind == "mark":
            table.add_column("", width=1, no_wrap=True)
        else:
            table.add_column(full if wide else narrow, overflow="fold", ratio=1)


def evaluation_tables(result: FieldEvaluation, wide: bool = False) -> list[Table]:
    metrics = titled_table(
        f"{result.field}: {result.n} tickets, accuracy {result.accuracy:.3f}, "
        f"macro-F1 {result.macro.f1:.3f}, weighted-F1 {result.weighted.f1:.3f}",
        wide,
    )
    add_columns(
        metrics,
        [
            ("label", "label", "text"),
            ("prec", "precision", "num"),
            ("recall", "recall", "num"),
            ("F1", "F1", "num"),
            ("n", "support", "num"),
        ],
        wide,
    )
    for c in [*result.per_class, result.macro, result.weighted]:
        label = escape(c.label) if c in result.per_class else f"[bold]{escape(c.label)} avg[/]"
        metrics.add_row(label, f(c.precision, 3), f(c.recall, 3), f(c.f1, 3), str(c.support))
    confused = titled_table(f"{result.field}: most confused (true → predicted)", wide)
    add_columns(
        confused,
        [
            ("true", "true", "text"),
            ("predicted", "predicted", "text"),
            ("n", "tickets", "num"),
            ("examples", "examples", "text"),
        ],
        wide,
    )
    for pair in result.confusions:
        confused.add_row(
            escape(pair.true),
            escape(pair.predicted),
            str(pair.count),
            escape(", ".join(pair.examples)),
        )
    return [metrics, confused]


def signed(value: float, digits: int = 1) -> str:
    """A change with its sign, `+0.3` / `-0.3`; one that rounds to zero is `0.0`, unsigned."""
    text = f"{value:+.{digits}f}"
    return text[1:] if float(text) == 0 else text


def report_tables(report: AnalyticsReport, wide: bool = False) -> list[Table]:
    spikes = titled_table(
        f"spikes and floods, one line per event ({MARK} = cross-account spike, likely a "
        "release regression)",
        wide,
    )
    add_columns(
        spikes,
        [
            ("", "", "mark"),
            ("week", "week", "num"),
            ("event: cells", "event: every view it was seen in", "text"),
            ("kind", "kind", "text"),
            ("tkts", "tickets", "num"),
            ("accts", "accounts", "num"),
            ("base", "baseline accounts", "num"),
            ("top%", "top account %", "num"),
        ],
        wide,
    )
    for e in report.events:
        head = e.head
        spikes.add_row(
            MARK if e.likely_regression else "",
            day(e.window, wide),
            escape("\n".join(e.cells)),
            e.kind if wide else e.kind.split()[-1],
            str(head.tickets),
            str(head.accounts),
            f(head.baseline_accounts),
            f(100 * head.top_share, 0),
            style=FLAG_STYLE if e.likely_regression else None,
        )
    tables = [spikes]
    for name, r in report.fields.items():
        title = f"{name}: slow drift (Theil–Sen, Mann–Kendall); {MARK} = flagged"
        trend = titled_table(title, wide)
        add_columns(
            trend,
            [
                ("", "", "mark"),
                ("label", "label", "text"),
                ("pp/wk", "pp/week", "num"),
                ("Δ pp", "change pp", "num"),
                ("p", "p", "num"),
            ],
            wide,
        )
        for t in r.trends:
            trend.add_row(
                MARK if t.flagged else "",
                escape(t.label),
                signed(t.slope_pp_per_week, 2),
                signed(t.change_pp),
                p_text(t.p_value),
                style=FLAG_STYLE if t.flagged else None,
            )
        roadmap = titled_table(f"{name}: roadmap (in the weekly top 3)", wide)
        add_columns(
            roadmap,
            [
                ("label", "label", "text"),
                ("top-3 wks", "weeks in top 3", "num"),
                ("tkts", "tickets", "num"),
                ("streak", "longest streak", "num"),
            ],
            wide,
        )
        for x in r.roadmap:
            roadmap.add_row(
                escape(x.label),
                f"{x.weeks_in_top}/{x.weeks}",
                str(x.tickets),
                str(x.longest_streak),
            )
        service = titled_table(f"{name}: resolution hours and CSAT", wide)
        frame = r.service.reset_index()
        add_columns(
            service,
            [
                (
                    _SHORT_SERVICE.get(str(c), str(c)),
                    str(c),
                    "text" if i == 0 else "num",
                )
                for i, c in enumerate(frame.columns)
            ],
            wide,
        )
        for row in frame.itertuples(index=False):
            service.add_row(*[f(v) if isinstance(v, float) else escape(str(v)) for v in row])
        tables += [trend, roadmap, service]
    silent = titled_table(f"silent accounts ({len(report.silent)})", wide)
    add_columns(
        silent,
        [
            ("account", "account", "text"),
            ("active wks", "active weeks before", "num"),
            ("tkts", "tickets", "num"),
            ("last ticket", "last ticket", "num"),
        ],
        wide,
    )
    for account in report.silent:
        silent.add_row(
            escape(account.account_id),
            str(account.active_weeks),
            str(account.tickets_before),
            account.last_ticket,
        )
    return [*tables, silent]
