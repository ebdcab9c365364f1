"""What the HTML pages draw, computed: tables, legends and chart geometry, ready for a template.

Nothing here writes markup; the templates in `templates/` turn these objects into HTML and SVG.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import pandas as pd

# matplotlib's tab20, strong shades first: 20 distinct colours before any repeats.
PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
    "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
]  # fmt: skip
EMPTY = "—"
SCIENTIFIC = -1
"""A `Table.digits` entry: show the column in scientific notation (p-values)."""


def fmt(value: object, digits: int = 1) -> str:
    """A table cell: floats to `digits` places (`SCIENTIFIC`: 1.2e-05), "—" when missing."""
    if value is None or (isinstance(value, str) and value in ("", "None", "nan")):
        return EMPTY
    if isinstance(value, float):
        if value != value:
            return EMPTY
        if digits == SCIENTIFIC:
            return f"{value:.1e}"
        text = f"{value:.{digits}f}"
        return text.removeprefix("-") if float(text) == 0 else text  # never "-0.0"
    return str(value)


def label_colors(labels: Collection[str]) -> dict[str, str]:
    """One colour per label, by the label's place in the sorted set: the same on every page
    that shows the same labels, and distinct for up to 20."""
    return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(sorted(set(labels)))}


@dataclass(frozen=True)
class Table:
    """A table; rows whose index is in `flags` are highlighted.

    Floats are shown to `digits` places: one count for every column, or one per column.
    """

    headers: Sequence[str]
    rows: Sequence[Sequence[object]]
    flags: Collection[int] = frozenset()
    digits: int | Sequence[int] = 1

    def cells(self) -> list[list[str]]:
        digits = [self.digits] * len(self.headers) if isinstance(self.digits, int) else self.digits
        return [[fmt(cell, d) for cell, d in zip(row, digits, strict=True)] for row in self.rows]


@dataclass(frozen=True)
class LegendEntry:
    color: str
    label: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    title: str


@dataclass(frozen=True)
class Mark:
    """A piece of text placed in a chart (an axis label, a date tick, a ▼ over a window)."""

    x: float
    y: float
    text: str
    title: str = ""


@dataclass(frozen=True)
class StackedShares:
    title: str
    width: int
    height: int
    bars: Sequence[Bar]
    axis: Sequence[Mark]
    ticks: Sequence[Mark]
    markers: Sequence[Mark]
    legend: Sequence[LegendEntry]
    volume: Sequence[Bar] = ()
    """Tickets per window, drawn under the 100 % bars so a 3-ticket week looks small."""
    titles: Sequence[Mark] = ()
    """Axis titles."""
    marker_note: str = ""


@dataclass(frozen=True)
class LineChart:
    title: str
    width: int
    height: int
    color: str
    points: Sequence[tuple[float, float]]
    labels: Sequence[Mark]


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def legend(labels: Sequence[str]) -> list[LegendEntry]:
    return [LegendEntry(color(i), label) for i, label in enumerate(labels)]


def stacked_shares(
    shares: pd.DataFrame,
    markers: Sequence[tuple[int, str]] = (),
    title: str = "",
    totals: Sequence[float] | None = None,
    marker_note: str = "▼ flagged window (hover for why)",
) -> StackedShares:
    """A stacked bar per window of each label's share (%), ▼ over flagged windows, and under it
    a bar of the window's ticket count (`totals`), so volume is not hidden by the 100 % view."""
    width, height, left, top, gap, strip, bottom = 900, 260, 56, 24, 26, 70, 44
    n = max(len(shares), 1)
    step = (width - left - 10) / n
    colors = label_colors([str(c) for c in shares.columns])
    bars, ticks, volume = [], [], []
    high = max([float(t) for t in totals or []] + [1.0])
    base = top + height + gap + strip
    for i, (window, row) in enumerate(shares.fillna(0).iterrows()):
        day = pd.Timestamp(str(window))
        x = left + i * step
        y = float(top + height)
        for j, value in enumerate(row):
            h = height * float(value) / 100
            y -= h
            label = f"{shares.columns[j]} {day:%Y-%m-%d}: {value:.1f}%"
            bars.append(Bar(x, y, step * 0.85, h, colors[str(shares.columns[j])], label))
        if totals is not None:
            h = strip * float(totals[i]) / high
            tip = f"{day:%Y-%m-%d}: {float(totals[i]):.0f} tickets"
            volume.append(Bar(x, base - h, step * 0.85, h, "#8a8a8a", tip))
        if i % max(1, n // 6) == 0:
            ticks.append(Mark(x, base + 16, f"{day:%Y-%m-%d}"))
    flagged = [Mark(left + i * step + step * 0.42, top - 6, "▼", text) for i, text in markers]
    axis = [Mark(left - 34, top + height - height * p / 100 + 4, f"{p}%") for p in (0, 50, 100)]
    titles = [Mark(4, top - 8, "share of tickets (%)"), Mark(width / 2, base + 36, "week starting")]
    if totals is not None:
        axis += [Mark(left - 34, base - strip + 8, f"{high:.0f}"), Mark(left - 34, base, "0")]
        titles.append(Mark(4, base - strip - 6, "tickets per window"))
    return StackedShares(
        title=title,
        width=width,
        height=base + bottom,
        bars=bars,
        axis=axis,
        ticks=ticks,
        markers=flagged,
        legend=[LegendEntry(colors[str(c)], str(c)) for c in shares.columns],
        volume=volume,
        titles=titles,
        marker_note=marker_note if markers else "",
    )


def line_chart(series: pd.Series, title: str, unit: str = "") -> LineChart | None:
    """A small line chart of one numeric series over its index; None when it is empty."""
    width, height, left, top = 900, 160, 50, 14
    values = series.astype(float).fillna(0).to_numpy()
    if not len(values):
        return None
    high = float(values.max()) or 1.0
    step = (width - left - 10) / max(len(values) - 1, 1)
    points = [
        (left + i * step, top + height - height * float(v) / high) for i, v in enumerate(values)
    ]
    labels = [Mark(2, top + 4, f"{high:.2f}{unit}"), Mark(2, top + height, "0")]
    return LineChart(title, width, top + height + 20, PALETTE[0], points, labels)
