"""The escalation rate reaches `report` from an export's escalated/level column: detected by
common names and the Jira preset, or named with --escalation-column."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from training import cli
from training.io.columns import detect_columns

runner = CliRunner()


def _export(tmp_path: Path, column: str, cells: list[str]) -> Path:
    """Eight tickets over four weeks, four billing then four login; `cells` is the escalation
    column, in row order."""
    table = pd.DataFrame(
        {
            "created_at": [f"2026-03-{2 + 7 * (i % 4):02d}T10:00:00Z" for i in range(8)],
            "account_id": [f"A{i}" for i in range(8)],
            "category": ["billing"] * 4 + ["login"] * 4,
            column: cells,
        }
    )
    path = tmp_path / "tickets.csv"
    table.to_csv(path, index=False)
    return path


def _report(*args: str) -> dict[str, Any]:
    result = runner.invoke(cli.app, ["report", *args, "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _rates(report: dict[str, Any]) -> dict[str, float]:
    return {row["category"]: row["escalated_pct"] for row in report["escalation"]["category"]}


@pytest.mark.parametrize(
    ("column", "cells", "billing", "login"),
    [
        ("Escalated", ["yes", "no", "no", "no", "yes", "yes", "", "false"], 25.0, 50.0),
        ("Level", ["L1", "L2", "L3", "L1", "1", "2", "1", "1"], 50.0, 25.0),
        ("tier_level", ["Tier 1", "Tier 2", "Tier 1", "Tier 1", "Tier 3"] + ["Tier 1"] * 3,
         25.0, 25.0),
    ],
)  # fmt: skip
def test_a_level_or_escalated_column_is_detected_and_read(
    tmp_path: Path, column: str, cells: list[str], billing: float, login: float
) -> None:
    report = _report(str(_export(tmp_path, column, cells)))
    assert _rates(report) == {"billing": billing, "login": login}
    assert report["inputs"]["escalation"] == column


def test_the_terminal_report_and_the_page_show_the_escalation_rate(tmp_path: Path) -> None:
    export = _export(tmp_path, "Escalation", ["yes"] * 2 + ["no"] * 6)
    page = tmp_path / "report.html"
    result = runner.invoke(cli.app, ["report", str(export), "--html", str(page)])
    assert result.exit_code == 0, result.stderr
    assert "category: escalation rate" in result.stdout
    assert "read escalation from Escalation" in result.stdout
    html = page.read_text(encoding="utf-8")
    assert "<h3>category: escalation rate</h3>" in html
    assert "<td>billing</td><td>4</td><td>50.0</td>" in html


def test_escalation_column_flag_names_an_unusual_column_and_a_missing_one_is_one_line(
    tmp_path: Path,
) -> None:
    export = _export(tmp_path, "handed_to_l2", ["yes", "no", "no", "no"] * 2)
    assert _report(str(export))["escalation"]["category"] == []  # not a name we guess
    flagged = _report(str(export), "--escalation-column", "handed_to_l2")
    assert _rates(flagged) == {"billing": 25.0, "login": 25.0}
    result = runner.invoke(cli.app, ["report", str(export), "--escalation-column", "nope"])
    assert result.exit_code == 2
    assert "no column 'nope' for --escalation-column" in result.stderr


def test_the_jira_preset_finds_an_escalation_custom_field() -> None:
    header = ["Issue key", "Summary", "Created", "Custom field (Escalation level)", "Tier"]
    _, metadata = detect_columns(header, {"preset": "jira"})
    assert metadata["escalation"] == "Custom field (Escalation level)"
    assert metadata["tier"] == "Tier"  # the customer tier stays the tier
