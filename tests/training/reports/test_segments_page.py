"""`ticketlens report --by SEGMENT` on the HTML page: each segment's figures, its label shares and
its urgent fixes, with known answers on a constructed export; a segment value holding markup is
escaped, and without `--by` the section is left out."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.training.analytics import synthetic
from training import cli

MONDAY = pd.Timestamp("2026-03-02", tz="UTC")
HOSTILE = "<i>LATAM</i>"


def _row(week: int, account: str, category: str, feature: str, csat: int, hours: float) -> dict:
    created = MONDAY + pd.Timedelta(weeks=week, hours=10)
    return {
        "ticket_id": f"T-{week}-{account}-{category}-{hours}",
        "created_at": created.isoformat(),
        "account_id": account,
        "category": category,
        "feature": feature,
        "csat": str(csat),
        "resolution_hours": str(hours),
    }


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """EMEA (A): 3 reports tickets; NA (B, C): 1 login and 1 billing ticket; a markup segment
    (D): 1 ticket; E is in no accounts row. Everyone uses reports and api for four weeks."""
    folder = tmp_path_factory.mktemp("segments")
    rows = [
        _row(0, "A", "billing", "reports", 5, 2.0),
        _row(1, "A", "billing", "reports", 5, 4.0),
        _row(2, "A", "technical_issue", "reports", 4, 6.0),
        _row(0, "B", "login_access", "api", 1, 30.0),
        _row(3, "C", "billing", "api", 3, 10.0),
        _row(2, "D", "billing", "api", 4, 1.0),
        _row(3, "E", "billing", "api", 4, 1.0),
    ]
    pd.DataFrame(rows).to_csv(folder / "tickets.csv", index=False)
    accounts = {"A": "EMEA", "B": "NA", "C": "NA", "D": HOSTILE}
    pd.DataFrame({"account_id": list(accounts), "region": list(accounts.values())}).to_csv(
        folder / "accounts.csv", index=False
    )
    days = [(MONDAY + pd.Timedelta(weeks=w)).strftime("%Y-%m-%d") for w in range(4)]
    usage = [
        {"account_id": a, "week": d, "feature": f, "active_users": 5}
        for a in "ABCDE"
        for f in ("reports", "api")
        for d in days
    ]
    pd.DataFrame(usage).to_csv(folder / "usage.csv", index=False)
    return folder


def _page(folder: Path, *extra: str) -> str:
    page = folder / f"report{len(extra)}.html"
    args = ["report", str(folder / "tickets.csv"), "--accounts", str(folder / "accounts.csv")]
    args += ["--usage", str(folder / "usage.csv"), "--html", str(page), *extra]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 0, result.stderr
    return page.read_text(encoding="utf-8")


def test_each_region_has_its_share_rate_resolution_and_csat(inputs: Path) -> None:
    section = _page(inputs, "--by", "region").split("<h2>By region</h2>")[1]
    # EMEA: 1 account, 3 of 7 tickets (42.9 %), 3 per account, per active account-week
    # (1+1+1+0)/4 (A active every week), median 4 h, CSAT (5+5+4)/3
    emea = "<tr><td>EMEA</td><td>1</td><td>3</td><td>42.9</td><td>3.00</td><td>0.750</td><td>4.0"
    assert emea in section
    assert "<td>4.67</td>" in section
    # NA: 2 accounts, 2 tickets, 1 per account, (1/2+0+0+1/2)/4 per active account-week,
    # median (30+10)/2 h, CSAT (1+3)/2
    na = "<tr><td>NA</td><td>2</td><td>2</td><td>28.6</td><td>1.00</td><td>0.250</td><td>20.0"
    assert na in section
    assert "<td>2.00</td>" in section
    assert "<td>(not in accounts file)</td><td>1</td><td>1</td><td>14.3</td>" in section
    assert "&lt;i&gt;LATAM&lt;/i&gt;" in section and HOSTILE not in section
    # category shares within NA: login_access 1 of 2
    shares = section.split("<h3>category share by region</h3>")[1].split("</table>")[0]
    assert "<th>region</th><th>billing</th><th>login_access</th><th>technical_issue</th>" in shares
    assert "<tr><td>NA</td><td>50.0</td><td>50.0</td><td>0.0</td></tr>" in shares


def test_each_region_lists_its_urgent_fixes(inputs: Path) -> None:
    section = _page(inputs, "--by", "region").split("<h3>Urgent fixes by region</h3>")[1]
    # EMEA's one account adopts both features every week: 3 reports tickets over 4 adopter-weeks
    assert "<tr class=flag><td>EMEA</td><td>1</td><td>reports</td><td>100.0</td><td>0.750</td>" in (
        section
    )


def test_without_by_there_is_no_segment_section(inputs: Path) -> None:
    assert "<h2>By " not in _page(inputs)


def test_a_spike_in_one_region_is_listed_under_it(tmp_path: Path) -> None:
    table = synthetic.steady(weeks=14, per_week=12, accounts=40)
    table = synthetic.with_ids(
        synthetic.add(table, 12, "login", [f"ACC-{i:03d}" for i in range(0, 24, 2)])
    )
    table.to_csv(tmp_path / "tickets.csv", index=False)
    regions = ["EMEA" if i % 2 == 0 else "NA" for i in range(40)]
    pd.DataFrame({"account_id": [f"ACC-{i:03d}" for i in range(40)], "region": regions}).to_csv(
        tmp_path / "accounts.csv", index=False
    )
    page = tmp_path / "report.html"
    args = ["report", str(tmp_path / "tickets.csv"), "--accounts", str(tmp_path / "accounts.csv")]
    result = CliRunner().invoke(cli.app, [*args, "--by", "region", "--html", str(page)])
    assert result.exit_code == 0, result.stderr
    section = page.read_text(encoding="utf-8").split("<h3>Spikes and floods by region</h3>")[1]
    rows = section.split("</table>")[0]
    # week 13 (2026-03-30): 12 EMEA accounts file a login ticket each; flagged, under EMEA only
    assert (
        "<tr class=flag><td>EMEA</td><td>2026-03-30</td><td>category × feature: login × api" in rows
    )
    assert "<td>NA</td><td>2026-03-30</td>" not in rows
