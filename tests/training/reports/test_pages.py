"""What a head of support sees on the HTML pages: stable colours, volume, a summary first."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from tests import ROOT
from training import cli
from training.reports.charts import PALETTE, label_colors, stacked_shares

SAMPLE = ROOT / "data" / "sample_tickets.csv"


def test_each_label_keeps_its_colour_and_eleven_labels_get_eleven_colours() -> None:
    labels = [f"L{i}" for i in range(11)]
    colors = label_colors(labels)
    assert len(set(colors.values())) == 11
    assert label_colors(list(reversed(labels))) == colors
    shares = pd.DataFrame(
        {"L3": [60.0, 50.0], "L1": [40.0, 50.0]}, index=["2026-05-18", "2026-05-25"]
    )
    chart = stacked_shares(shares, [(1, "flagged")], totals=[300, 3])
    assert {e.label: e.color for e in chart.legend} == {"L1": PALETTE[0], "L3": PALETTE[1]}
    assert chart.volume[0].height > 50 * chart.volume[1].height  # a 3-ticket week looks small
    assert any("2026" in t.text for t in chart.ticks) and chart.marker_note


def test_the_report_page_opens_with_what_changed(tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    result = CliRunner().invoke(cli.app, ["report", str(SAMPLE), "--json", "--html", str(html)])
    assert result.exit_code == 0, result.stderr
    page = html.read_text()
    assert page.index("What changed in the week of") < page.index("Spikes and floods")
    assert "gone silent" in page and "login_access" in page.split("Spikes and floods")[0]
    assert "None</td>" not in page and "week starting" in page and "tickets per window" in page
    assert re.search(r"<td>\d\.\de-\d\d</td>", page)  # p-values in scientific notation
    assert page.count("technical_issue × reports") >= 1
