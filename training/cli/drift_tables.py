"""The terminal tables of `ticketlens drift`: the shift per label, then per window."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from training.cli.tables import FLAG_STYLE, MARK, add_columns, day, f, p_text, signed, titled_table

if TYPE_CHECKING:
    from training.evaluation.drift import FieldDrift
    from training.evaluation.shares import LabelShift


def _shift(s: LabelShift) -> str:
    return f"{s.label} {signed(s.change_pp)} {_interval(s)}"


def _interval(s: LabelShift) -> str:
    return f"[{signed(s.low_pp)},{signed(s.high_pp)}]" if s.low_pp == s.low_pp else "–"


def drift_tables(result: FieldDrift, wide: bool = False) -> list[Table]:
    o = result.overall
    overall = titled_table(
        f"{result.field} ({result.source_column}) vs {result.reference}: {o.n} tickets, "
        f"L∞ {o.linf_pp:.1f} pp, JS {o.js_distance:.3f}, chi-square p {p_text(o.p_value)}; "
        f"{MARK} = flagged",
        wide,
    )
    add_columns(
        overall,
        [
            ("", "", "mark"),
            ("label", "label", "text"),
            ("ref %", "reference %", "num"),
            ("now %", "current %", "num"),
            ("Δ pp", "change pp", "num"),
            ("95% CI pp", "95% interval pp", "num"),
            ("q", "q (BH)", "num"),
        ],
        wide,
    )
    for s in o.shifts:
        overall.add_row(
            MARK if s.flagged else "",
            escape(s.label),
            f(s.reference_pct),
            f(s.current_pct),
            signed(s.change_pp),
            _interval(s),
            p_text(s.q_value),
            style=FLAG_STYLE if s.flagged else None,
        )
    windows = titled_table(f"{result.field} per window ({MARK} = a label flagged)", wide)
    add_columns(
        windows,
        [
            ("", "", "mark"),
            ("window", "window", "num"),
            ("n", "tickets", "num"),
            ("L∞", "L∞ pp", "num"),
            ("flagged (Δ pp, 95% CI)", "flagged (change pp, 95% interval)", "text"),
            ("prev L∞", "vs previous L∞ pp", "num"),
            ("rev %", "needs review %", "num"),
            ("not judged", "not judged", "text"),
        ],
        wide,
    )
    for w in result.windows:
        ref = w.vs_reference
        windows.add_row(
            MARK if ref.flagged else "",
            day(w.window, wide),
            str(ref.n),
            f(ref.linf_pp),
            escape("\n".join(_shift(s) for s in ref.flagged)),
            "–" if w.vs_previous is None else f(w.vs_previous.linf_pp),
            f(w.needs_review_pct),
            w.not_judged,
            style=FLAG_STYLE if ref.flagged else None,
        )
    return [overall, windows]
