"""`ticketlens report` on the sample export finds its planted signals; bad input is one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests import ROOT
from tests.training.analytics import synthetic
from training import cli

runner = CliRunner()
SAMPLE = ROOT / "data" / "sample_tickets.csv"


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    html = tmp_path_factory.mktemp("report") / "report.html"
    result = runner.invoke(cli.app, ["report", str(SAMPLE), "--json", "--html", str(html)])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), html


def test_the_planted_release_regression_is_a_cross_account_spike(
    sample_report: tuple[dict[str, Any], Path],
) -> None:
    spikes = sample_report[0]["spikes"]
    regression = [s for s in spikes if s["cell"] == "technical_issue × reports"]
    assert [(s["week_index"], s["kind"]) for s in regression] == [(20, "cross-account spike")]
    assert regression[0]["accounts"] >= 40


def test_the_planted_flood_is_a_single_account_flood(
    sample_report: tuple[dict[str, Any], Path],
) -> None:
    flood = [s for s in sample_report[0]["spikes"] if s["week_index"] == 11]
    assert flood and {s["kind"] for s in flood} == {"single-account flood"}
    assert {s["cell"] for s in flood} >= {"billing", "billing × billing_portal"}
    assert len({s["top_account"] for s in flood}) == 1


def test_the_login_drift_and_the_silent_accounts_are_found(
    sample_report: tuple[dict[str, Any], Path],
) -> None:
    report = sample_report[0]
    flagged = [t for t in report["fields"]["category"]["trends"] if t["flagged"]]
    assert [t["label"] for t in flagged] == ["login_access"]
    assert 0.2 < flagged[0]["slope_pp_per_week"] < 0.5  # planted: 7 % → 17 % over 30 weeks
    silent = report["silent_accounts"]
    assert 8 <= len(silent) <= 12
    assert all(s["last_ticket"] < "2026-07-06" for s in silent)


def test_the_planted_fix_is_the_one_sweet_spot_win(
    sample_report: tuple[dict[str, Any], Path],
) -> None:
    wins = [v for v in sample_report[0]["sweet_spot"] if v["verdict"] == "win"]
    assert [(v["field"], v["label"]) for v in wins] == [("feature", "integrations")]
    fix = wins[0]  # planted: a fix ships in week 15; its tickets fall, CSAT holds
    assert fix["slope_per_week"] < 0 and fix["second_half"] < 0.7 * fix["first_half"]
    assert fix["csat_p_value"] >= 0.05


def test_the_report_sections_are_all_there(sample_report: tuple[dict[str, Any], Path]) -> None:
    report, html = sample_report
    assert len(report["weeks"]) == 30 and report["tickets"] == 2367
    assert "previous 4 weeks" in report["active_customers"]["definition"]
    assert report["fields"]["category"]["roadmap"][0]["label"] == "technical_issue"
    service = {r["category"]: r for r in report["fields"]["category"]["service_levels"]}
    assert (
        service["performance"]["resolution_median_h"]
        > service["product_question"]["resolution_median_h"]
    )
    tiers = report["fields"]["category"]["service_levels_by_tier"]
    assert {r["tier"] for r in tiers} == {"free", "pro", "enterprise"}
    page = html.read_text()
    assert page.count("<svg") >= 3 and "single-account flood" in page
    assert not any(tag in page for tag in ("src=", "href=", "<link", "<script"))


def test_the_terminal_report() -> None:
    result = runner.invoke(cli.app, ["report", str(SAMPLE)])
    assert result.exit_code == 0, result.stderr
    assert "cross-account spike" in result.stdout and "silent accounts" in result.stdout


def test_an_accounts_file_defines_who_is_active(tmp_path: Path) -> None:
    export, accounts = tmp_path / "tickets.csv", tmp_path / "accounts.csv"
    synthetic.with_ids(synthetic.steady(weeks=4)).to_csv(export, index=False)
    pd.DataFrame({"account_id": ["A", "B"], "active_from": ["2026-01-01", "2026-01-12"],
                  "active_to": ["", "2026-01-18"]}).to_csv(accounts, index=False)  # fmt: skip
    result = runner.invoke(cli.app, ["report", str(export), "--accounts", str(accounts), "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["active_customers"]["active"] == [1, 2, 1, 1]


def _error(*args: str) -> str:
    result = runner.invoke(cli.app, [*args])
    assert result.exit_code == 2, result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("column", "needed_by"),
    [("created_at", "weekly counts"), ("account_id", "cross-account spikes")],
)
def test_a_missing_column_names_the_reports_that_need_it(
    tmp_path: Path, column: str, needed_by: str
) -> None:
    export = tmp_path / "tickets.csv"
    synthetic.with_ids(synthetic.steady(weeks=3)).drop(columns=column).to_csv(export, index=False)
    message = _error("report", str(export))
    assert f"no '{column}' column" in message and needed_by in message


def test_a_single_week_cannot_show_trends(tmp_path: Path) -> None:
    export = tmp_path / "tickets.csv"
    synthetic.with_ids(synthetic.steady(weeks=1)).to_csv(export, index=False)
    message = _error("report", str(export))
    assert "trends need at least two weeks; the export covers 1 week" in message


def test_an_empty_export_is_a_clear_error(tmp_path: Path) -> None:
    export = tmp_path / "empty.csv"
    export.write_text("ticket_id,created_at,account_id,category\n")
    assert "no tickets" in _error("report", str(export))


def test_a_segment_column_the_accounts_file_lacks_is_one_line(tmp_path: Path) -> None:
    export, accounts = tmp_path / "tickets.csv", tmp_path / "accounts.csv"
    synthetic.with_ids(synthetic.steady(weeks=3)).to_csv(export, index=False)
    pd.DataFrame({"account_id": ["ACC-001"], "region": ["EMEA"]}).to_csv(accounts, index=False)
    message = _error("report", str(export), "--accounts", str(accounts), "--by", "regio")
    assert str(accounts) in message and "no segment column 'regio'" in message
    assert "it has: region (choose one with --by)" in message
    alone = _error("report", str(export), "--by", "region")
    assert "--by region needs an accounts file" in alone and "(--accounts)" in alone
