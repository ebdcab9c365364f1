"""The pulse chart as inline SVG: stacked weekly bars per label, spike weeks marked."""

from __future__ import annotations

from dataclasses import dataclass

from serve.web.aggregates import CellSpike, WeeklyTable

PALETTE = (
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
)
WIDTH, HEIGHT, PAD = 900, 260, 30


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    title: str


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    title: str
    flood: bool


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    markers: list[Marker]
    legend: list[tuple[str, str]]
    ticks: list[tuple[float, str]]


def stacked_chart(table: WeeklyTable, found: list[CellSpike]) -> Chart:
    """Bars for every week × label, a marker above each spike week (hover for the numbers)."""
    colors = {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(table.labels)}
    weeks = len(table.weeks)
    peak = max(int(table.tickets.sum(axis=1).max()) if weeks else 0, 1)
    step = (WIDTH - 2 * PAD) / max(weeks, 1)
    scale = (HEIGHT - 2 * PAD) / peak
    bars: list[Bar] = []
    tops: dict[str, float] = {}
    for i, week in enumerate(table.weeks):
        y = float(HEIGHT - PAD)
        for j, label in enumerate(table.labels):
            count = int(table.tickets[i, j])
            if count == 0:
                continue
            height = count * scale
            y -= height
            bars.append(
                Bar(
                    PAD + i * step,
                    y,
                    step * 0.85,
                    height,
                    colors[label],
                    f"{week} {label}: {count}",
                )
            )
        tops[week] = y
    markers = [
        Marker(
            PAD + table.weeks.index(s.week) * step + step * 0.42,
            tops[s.week] - 8,
            f"{s.kind}: {s.cell}, week of {s.week}: {s.tickets} tickets / {s.accounts} accounts "
            f"(expected {s.baseline_tickets} / {s.baseline_accounts})",
            s.kind.endswith("flood"),
        )
        for s in found
        if s.week in tops
    ]
    every = max(1, weeks // 8)
    ticks = [(PAD + i * step, w) for i, w in enumerate(table.weeks) if i % every == 0]
    return Chart(WIDTH, HEIGHT, bars, markers, list(colors.items()), ticks)
