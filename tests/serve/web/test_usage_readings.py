"""The pulse's usage readings: the urgent-fix list and silence decoded, on a seeded log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from serve.settings import Settings
from serve.web.usage_readings import UsageFileError
from tests.serve.conftest import running_client, wait_ready
from tests.serve.web.conftest import sign_in
from tests.serve.web.seed import SILENT, _feature_row, feature_rows, usage_csv
from training.analytics.frame import frame_from_table
from training.analytics.urgent import urgent_fixes
from training.analytics.usage import load_usage


@pytest.fixture
def usage_file(tmp_path: Path) -> Path:
    path = tmp_path / "usage.csv"
    path.write_text(usage_csv())
    return path


@pytest.fixture
def with_usage(web_settings: Settings, usage_file: Path) -> Iterator[TestClient]:
    with running_client(web_settings.model_copy(update={"usage_file": usage_file})) as client:
        wait_ready(client)
        client.app.state.service.store.insert_rows(feature_rows())  # type: ignore[attr-defined]
        sign_in(client, "vera", "view-pw")
        yield client


def _urgent_order(page: str) -> list[str]:
    return re.findall(r'<tr id="urgent-([^"]+)"', page)


def _row(page: str, row_id: str) -> str:
    return page.split(f'id="{row_id}"')[1].split("</tr>")[0]


def test_urgent_fixes_rank_by_tickets_avoided_not_by_ticket_count(with_usage: TestClient) -> None:
    page = with_usage.get("/pulse").text
    # export: 18 tickets / (2 adopters × 12 weeks) = 0.75 a week, 0.45 over the median feature's
    # 0.3 (reports: 36 / 120), × 2 adopters = 0.90 avoided; reports has the most tickets.
    assert _urgent_order(page) == ["export", "reports", "sso"]
    export = re.findall(r"<td>([^<]*)</td>", _row(page, "urgent-export"))
    assert export == ["1", "2.0", "20.0", "18", "0.750", "0.450", "0.90", "—", "—"]
    assert "not in the prediction log (—)" in page
    assert "1 usage rows of 1 accounts not in the log were left out" in page


def test_urgent_fixes_follow_new_tickets(with_usage: TestClient) -> None:
    with_usage.get("/pulse")
    store = with_usage.app.state.service.store  # type: ignore[attr-defined]
    store.insert_rows([_feature_row(1000 + i, 11, "sso", "U00") for i in range(60)])
    # sso: 66 / 48 = 1.375 a week, 0.625 over the median (export's 0.75), × 4 = 2.50 avoided.
    page = with_usage.get("/pulse").text
    assert _urgent_order(page) == ["sso", "export", "reports"]
    assert "<td>2.50</td>" in _row(page, "urgent-sso")


def test_each_silent_account_gets_its_verdict_and_evidence(with_usage: TestClient) -> None:
    page = with_usage.get("/pulse").text
    for account, verdict in SILENT.items():
        assert f'<td class="verdict">{verdict}</td>' in _row(page, f"silent-{account}")
    assert re.findall(r'<tr id="silent-([^"]+)"', page) == ["S-CHURN", "S-NONE", "S-QUIET"]
    assert "recent 1.0 vs baseline 7.8 per week" in _row(page, "silent-S-CHURN")
    assert "usage slope flat (Theil–Sen); recent 5.0 vs baseline 5.0" in _row(
        page, "silent-S-QUIET"
    )
    assert "no usage data for this account" in _row(page, "silent-S-NONE")


def test_the_page_computes_what_the_report_computes(with_usage: TestClient, usage_file) -> None:  # type: ignore[no-untyped-def]
    rows = feature_rows()
    table = pd.DataFrame(
        {
            "created_at": [r["created_at"].isoformat() for r in rows],
            "account_id": [r["account_id"] for r in rows],
            "feature": [r["labels"]["feature"]["label"] for r in rows],
        }
    )
    frame = frame_from_table(table, source="log", fields=["feature"])
    expected = urgent_fixes(frame, load_usage(usage_file, frame))
    page = with_usage.get("/pulse").text
    assert _urgent_order(page) == [u.feature for u in expected]
    for u in expected:
        assert f"<td>{u.avoided_per_week:.2f}</td>" in _row(page, f"urgent-{u.feature}")
        assert f"<td>{u.adoption_pct:.1f}</td>" in _row(page, f"urgent-{u.feature}")


def test_without_a_usage_file_the_page_says_how_to_turn_the_readings_on(web: TestClient) -> None:
    sign_in(web, "vera", "view-pw")
    page = web.get("/pulse").text
    assert 'id="usage-off"' in page and "TICKETLENS_USAGE_FILE" in page
    assert 'id="urgent"' not in page and "decoded by their usage" not in page


def test_a_bad_usage_file_stops_the_start_in_one_line(
    web_settings: Settings, tmp_path: Path
) -> None:
    bad = tmp_path / "usage.csv"
    bad.write_text("account_id,week,active_users\nU00,2024-01-01,2\nU01,2024-01-01,lots\n")
    client = running_client(web_settings.model_copy(update={"usage_file": bad}))
    with pytest.raises(UsageFileError) as caught, client:
        pass
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{bad}, row 2, field 'active_users': the measure must be numeric")
    assert "TICKETLENS_USAGE_COLUMNS" in message


def test_a_missing_usage_file_stops_the_start(web_settings: Settings, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.csv"
    client = running_client(web_settings.model_copy(update={"usage_file": missing}))
    with pytest.raises(UsageFileError, match=r"no such file .*TICKETLENS_USAGE_FILE"), client:
        pass


def test_a_usage_file_broken_while_serving_shows_its_error_not_a_500(
    with_usage: TestClient, usage_file: Path
) -> None:
    assert 'id="urgent"' in with_usage.get("/pulse").text
    usage_file.write_text("account_id,day\nU00,2024-01-01\n")
    page = with_usage.get("/pulse")
    assert page.status_code == 200
    assert 'id="usage-error"' in page.text and "no usage &#39;measure&#39; column" in page.text
