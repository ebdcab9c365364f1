"""Known-answer tests for spikes, floods, slow drift, silence and the roadmap list."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kendalltau, theilslopes

from classifier.errors import ExportFormatError
from tests.training.analytics import synthetic
from training.analytics import (
    CROSS_ACCOUNT,
    FLOOD,
    SpikeConfig,
    active_from_tickets,
    counts,
    detect_spikes,
    frame_from_table,
    recurring_top,
    shares,
    silent_accounts,
    trends,
)

# The default (α = 0.01 per cell-week) lets ~0.5 noise alarms into a 4-cell × 12-week table;
# the known-answer tests use a stricter threshold so only the planted signal can fire.
STRICT = SpikeConfig(alpha=0.001)


def _frame(table: pd.DataFrame):  # type: ignore[no-untyped-def]
    return frame_from_table(synthetic.with_ids(table), source="synthetic.csv")


def test_a_cross_account_spike_is_found_in_its_week() -> None:
    table = synthetic.add(synthetic.steady(), 12, "bug", [f"NEW-{i}" for i in range(25)])
    spikes = detect_spikes(_frame(table), ["category"], STRICT)
    assert [(s.cell, s.week_index, s.kind) for s in spikes] == [("bug", 12, CROSS_ACCOUNT)]
    assert spikes[0].accounts >= 25 + spikes[0].baseline_accounts * 0.5


def test_a_single_account_flood_is_labeled_and_not_called_a_regression() -> None:
    table = synthetic.add(synthetic.steady(), 10, "billing", ["ACC-BIG"], per_account=40)
    spikes = detect_spikes(_frame(table), ["category"], STRICT)
    assert [(s.cell, s.week_index, s.kind) for s in spikes] == [("billing", 10, FLOOD)]
    assert spikes[0].top_account == "ACC-BIG" and spikes[0].top_share >= 0.5
    assert not spikes[0].likely_regression


def test_steady_weeks_raise_no_alarm_at_a_strict_threshold() -> None:
    for seed in range(3):
        assert detect_spikes(_frame(synthetic.steady(seed=seed)), ["category"], STRICT) == []


def test_false_alarms_on_steady_weeks_stay_near_alpha() -> None:
    alarms = tested = 0
    for seed in range(20):
        spikes = detect_spikes(_frame(synthetic.steady(seed=seed)), ["category"])
        alarms += sum(s.kind == CROSS_ACCOUNT for s in spikes)
        tested += len(synthetic.CATEGORIES) * (16 - SpikeConfig().min_history)
    # α = 0.01 per cell-week; 1/52 (one alarm per cell-year) is the budget it must hold
    assert alarms / tested < 1 / 52


def test_a_busy_week_for_every_category_is_not_a_spike() -> None:
    table = synthetic.steady()
    for category in synthetic.CATEGORIES:
        table = synthetic.add(table, 12, category, [f"NEW-{category}-{i}" for i in range(20)])
    assert detect_spikes(_frame(table), ["category"], STRICT) == []
    # the same rise in one category alone is a spike
    alone = synthetic.add(synthetic.steady(), 12, "bug", [f"NEW-{i}" for i in range(20)])
    found = detect_spikes(_frame(alone), ["category"], STRICT)
    assert [(s.cell, s.week_index) for s in found] == [("bug", 12)]
    assert found[0].baseline_accounts == pytest.approx(17, abs=3)


def test_an_earlier_spike_does_not_hide_a_later_one() -> None:
    table = synthetic.steady()
    for week in (8, 11):
        table = synthetic.add(table, week, "bug", [f"NEW-{week}-{i}" for i in range(25)])
    found = detect_spikes(_frame(table), ["category"], STRICT)
    assert [(s.cell, s.week_index) for s in found] == [("bug", 8), ("bug", 11)]
    assert found[1].baseline_accounts < 25


def test_a_pair_cell_spike_names_both_labels() -> None:
    table = synthetic.add(synthetic.steady(), 9, "bug", [f"NEW-{i}" for i in range(20)])
    spikes = detect_spikes(_frame(table), ["category", "feature"], STRICT)
    assert [s.cell for s in spikes] == ["bug × reports"]


def test_slow_drift_is_flagged_with_the_slope_scipy_gives() -> None:
    weeks = np.arange(20)
    rising = 10 + 0.5 * weeks + np.random.default_rng(1).normal(0, 0.3, 20)
    table = pd.DataFrame({"login": rising, "other": 100 - rising})
    found = {t.label: t for t in trends(table)}
    assert found["login"].flagged and found["login"].direction == "up"
    assert found["login"].slope_pp_per_week == pytest.approx(theilslopes(rising, weeks)[0])
    assert found["login"].p_value == pytest.approx(kendalltau(weeks, rising).pvalue)
    flat = pd.DataFrame({"a": 50 + np.random.default_rng(2).normal(0, 2, 20)})
    assert not trends(flat)[0].flagged


def test_trends_need_two_weeks() -> None:
    with pytest.raises(ExportFormatError, match="trends need at least two weeks"):
        trends(pd.DataFrame({"a": [100.0]}))


def test_weekly_counts_and_shares() -> None:
    frame = _frame(synthetic.steady(weeks=3))
    table = counts(frame, "category")
    assert list(table.columns) == list(synthetic.CATEGORIES) and len(table) == 3
    assert np.allclose(shares(table).sum(axis=1), 100)
    assert table.to_numpy().sum() == len(frame.data)


def test_silent_accounts_and_the_active_fallback() -> None:
    table = synthetic.steady(weeks=16)
    regular = pd.concat(
        [synthetic.add(table.iloc[:0], week, "bug", ["ACC-QUIET"]) for week in range(10)]
    )
    frame = _frame(pd.concat([table, regular], ignore_index=True))
    silent = silent_accounts(frame, quiet_weeks=6)
    assert [s.account_id for s in silent] == ["ACC-QUIET"]
    assert silent[0].active_weeks == 10
    active = active_from_tickets(frame, lookback=4)
    assert active.iloc[-1] <= 61 and active.iloc[0] < active.iloc[5]


def test_the_roadmap_lists_labels_always_in_the_top_three() -> None:
    table = pd.DataFrame({"a": [9, 9, 9, 9], "b": [8, 1, 8, 1], "c": [1, 7, 1, 7], "d": [0] * 4})
    listed = recurring_top(table, top=2)
    assert [r.label for r in listed] == ["a", "b", "c"]
    assert listed[0].weeks_in_top == 4 and listed[0].longest_streak == 4
