"""What the HTML pages draw, computed: tables, legends and chart geometry, ready for a template.

Nothing here writes markup; the templates in `templates/` turn these objects into HTML and SVG.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import pandas as pd

PALETTE = [
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
    "#86bcb6",
    "#d37295",
]


def fmt(value: object, digits: int = 1) -> str:
    """A table cell: floats to `digits` places, a dash for a missing number."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return "–" if value != value else f"{value:.{digits}f}"
    return str(value)


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
    shares: pd.DataFrame, markers: Sequence[tuple[int, str]] = (), title: str = ""
) -> StackedShares:
    """A stacked bar per window of each label's share (%), with ▼ markers over flagged windows."""
    width, height, left, top, bottom = 900, 300, 40, 24, 40
    n = max(len(shares), 1)
    step = (width - left - 10) / n
    bars, ticks = [], []
    for i, (window, row) in enumerate(shares.fillna(0).iterrows()):
        day = pd.Timestamp(str(window))
        x = left + i * step
        y = float(top + height)
        for j, value in enumerate(row):
            h = height * float(value) / 100
            y -= h
            label = f"{shares.columns[j]} {day:%Y-%m-%d}: {value:.1f}%"
            bars.append(Bar(x, y, step * 0.85, h, color(j), label))
        if i % max(1, n // 10) == 0:
            ticks.append(Mark(x, top + height + 16, f"{day:%m-%d}"))
    flagged = [Mark(left + i * step + step * 0.42, top - 6, "▼", text) for i, text in markers]
    axis = [Mark(2, top + height - height * p / 100 + 4, f"{p}%") for p in (0, 50, 100)]
    return StackedShares(
        title=title,
        width=width,
        height=top + height + bottom,
        bars=bars,
        axis=axis,
        ticks=ticks,
        markers=flagged,
        legend=legend([str(c) for c in shares.columns]),
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
