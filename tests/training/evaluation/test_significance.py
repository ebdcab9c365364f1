"""Drift respects sample size: noise in small windows is not flagged, a real move is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest, chi2_contingency

from training.analytics import frame_from_table
from training.evaluation.drift import field_drift
from training.evaluation.significance import share_tests, wilson

START = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # a Monday
SHARES = {"billing": 0.4, "bug": 0.25, "login": 0.2, "question": 0.15}


def _weeks(sizes: list[int], shares: list[dict[str, float]], seed: int = 0) -> pd.DataFrame:
    """Tickets spread over each whole week, labels drawn from that week's shares."""
    rng = np.random.default_rng(seed)
    rows = []
    for week, (size, share) in enumerate(zip(sizes, shares, strict=True)):
        labels = rng.choice(list(share), size=size, p=list(share.values()))
        for i, label in enumerate(labels):
            created = START + timedelta(weeks=week, minutes=int(i * 10070 / size))
            rows.append(
                {
                    "ticket_id": f"T-{len(rows)}",
                    "created_at": created.isoformat(),
                    "predicted_category": label,
                }
            )
    return pd.DataFrame(rows)


def test_wilson_matches_scipy() -> None:
    for count, n in [(0, 10), (3, 75), (40, 300), (300, 300)]:
        low, high = wilson(np.array([count]), n)
        expected = binomtest(count, n).proportion_ci(method="wilson")
        assert low[0] == pytest.approx(expected.low) and high[0] == pytest.approx(expected.high)


def test_the_two_sample_test_is_pearsons_chi_square_on_the_two_by_two() -> None:
    p_value, low, high = share_tests(np.array([90]), 300, np.array([0.2]), 1000)
    table = np.array([[90, 210], [200, 800]])
    expected = chi2_contingency(table, correction=False).pvalue
    assert p_value[0] == pytest.approx(expected)
    assert low[0] < 10 < high[0]


def test_pure_noise_in_small_weeks_is_not_flagged() -> None:
    table = _weeks([75] * 9, [SHARES] * 9, seed=3)
    drift = field_drift(
        frame_from_table(table, source="x"), "category", pd.Series(SHARES) * 100, reference_name="r"
    )
    largest = max(abs(s.change_pp) for w in drift.windows for s in w.vs_reference.shifts)
    assert largest >= 5  # the old pp-only rule would have flagged this noise
    assert not [w for w in drift.windows if w.vs_reference.flagged]


def test_a_planted_eight_point_move_at_300_a_week_is_flagged() -> None:
    moved = {"billing": 0.32, "bug": 0.33, "login": 0.2, "question": 0.15}
    table = _weeks([300] * 8, [SHARES] * 4 + [moved] * 4, seed=4)
    drift = field_drift(
        frame_from_table(table, source="x"), "category", pd.Series(SHARES) * 100, reference_name="r"
    )
    flagged = [[s.label for s in w.vs_reference.flagged] for w in drift.windows]
    assert all("bug" not in f for f in flagged[:4])
    assert sum("bug" in f for f in flagged[4:]) >= 3
    bug = next(s for s in drift.windows[-1].vs_reference.shifts if s.label == "bug")
    assert bug.low_pp < bug.change_pp < bug.high_pp


def test_small_and_partial_windows_are_shown_but_not_judged() -> None:
    moved = {"billing": 0.1, "bug": 0.7, "login": 0.1, "question": 0.1}
    table = _weeks([400, 400, 12], [moved, SHARES, moved], seed=5)
    table = table[pd.to_datetime(table["created_at"]) >= START + timedelta(days=3)]
    drift = field_drift(
        frame_from_table(table, source="x"),
        "category",
        pd.Series(SHARES) * 100,
        reference_name="r",
        min_window=30,
    )
    assert [w.not_judged for w in drift.windows] == ["partial", "", "under 30"]
    assert drift.windows[0].vs_reference.linf_pp > 20 and not drift.windows[0].vs_reference.flagged
    assert not drift.windows[2].vs_reference.flagged
