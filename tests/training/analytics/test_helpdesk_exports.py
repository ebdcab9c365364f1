"""`report` and `drift` find the account, date and service-level columns of labeled Zendesk and
Freshdesk exports the way `train` and `label` do (the presets in training/io/columns.py)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from training import cli

runner = CliRunner()
START = datetime(2026, 3, 2, 9, 15)  # a Monday
WEEKS = 12
STEADY = ("Acme Corp", "Globex", "Initech", "Umbrella")
QUIET = "Hooli"  # files in weeks 0-4, then nothing for 7 weeks
CATEGORIES = ("billing", "login_access", "technical_issue")


def _tickets() -> list[dict[str, Any]]:
    rows = []
    for week in range(WEEKS):
        accounts = [*STEADY, QUIET] if week < 5 else list(STEADY)
        for a, account in enumerate(accounts):
            for i in range(2):
                n = len(rows)
                rows.append(
                    {
                        "n": n,
                        "created": START + timedelta(weeks=week, days=a % 5, hours=i),
                        "account": account,
                        "category": CATEGORIES[(a + i) % 3],
                    }
                )
    return rows


def _labels(row: dict[str, Any]) -> dict[str, Any]:
    """The columns `ticketlens label` adds."""
    return {
        "predicted_category": row["category"],
        "predicted_category_confidence": 0.9,
        "predicted_category_needs_review": row["n"] % 4 == 0,
        "predicted_category_review_reason": "low_confidence" if row["n"] % 4 == 0 else "",
        "model_version": "unit-1",
    }


def _zendesk(path: Path) -> Path:
    rows = [
        {
            "Id": str(1000 + r["n"]),
            "Requester id": str(90 + r["n"] % 3),
            "Subject": f"help with {r['category']}",
            "Status": "solved",
            "Created at": f"{r['created']:%Y-%m-%d %H:%M:%S} +0100",
            "Organization": r["account"],
            "Satisfaction Score": str(5 if r["category"] == "billing" else 2),
            **_labels(r),
        }
        for r in _tickets()
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _freshdesk(path: Path) -> Path:
    rows = [
        {
            "Ticket ID": str(r["n"] + 1),
            "Subject": f"help with {r['category']}",
            "Contact ID": str(70 + r["n"] % 3),
            "Created time": f"{r['created']:%Y-%m-%d %H:%M:%S}",
            "Resolution time (in hrs)": str(10 if r["category"] == "billing" else 30),
            "Company Name": r["account"],
            **_labels(r),
        }
        for r in _tickets()
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


EXPORTS = {"zendesk": _zendesk, "freshdesk": _freshdesk}
WEEKLY = [10] * 5 + [8] * (WEEKS - 5)


@pytest.mark.parametrize("preset", [None, "zendesk", "freshdesk"])
def test_report_finds_accounts_dates_and_service_columns(
    tmp_path: Path, preset: str | None
) -> None:
    for helpdesk, write in EXPORTS.items():
        if preset not in (None, helpdesk):
            continue
        export = write(tmp_path / f"{helpdesk}-labeled.csv")
        flags = [] if preset is None else ["--preset", preset]
        result = runner.invoke(cli.app, ["report", str(export), "--json", *flags])
        assert result.exit_code == 0, f"{helpdesk}: {result.stderr}"
        report = json.loads(result.stdout)
        assert report["weeks"][0] == "2026-03-02" and len(report["weeks"]) == WEEKS
        assert report["tickets_per_week"] == WEEKLY
        # Active: filed this week or in the previous 4 (Hooli's last ticket is in week 4).
        assert report["active_customers"]["active"] == [5] * 9 + [4] * 3
        assert [s["account_id"] for s in report["silent_accounts"]] == [QUIET]
        service = {r["category"]: r for r in report["fields"]["category"]["service_levels"]}
        if helpdesk == "zendesk":  # "Satisfaction Score"
            assert service["billing"]["csat_mean"] == 5
            assert service["login_access"]["csat_mean"] == 2
        else:  # "Resolution time (in hrs)"
            assert service["billing"]["resolution_median_h"] == 10
            assert service["technical_issue"]["resolution_median_h"] == 30


@pytest.mark.parametrize("helpdesk", sorted(EXPORTS))
def test_drift_finds_the_date_column(tmp_path: Path, helpdesk: str) -> None:
    export = EXPORTS[helpdesk](tmp_path / f"{helpdesk}-labeled.csv")
    args = ["drift", "--current", str(export), "--reference", str(export), "--json"]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 0, result.stderr
    (category,) = json.loads(result.stdout)["fields"]
    windows = category["windows"]
    assert [w["window"] for w in windows][:2] == ["2026-03-02", "2026-03-09"]
    assert [w["vs_reference"]["n"] for w in windows] == WEEKLY
    # needs_review is every fourth ticket in the export's own order
    assert sum(w["needs_review_pct"] * n / 100 for w, n in zip(windows, WEEKLY, strict=True)) == (
        pytest.approx(len(range(0, sum(WEEKLY), 4)))
    )
