"""The report page's readings beside usage: each reading is on the page, with its figures, and a
feature name holding markup is escaped."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests import ROOT
from training import cli

HOSTILE = "<b>reports</b>"
Rendered = tuple[dict[str, Any], str]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """The sample with usage and accounts, its `reports` feature renamed to markup."""
    folder = tmp_path_factory.mktemp("readings")
    tickets = pd.read_csv(ROOT / "data" / "sample_tickets.csv", dtype=str, keep_default_na=False)
    usage = pd.read_csv(ROOT / "data" / "sample_usage.csv", dtype=str, keep_default_na=False)
    tickets["feature"] = tickets["feature"].replace("reports", HOSTILE)
    usage["feature"] = usage["feature"].replace("reports", HOSTILE)
    tickets.to_csv(folder / "tickets.csv", index=False)
    usage.to_csv(folder / "usage.csv", index=False)
    targets = folder / "targets.csv"
    targets.write_text("tier,target_hours\nenterprise,4\npro,12\nfree,48\n", encoding="utf-8")
    page = folder / "report.html"
    result = CliRunner().invoke(
        cli.app,
        [
            "report",
            str(folder / "tickets.csv"),
            "--usage",
            str(folder / "usage.csv"),
            "--accounts",
            str(ROOT / "data" / "sample_accounts.csv"),
            "--sla-targets",
            str(targets),
            "--json",
            "--html",
            str(page),
        ],
    )
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), page.read_text(encoding="utf-8")


def _section(page: str) -> str:
    return page[page.index("<h2>Tickets beside usage</h2>") :]


def test_the_urgent_fix_list_says_how_it_is_ranked_and_escapes_markup(rendered: Rendered) -> None:
    report, page = rendered
    section = _section(page)
    top = report["urgent_fixes"][0]
    assert top["feature"] == HOSTILE  # the sample's planted urgent fix
    assert "mean adopters per week × its ticket rate above the median" in section
    assert f"<td>&lt;b&gt;reports&lt;/b&gt;</td><td>{top['adoption_pct']:.1f}</td>" in section
    assert f"<td>{top['avoided_per_week']:.2f}</td>" in section
    assert HOSTILE not in page


def test_silence_classes_and_their_evidence_are_on_the_page(rendered: Rendered) -> None:
    report, page = rendered
    section = _section(page)
    decoded = report["silence_decoded"]
    for verdict in ("quiet and healthy", "churn risk", "unknown"):
        assert f"{verdict}: {sum(d['verdict'] == verdict for d in decoded)}" in section
    churn = next(d for d in decoded if d["verdict"] == "churn risk")
    assert f"<tr class=flag><td>{churn['account_id']}</td><td>churn risk</td>" in section
    assert churn["evidence"] in section


def test_per_active_by_tier_and_the_sweet_spot_are_on_the_page(rendered: Rendered) -> None:
    report, page = rendered
    section = _section(page)
    tiers = report["tickets_per_active_by_tier"]
    assert "<th>enterprise</th><th>free</th><th>pro</th>" in section
    assert f"<td>{tiers['enterprise'][0]:.2f}</td>" in section
    assert "Sweet spot: wins beside regressions" in section
    for verdict in report["sweet_spot"]:
        assert f"<td>{verdict['field']}</td><td>" in section and verdict["verdict"] in section


def test_service_readings_are_on_the_page_beside_their_references(rendered: Rendered) -> None:
    report, page = rendered
    section = _section(page)
    within = report["resolved_within_target"]["category"][0]
    assert f"<td>{within['category']}</td><td>{within['resolved']}</td>" in section
    assert f"<td>{within['within_target_pct']:.1f}</td>" in section
    sla = report["sla_adherence"]["category"][0]
    assert "category: SLA adherence" in section
    assert (
        f"<td>{sla['category']}</td><td>{sla['tickets']}</td><td>{sla['adherence_pct']:.1f}"
        in section
    )
    repeats = report["repeat_tickets"]
    assert f"{repeats['repeats']} of {repeats['tickets']} ({repeats['share_pct']:.1f} %)" in section
    month = report["tickets_per_100_users"]["monthly"][0]
    assert "beside the 21.2 common for SaaS" in section
    assert f"<td>{month['index']}</td><td>{month['tickets']}</td>" in section
    assert (
        f"<td>{month['per_100_users']:.1f}</td><td>{month['per_100_users'] - 21.2:.1f}</td>"
        in section
    )
