"""Self-contained HTML pages (inline CSS, inline SVG charts; nothing loaded from the network)."""

from __future__ import annotations

import html
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from pathlib import Path

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
_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ddd}
h3{font-size:1.05rem}
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{padding:.2rem .6rem;
border-bottom:1px solid #eee;text-align:right}th{background:#f6f6f6}
td:first-child,th:first-child{text-align:left}
.flag{color:#b00020;font-weight:600}.note{color:#555;font-style:italic}
.legend span{display:inline-block;margin-right:1rem}.legend i{display:inline-block;width:.8rem;
height:.8rem;margin-right:.3rem;vertical-align:middle}
svg{max-width:100%;height:auto}svg text{font:11px system-ui,sans-serif;fill:#333}
"""


def escape(value: object) -> str:
    return html.escape(str(value))


def fmt(value: object, digits: int = 1) -> str:
    if isinstance(value, float):
        return "–" if value != value else f"{value:.{digits}f}"
    return str(value)


def table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], flags: Collection[int] = frozenset()
) -> str:
    """An HTML table; rows whose index is in `flags` are highlighted."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        f"<tr{' class=flag' if i in flags else ''}>"
        + "".join(f"<td>{escape(fmt(cell))}</td>" for cell in row)
        + "</tr>"
        for i, row in enumerate(rows)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def legend(labels: Sequence[str]) -> str:
    items = "".join(
        f"<span><i style='background:{PALETTE[i % len(PALETTE)]}'></i>{escape(label)}</span>"
        for i, label in enumerate(labels)
    )
    return f"<div class=legend>{items}</div>"


def stacked_shares(
    shares: pd.DataFrame, markers: Sequence[tuple[int, str]] = (), title: str = ""
) -> str:
    """A stacked bar per window of each label's share (%), with ▼ markers over flagged windows."""
    width, height, left, top, bottom = 900, 300, 40, 24, 40
    n = max(len(shares), 1)
    step = (width - left - 10) / n
    bars = []
    for i, (window, row) in enumerate(shares.fillna(0).iterrows()):
        y = float(top + height)
        for j, value in enumerate(row):
            h = height * float(value) / 100
            y -= h
            label = f"{shares.columns[j]} {pd.Timestamp(str(window)):%Y-%m-%d}: {value:.1f}%"
            bars.append(
                f"<rect x='{left + i * step:.1f}' y='{y:.1f}' width='{step * 0.85:.1f}' "
                f"height='{h:.1f}' fill='{PALETTE[j % len(PALETTE)]}'><title>{escape(label)}"
                "</title></rect>"
            )
        if i % max(1, n // 10) == 0:
            bars.append(
                f"<text x='{left + i * step:.1f}' y='{top + height + 16}'>"
                f"{pd.Timestamp(str(window)):%m-%d}</text>"
            )
    for index, text in markers:
        x = left + index * step + step * 0.42
        bars.append(
            f"<text x='{x:.1f}' y='{top - 6}' text-anchor='middle' fill='#b00020' "
            f"style='fill:#b00020;font-size:14px'>▼<title>{escape(text)}</title></text>"
        )
    axis = "".join(
        f"<text x='2' y='{top + height - height * p / 100 + 4:.1f}'>{p}%</text>"
        for p in (0, 50, 100)
    )
    total_height = top + height + bottom
    return (
        f"<svg viewBox='0 0 {width} {total_height}' role='img' aria-label='{escape(title)}' "
        f"xmlns='http://www.w3.org/2000/svg'>{axis}{''.join(bars)}</svg>"
        + legend([str(c) for c in shares.columns])
    )


def line_chart(series: pd.Series, title: str, unit: str = "") -> str:
    """A small line chart of one numeric series over its index."""
    width, height, left, top = 900, 160, 50, 14
    values = series.astype(float).fillna(0).to_numpy()
    if not len(values):
        return ""
    high = float(values.max()) or 1.0
    step = (width - left - 10) / max(len(values) - 1, 1)
    points = " ".join(
        f"{left + i * step:.1f},{top + height - height * v / high:.1f}"
        for i, v in enumerate(values)
    )
    return (
        f"<svg viewBox='0 0 {width} {top + height + 20}' role='img' aria-label='{escape(title)}' "
        f"xmlns='http://www.w3.org/2000/svg'><text x='2' y='{top + 4}'>{high:.2f}{unit}</text>"
        f"<text x='2' y='{top + height}'>0</text><polyline fill='none' stroke='{PALETTE[0]}' "
        f"stroke-width='2' points='{points}'/></svg>"
    )


def page(title: str, sections: Sequence[str]) -> str:
    """A whole HTML document around `sections` (each already HTML)."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1><p class=note>generated by ticketlens, {stamp}</p>"
        + "\n".join(sections)
        + "</body></html>"
    )


def write_page(path: Path, title: str, sections: Sequence[str]) -> None:
    """Write the page atomically, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(page(title, sections), encoding="utf-8")
    temporary.replace(path)
