"""Known answers for `--by SEGMENT`: each segment's urgent-fix list and per-active-customer rate
from its own accounts' tickets and usage, and the spikes found in one segment's weekly counts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.training.analytics import synthetic
from tests.training.analytics.test_joined_readings import _frame, _usage_rows, _write
from training.analytics import frame_from_table
from training.analytics.segments import NO_SEGMENT, load_segments, segment_breakdown
from training.analytics.usage import load_usage

REGIONS = {"A": "EMEA", "B": "EMEA", "C": "NA", "D": "NA"}  # E is in no accounts row


@pytest.fixture
def breakdown(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Four weeks; everyone uses reports and api every week. EMEA: A files reports every week
    and api in weeks 0-1, B files reports in weeks 0-1. NA: C files api every week, D files
    nothing. E (unlisted) files one api ticket in week 0."""
    rows = [(w, "A", "technical_issue", "reports", 3.0, 5.0) for w in range(4)]
    rows += [(w, "A", "technical_issue", "api", 4.0, 2.0) for w in range(2)]
    rows += [(w, "B", "technical_issue", "reports", 3.0, 5.0) for w in range(2)]
    rows += [(w, "C", "product_question", "api", 5.0, 1.0) for w in range(4)]
    rows += [(0, "E", "product_question", "api", 5.0, 1.0)]
    frame = _frame(rows)
    accounts = _write(tmp_path, "accounts.csv",
                      [{"account_id": a, "region": r} for a, r in REGIONS.items()])  # fmt: skip
    usage_rows = _usage_rows({a: ["reports", "api"] for a in "ABCDE"})
    usage = load_usage(_write(tmp_path, "u.csv", usage_rows), frame, known_accounts=set(REGIONS))
    return segment_breakdown(frame, load_segments(accounts), "region", usage)


def test_each_segment_ranks_its_own_urgent_fixes(breakdown) -> None:  # type: ignore[no-untyped-def]
    emea, na = breakdown.urgent["EMEA"], breakdown.urgent["NA"]
    # EMEA, 2 adopters a week of each: reports 6/8 = 0.75, api 2/8 = 0.25 per adopter-week;
    # median 0.5, so reports avoids 2 × 0.25 = 0.5 a week and api nothing
    assert [u.feature for u in emea] == ["reports", "api"]
    assert [u.ticket_rate for u in emea] == pytest.approx([0.75, 0.25])
    assert emea[0].avoided_per_week == pytest.approx(0.5)
    # NA, where the ranking turns over: D filed nothing but adopts both, so api is 4/8 = 0.5
    # (not C's 4/4) against reports 0/8; median 0.25, api avoids 2 × 0.25 = 0.5
    assert [u.feature for u in na] == ["api", "reports"]
    assert [u.ticket_rate for u in na] == pytest.approx([0.5, 0.0])
    assert na[0].avoided_per_week == pytest.approx(0.5) and na[0].adoption_pct == 100.0
    assert na[0].csat_mean == pytest.approx(5.0)
    unlisted = breakdown.urgent[NO_SEGMENT]  # E: api 1/4 against reports 0/4, median 0.125
    assert unlisted[0].feature == "api" and unlisted[0].avoided_per_week == pytest.approx(0.125)


def test_tickets_per_active_account_week_counts_the_accounts_that_filed_nothing(
    breakdown,  # type: ignore[no-untyped-def]
) -> None:
    summary = breakdown.summary
    # EMEA 3, 3, 1, 1 tickets over 2 active accounts a week; NA 1 a week over 2 (C and D);
    # E 1, 0, 0, 0 over 1. Tickets per account that filed: EMEA 8/2, NA 4/1
    assert summary.loc["EMEA", "tickets_per_active_week"] == pytest.approx(1.0)
    assert summary.loc["NA", "tickets_per_active_week"] == pytest.approx(0.5)
    assert summary.loc[NO_SEGMENT, "tickets_per_active_week"] == pytest.approx(0.25)
    assert summary.loc["NA", "tickets_per_account"] == pytest.approx(4.0)
    assert list(summary.index) == ["EMEA", "NA", NO_SEGMENT]  # by ticket count


def test_a_spike_in_one_segment_is_listed_under_that_segment(tmp_path: Path) -> None:
    table = synthetic.steady(weeks=14, per_week=12, accounts=40)
    spiking = [f"ACC-{i:03d}" for i in range(0, 40, 2)][:12]  # 12 EMEA accounts, one ticket each
    table = synthetic.with_ids(synthetic.add(table, 12, "login", spiking))
    frame = frame_from_table(table, source="t.csv")
    regions = [{"account_id": f"ACC-{i:03d}", "region": "EMEA" if i % 2 == 0 else "NA"}
               for i in range(40)]  # fmt: skip
    accounts = load_segments(_write(tmp_path, "accounts.csv", regions))
    result = segment_breakdown(frame, accounts, "region")
    emea = [e for e in result.events["EMEA"] if e.week_index == 12]
    # one event: the login × api pair heads it, the login and api views join it
    assert [(e.head.cell, e.kind) for e in emea] == [("login × api", "cross-account spike")]
    assert "category: login" in emea[0].cells
    assert emea[0].head.accounts >= 12
    assert not [e for e in result.events["NA"] if e.week_index == 12]
    assert result.summary.loc["EMEA", "spikes"] == len(result.events["EMEA"])
    assert pd.notna(result.summary.loc["NA", "spikes"])


def test_a_missing_segment_cell_is_not_a_segment_called_nan(tmp_path: Path) -> None:
    frame = _frame([(0, "A", "billing", "api", 4.0, 1.0), (1, "B", "billing", "api", 4.0, 1.0)])
    path = tmp_path / "accounts.parquet"
    pd.DataFrame({"account_id": ["A", "B"], "region": ["EMEA", None]}).to_parquet(path)
    summary = segment_breakdown(frame, load_segments(path), "region").summary
    assert sorted(summary.index) == sorted(["EMEA", NO_SEGMENT])
