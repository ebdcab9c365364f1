"""Known answers for the readings beside usage and segments, on small constructed data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from classifier.errors import ExportFormatError
from training.analytics import frame_from_table
from training.analytics.accounts import SilentAccount
from training.analytics.segments import load_segments, segment_breakdown
from training.analytics.service_readings import repeat_tickets, within_target
from training.analytics.silence import CHURN_RISK, HEALTHY, UNKNOWN, decode_silence
from training.analytics.sweet_spot import REGRESSION, WIN, sweet_spot
from training.analytics.urgent import urgent_fixes
from training.analytics.usage import active_from_usage, load_usage, tickets_per_active_by_tier
from training.analytics.weekly import counts

MONDAY = pd.Timestamp("2026-03-02", tz="UTC")


def _frame(rows: list[tuple[int, str, str, str, float, float]]):
    """rows: (week, account, category, feature, csat, resolution_hours)."""
    table = pd.DataFrame(
        {
            "created_at": [
                (MONDAY + pd.Timedelta(weeks=w, hours=10)).isoformat() for w, *_ in rows
            ],
            "account_id": [r[1] for r in rows],
            "category": [r[2] for r in rows],
            "feature": [r[3] for r in rows],
            "csat": [str(r[4]) for r in rows],
            "resolution_hours": [str(r[5]) for r in rows],
        }
    )
    return frame_from_table(table, source="t.csv")


def _write(tmp_path: Path, name: str, rows: list[dict[str, object]]) -> Path:
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _usage_rows(accounts: dict[str, list[str]], weeks: int = 4) -> list[dict[str, object]]:
    day = [(MONDAY + pd.Timedelta(weeks=w)).strftime("%Y-%m-%d") for w in range(weeks)]
    return [
        {"account_id": a, "week": day[w], "feature": f, "active_users": 5}
        for a, features in accounts.items()
        for f in features
        for w in range(weeks)
    ]


def test_urgent_fix_ranks_the_widely_used_feature_with_excess_tickets_first(tmp_path):
    rows = [(w % 4, f"A{w % 4}", "technical_issue", "reports", 3.0, 5.0) for w in range(12)]
    rows += [(w, "A0", "technical_issue", "api", 4.0, 2.0) for w in range(4)]
    rows += [(w, f"A{w}", "product_question", "dashboard", 5.0, 1.0) for w in range(4)]
    frame = _frame(rows)
    usage_rows = _usage_rows({f"A{i}": ["reports", "dashboard"] for i in range(4)})
    usage_rows += _usage_rows({"A0": ["api"]})
    usage = load_usage(_write(tmp_path, "u.csv", usage_rows), frame)
    ranked = urgent_fixes(frame, usage)
    # rates: reports 12/16=0.75, api 4/4=1.0, dashboard 4/16=0.25; median 0.75
    # avoided: api 1 adopter × 0.25 = 0.25; reports 4 × 0 = 0; dashboard 0
    assert [u.feature for u in ranked] == ["api", "reports", "dashboard"]
    assert ranked[0].avoided_per_week == pytest.approx(0.25)
    assert ranked[1].adoption_pct == pytest.approx(100.0)
    assert ranked[1].csat_mean == pytest.approx(3.0)


def test_silence_classes_from_usage_trend(tmp_path):
    rows = [(w, a, "billing", "reports", 4.0, 1.0) for w in range(8) for a in ("F", "S", "N")]
    frame = _frame(rows)
    day = [(MONDAY + pd.Timedelta(weeks=w)).strftime("%Y-%m-%d") for w in range(8)]
    usage_rows = [{"account_id": "F", "week": day[w], "active_users": 40 - 5 * w} for w in range(8)]
    usage_rows += [{"account_id": "S", "week": day[w], "active_users": 20} for w in range(8)]
    usage = load_usage(_write(tmp_path, "u.csv", usage_rows), frame)
    silent = [SilentAccount(a, 8, 8, "2026-04-20") for a in ("F", "S", "N")]
    decoded = {d.account_id: d for d in decode_silence(silent, usage, quiet_weeks=3)}
    assert {a: d.verdict for a, d in decoded.items()} == {"F": CHURN_RISK, "S": HEALTHY,
                                                          "N": UNKNOWN}  # fmt: skip
    # F loses 5 users a week against a median of 22.5; S's steady usage reads "flat", not +0.0 %
    assert decoded["F"].evidence.startswith("usage slope -22.2%/week (Theil–Sen)")
    assert decoded["S"].evidence.startswith("usage slope flat (Theil–Sen)")


def test_active_customers_come_from_usage_per_week_and_tier(tmp_path):
    rows = [(0, "A", "billing", "reports", 4.0, 1.0), (0, "B", "billing", "reports", 4.0, 1.0),
            (1, "A", "billing", "reports", 4.0, 1.0)]  # fmt: skip
    frame = _frame(rows)
    day = [(MONDAY + pd.Timedelta(weeks=w)).strftime("%Y-%m-%d") for w in range(2)]
    usage_rows = [{"account_id": a, "week": day[0], "sessions": 3} for a in ("A", "B", "C")]
    usage_rows += [{"account_id": "A", "week": day[1], "sessions": 1},
                   {"account_id": "B", "week": day[1], "sessions": 0}]  # fmt: skip
    usage = load_usage(_write(tmp_path, "u.csv", usage_rows), frame, known_accounts={"C"})
    assert active_from_usage(usage, frame).tolist() == [3, 1]
    tiers = pd.Series({"A": "pro", "B": "pro", "C": "free"})
    table = tickets_per_active_by_tier(frame, usage, tiers)
    assert table["pro"].tolist() == [1.0, 1.0]
    assert table["free"].iloc[0] == 0.0 and pd.isna(table["free"].iloc[1])  # C idle in week 1


def test_bad_usage_input_is_named(tmp_path):
    frame = _frame([(0, "A", "billing", "reports", 4.0, 1.0), (1, "A", "billing", "api", 4.0, 1.0)])
    far = [{"account_id": "A", "week": "2020-01-06", "users": 1}]
    with pytest.raises(ExportFormatError, match="do not overlap the tickets' weeks 2026-03-02"):
        load_usage(_write(tmp_path, "far.csv", far), frame)
    bad = [{"account_id": "A", "week": "2026-03-02", "users": "1"},
           {"account_id": "A", "week": "2026-03-09", "users": "lots"}]  # fmt: skip
    with pytest.raises(ExportFormatError, match=r"rows 2\b") as info:
        load_usage(_write(tmp_path, "bad.csv", bad), frame)
    assert info.value.row == 2
    stray = [{"account_id": "A", "week": "2026-03-02", "users": 1},
             {"account_id": "ZZ", "week": "2026-03-02", "users": 1}]  # fmt: skip
    usage = load_usage(_write(tmp_path, "stray.csv", stray), frame)
    assert (usage.unknown_rows, usage.unknown_accounts) == (1, 1)
    assert set(usage.data["account_id"]) == {"A"}


def test_sweet_spot_lists_a_falling_label_with_steady_csat_as_a_win():
    rows = []
    for week in range(8):
        rows += [(week, "A", "billing", "billing_portal", 4.0, 1.0)] * (8 - week)  # falls
        rows += [(week, "B", "login_access", "api", 4.0 if week < 4 else 2.0, 1.0)] * 3  # dips
        rows += [(week, "C", "product_question", "reports", 4.0, 1.0)] * 2  # flat
    frame = _frame(rows)
    verdicts = {v.label: v.verdict for v in sweet_spot(counts(frame, "category"), frame.data,
                                                       "category")}  # fmt: skip
    assert verdicts == {"billing": WIN, "login_access": REGRESSION}


def test_segment_breakdown_by_region(tmp_path):
    rows = [
        (0, "A", "billing", "reports", 5.0, 2.0),
        (1, "A", "billing", "reports", 5.0, 4.0),
        (0, "B", "login_access", "api", 1.0, 30.0),
        (1, "C", "billing", "api", 3.0, 10.0),
    ]
    frame = _frame(rows)
    accounts = _write(tmp_path, "accounts.csv", [{"account_id": "A", "region": "EMEA"},
                                                 {"account_id": "B", "region": "NA"},
                                                 {"account_id": "C", "region": "NA"}])  # fmt: skip
    breakdown = segment_breakdown(frame, load_segments(accounts), "region")
    summary = breakdown.summary
    assert summary.loc["EMEA", "tickets"] == 2 and summary.loc["NA", "accounts"] == 2
    assert summary.loc["NA", "csat_mean"] == pytest.approx(2.0)
    assert summary.loc["EMEA", "resolution_median_h"] == pytest.approx(3.0)
    assert breakdown.shares["category"].loc["NA", "login_access"] == pytest.approx(50.0)


def test_resolved_within_target_and_repeat_tickets():
    rows = [(0, "A", "billing", "reports", 4.0, h) for h in (1.0, 10.0, 23.0, 30.0, 50.0)]
    rows += [(0, "B", "login_access", "api", 4.0, 2.0)]
    frame = _frame(rows)
    table = within_target(frame, "category", 24)
    assert table.loc["billing", "within_target_pct"] == pytest.approx(60.0)
    assert not table.loc["billing", "meets_standard"]
    assert table.loc["login_access", "meets_standard"]
    # A's 5 billing tickets in one week: the 4 after the first are repeats; B's one is not
    repeats = repeat_tickets(frame, "category", days=14)
    assert (repeats.tickets, repeats.repeats) == (6, 4)
    spaced = _frame(
        [(0, "A", "billing", "reports", 4.0, 1.0), (3, "A", "billing", "api", 4.0, 1.0)]
    )
    assert repeat_tickets(spaced, "category", days=14).repeats == 0
