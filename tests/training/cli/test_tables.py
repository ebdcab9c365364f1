"""Terminal tables at 80 columns: nothing cut, dates short, a text marker beside the red."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from tests import ROOT
from tests.training.analytics import synthetic
from training import cli
from training.analytics import build_report, load_export
from training.analytics.events import group_spikes
from training.analytics.frame import frame_from_table
from training.analytics.segments import load_segments, segment_breakdown
from training.cli import analytics
from training.cli.drift_tables import drift_tables
from training.cli.segment_tables import SHARE_COLUMNS, segment_tables
from training.cli.tables import report_tables
from training.evaluation import drift, significance
from training.evaluation.drift import field_drift

SAMPLE = ROOT / "data" / "sample_tickets.csv"
runner = CliRunner()


def _render(tables: list[object], width: int = 80) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    for table in tables:
        console.print(table)
    return console.export_text().splitlines()


@pytest.fixture(scope="module")
def report() -> object:
    return build_report(load_export(SAMPLE))


def test_the_spike_table_fits_80_columns_uncut_with_short_dates(report: object) -> None:
    lines = _render(report_tables(report))  # type: ignore[arg-type]
    assert max(len(line) for line in lines) <= 80
    text = "\n".join(lines)
    assert "…" not in text
    assert "07-20" in text and "2026-07-20" not in text
    regression = [line for line in lines if "07-20" in line]
    assert regression and regression[0].lstrip().startswith("!")
    assert "technical_issue" in text and "single-account flood" not in text


def test_wide_tables_carry_full_dates_and_headers(report: object) -> None:
    text = "\n".join(_render(report_tables(report, wide=True), width=200))  # type: ignore[arg-type]
    assert "2026-07-20" in text and "baseline accounts" in text and "cross-account spike" in text


def test_the_three_views_of_one_spike_are_one_event(report: object) -> None:
    events = [e for e in report.events if e.week_index == 20]  # type: ignore[attr-defined]
    assert len(events) == 1
    assert events[0].head.cell == "technical_issue × reports"
    assert set(events[0].cells) == {
        "category × feature: technical_issue × reports",
        "category: technical_issue",
        "feature: reports",
    }
    assert events[0].likely_regression
    spikes = report.all_spikes  # type: ignore[attr-defined]
    assert len(group_spikes(spikes)) < len(spikes)


def test_the_drift_tables_fit_80_columns_with_intervals_and_markers() -> None:
    rng = np.random.default_rng(0)
    start = datetime(2026, 5, 4, tzinfo=UTC)
    labels = ["billing", "technical_issue", "account_management", "login_access"]
    rows = []
    for week in range(6):
        p = [0.4, 0.3, 0.2, 0.1] if week < 3 else [0.25, 0.45, 0.2, 0.1]
        for i, label in enumerate(rng.choice(labels, size=400, p=p)):
            when = start + timedelta(weeks=week, minutes=i * 25)
            rows.append(
                {
                    "ticket_id": f"T{len(rows)}",
                    "created_at": when.isoformat(),
                    "predicted_category": label,
                }
            )
    frame = frame_from_table(pd.DataFrame(rows), source="x")
    result = field_drift(
        frame,
        "category",
        pd.Series(dict(zip(labels, [40, 30, 20, 10], strict=True))),
        reference_name="a reference export with a long name",
    )
    lines = _render(drift_tables(result))
    assert max(len(line) for line in lines) <= 80
    text = "\n".join(lines)
    assert "…" not in text and "[+" in text
    assert "05-25" in text and "2026-05-25" not in text
    flagged = [line for line in lines if "05-25" in line]
    assert flagged[0].lstrip().startswith("!") and "technical_issue" in text


def test_the_cli_copies_of_the_drift_defaults_agree() -> None:
    assert analytics.DRIFT_MIN_WINDOW == drift.DEFAULT_MIN_WINDOW
    assert analytics.DRIFT_ALPHA == significance.DEFAULT_ALPHA
    assert analytics.DRIFT_THRESHOLD_PP == drift.DEFAULT_THRESHOLD_PP


def test_the_report_command_at_80_columns() -> None:
    result = runner.invoke(cli.app, ["report", str(SAMPLE)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    wide = runner.invoke(cli.app, ["report", str(SAMPLE), "--wide"])
    assert wide.exit_code == 0 and "2026-07-20" in wide.stdout


def test_a_flat_trend_is_printed_without_a_sign(tmp_path: Path) -> None:
    export = tmp_path / "flat.csv"
    monday = datetime(2026, 1, 5, 10, tzinfo=UTC)
    rows = [
        {"ticket_id": f"T-{week}-{category}-{k}", "category": category, "account_id": f"A{k}",
         "created_at": (monday + timedelta(weeks=week, hours=k)).isoformat()}
        for week in range(4) for category in ("billing", "bug") for k in range(3)
    ]  # fmt: skip
    pd.DataFrame(rows).to_csv(export, index=False)
    lines = _render(report_tables(build_report(load_export(export))))
    billing = [line.split() for line in lines if line.split()[:1] == ["billing"]]
    # each week half billing, half bug: slope 0 pp/week and no change, shown as 0.00 and 0.0
    assert ["billing", "0.00", "0.0"] in [row[:3] for row in billing]


def test_the_segment_tables_at_80_columns() -> None:
    data = ROOT / "data"
    args = ["report", str(SAMPLE), "--usage", str(data / "sample_usage.csv"), "--accounts",
            str(data / "sample_accounts.csv"), "--by", "region"]  # fmt: skip
    result = runner.invoke(cli.app, args, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80 and "…" not in result.stdout
    segment_part = result.stdout.split("urgent fixes by region")[1].split("spikes and floods")[0]
    firsts = [line.split()[:3] for line in segment_part.splitlines() if line.split()[1:2] == ["1"]]
    # the planted urgent fix (reports: widely used, elevated rate) leads in every region
    assert sorted(firsts) == [[r, "1", "reports"] for r in ("APAC", "EMEA", "LATAM", "NA")]
    spikes = result.stdout.split("spikes and floods by region")[1]
    regression = [line for line in spikes.splitlines() if "07-20" in line]
    assert regression and all(line.lstrip().startswith("!") for line in regression)


def test_a_segment_share_table_keeps_the_busiest_values_as_columns(tmp_path: Path) -> None:
    table = synthetic.with_ids(synthetic.steady(weeks=3, accounts=40))
    frame = frame_from_table(table, source="t.csv")
    teams = [f"team-{i % 7}" for i in range(40)]  # 7 values: more than fit as columns
    pd.DataFrame({"account_id": [f"ACC-{i:03d}" for i in range(40)], "team": teams}).to_csv(
        tmp_path / "accounts.csv", index=False
    )
    seg = segment_breakdown(frame, load_segments(tmp_path / "accounts.csv"), "team")
    text = "\n".join(_render(segment_tables(seg)))
    share = text.split("category share by team")[1]
    busiest = [str(v) for v in seg.summary.index]
    header = next(line for line in share.splitlines() if line.split()[:1] == ["category"])
    assert header.split()[1:] == busiest[:SHARE_COLUMNS]
    assert f"the {SHARE_COLUMNS} with most tickets of 7" in " ".join(share.split())
    assert max(len(line) for line in text.splitlines()) <= 80
