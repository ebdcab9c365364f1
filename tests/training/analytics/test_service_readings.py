"""Known answers for the service readings on small constructed data: SLA adherence against a
tier target file, tickets per 100 users per month, the repeat-ticket trend."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from classifier.errors import ExportFormatError
from training.analytics import TicketFrame, frame_from_table
from training.analytics.service_readings import (
    load_tier_targets,
    repeat_tickets,
    sla_adherence,
    tickets_per_100_users,
)
from training.analytics.usage import load_usage

MONDAY = pd.Timestamp("2026-03-02 10:00", tz="UTC")


def _frame(rows: list[tuple[str, str, str, str, float]]) -> TicketFrame:
    """rows: (created_at, account, tier, category, resolution_hours)."""
    table = pd.DataFrame(
        {
            "created_at": [r[0] for r in rows],
            "account_id": [r[1] for r in rows],
            "tier": [r[2] for r in rows],
            "category": [r[3] for r in rows],
            "resolution_hours": [str(r[4]) for r in rows],
        }
    )
    return frame_from_table(table, source="t.csv")


def _day(days: int) -> str:
    return (MONDAY + pd.Timedelta(days=days)).isoformat()


def test_sla_adherence_holds_each_ticket_to_its_tiers_target(tmp_path: Path) -> None:
    targets = tmp_path / "targets.csv"
    targets.write_text("tier,target_hours\nenterprise,4\npro ,12\n", encoding="utf-8")
    frame = _frame(
        [
            (_day(0), "A", "enterprise", "billing", 2.0),  # met (4 h)
            (_day(1), "A", "enterprise", "billing", 5.0),  # missed
            (_day(2), "B", "pro", "billing", 10.0),  # met (12 h)
            (_day(3), "B", "pro", "billing", 12.0),  # met: at the target counts
            (_day(4), "B", "pro", "login", 13.0),  # missed
            (_day(5), "C", "free", "login", 1.0),  # no target for free: left out
        ]
    )
    table = sla_adherence(frame, "category", load_tier_targets(targets))
    assert table.loc["billing", "tickets"] == 4
    assert table.loc["billing", "adherence_pct"] == pytest.approx(75.0)
    assert table.loc["login", "tickets"] == 1
    assert table.loc["login", "adherence_pct"] == pytest.approx(0.0)


def test_a_tier_target_file_with_a_word_for_hours_names_its_row(tmp_path: Path) -> None:
    targets = tmp_path / "targets.csv"
    targets.write_text("tier,target_hours\nenterprise,4\npro,soon\n", encoding="utf-8")
    with pytest.raises(ExportFormatError, match="target_hours must be a number") as info:
        load_tier_targets(targets)
    assert info.value.row == 2


def test_tickets_per_100_users_per_month(tmp_path: Path) -> None:
    march = [0, 7, 14, 21]  # the four Mondays from 2026-03-02
    april = [35, 42]  # 2026-04-06 and 2026-04-13
    usage_rows = [
        {"account_id": a, "week": (MONDAY + pd.Timedelta(days=d)).strftime("%Y-%m-%d"),
         "feature": f, "active_users": n}
        for d in march for a, f, n in (("A", "reports", 30), ("A", "api", 10), ("B", "api", 20))
    ]  # fmt: skip
    usage_rows += [
        {"account_id": a, "week": (MONDAY + pd.Timedelta(days=d)).strftime("%Y-%m-%d"),
         "feature": "api", "active_users": 100}
        for d in april for a in ("A", "B")
    ]  # fmt: skip
    path = tmp_path / "usage.csv"
    pd.DataFrame(usage_rows).to_csv(path, index=False)
    rows = [(_day(d % 28), "A", "pro", "billing", 1.0) for d in range(10)]  # 10 in March
    rows += [(_day(35 + d), "B", "pro", "login", 1.0) for d in range(3)]  # 3 in April
    frame = _frame(rows)
    table = tickets_per_100_users(frame, load_usage(path, frame))
    # March: A counted once at its busiest feature (30) + B 20 = 50 users a week; April 200
    assert table.loc["2026-03", "users"] == pytest.approx(50.0)
    assert table.loc["2026-03", "per_100_users"] == pytest.approx(20.0)
    assert table.loc["2026-04", "users"] == pytest.approx(200.0)
    assert table.loc["2026-04", "per_100_users"] == pytest.approx(1.5)


def test_no_per_100_users_reading_when_the_measure_does_not_count_people(tmp_path: Path) -> None:
    path = tmp_path / "usage.csv"
    pd.DataFrame([{"account_id": "A", "week": "2026-03-02", "sessions": 9}]).to_csv(path)
    frame = _frame([(_day(0), "A", "pro", "billing", 1.0)])
    assert tickets_per_100_users(frame, load_usage(path, frame)).empty


def test_the_repeat_share_trend_over_four_months() -> None:
    # Month m: one account files k + 1 billing tickets 3 days apart (k repeats), 3 - k other
    # accounts one each; k = 3, 2, 1, 0 -> repeat shares 75, 50, 25, 0 % of 4 tickets a month
    rows = []
    for month, k in enumerate((3, 2, 1, 0)):
        first = pd.Timestamp(f"2026-0{3 + month}-01 10:00", tz="UTC")
        rows += [((first + pd.Timedelta(days=3 * i)).isoformat(), f"R{month}", "pro",
                  "billing", 1.0) for i in range(k + 1)]  # fmt: skip
        rows += [(first.isoformat(), f"S{month}-{i}", "pro", "billing", 1.0) for i in range(3 - k)]
    repeats = repeat_tickets(_frame(rows), "category", days=14)
    assert repeats.monthly["tickets"].tolist() == [4, 4, 4, 4]
    assert repeats.monthly["repeats"].tolist() == [3, 2, 1, 0]
    assert repeats.share_pct == pytest.approx(100 * 6 / 16)
    assert repeats.slope_pp_per_month == pytest.approx(-25.0)
    assert repeats.change_3m_pct == pytest.approx(-100.0)  # 75 % -> 0 %: past the -30 % goal
