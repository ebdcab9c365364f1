"""The pulse's urgent-fix list from counts is the analytics' `urgent_fixes`, figure for figure."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from serve.web.urgent_counts import urgent_basis, urgent_from_counts
from training.analytics.frame import TicketFrame
from training.analytics.urgent import urgent_fixes
from training.analytics.usage import Usage


def _usage(seed: int) -> Usage:
    """Random adoption: 30 accounts × 10 weeks × up to 6 features, many measures zero."""
    rng = np.random.default_rng(seed)
    weeks = pd.date_range("2024-01-01", periods=10, freq="W-MON")
    rows = [
        (f"A{a}", week, f"f{f}", float(rng.integers(0, 4)))
        for a in range(30)
        for week in weeks
        for f in range(6)
        if rng.random() < 0.5
    ]
    data = pd.DataFrame(rows, columns=["account_id", "window", "feature", "measure"])
    return Usage(data, "usage.csv", "active_users")


def _tickets_frame(counts: dict[tuple[str, str], int]) -> TicketFrame:
    """One ticket row per count: what `urgent_fixes` reads from an export."""
    rows = [(pd.Timestamp(w), f) for (w, f), n in counts.items() for _ in range(n)]
    data = pd.DataFrame(rows, columns=["window", "feature"])
    return TicketFrame(data, ["feature"], {"feature": "feature"}, "log")


@pytest.mark.parametrize("seed", range(8))
def test_urgent_from_counts_matches_urgent_fixes(seed: int) -> None:
    usage = _usage(seed)
    rng = np.random.default_rng(100 + seed)
    weeks = [f"{w:%Y-%m-%d}" for w in pd.date_range("2023-12-25", periods=12, freq="W-MON")]
    labels = [f"f{f}" for f in range(8)]  # f6, f7: labels no usage row names
    counts = {(w, f): int(rng.integers(0, 9)) for w in weeks for f in labels if rng.random() < 0.7}
    expected = urgent_fixes(_tickets_frame(counts), usage)
    basis = urgent_basis(usage)
    assert basis is not None
    in_weeks: dict[str, int] = {}
    for (w, f), n in counts.items():
        if w in basis.weeks:
            in_weeks[f] = in_weeks.get(f, 0) + n
    found = urgent_from_counts(basis, in_weeks)
    assert [u.feature for u in found] == [u.feature for u in expected]
    for mine, theirs in zip(found, expected, strict=True):
        for name, value in theirs.to_dict().items():
            got = mine.to_dict()[name]
            if isinstance(value, str):
                assert got == value
            elif math.isnan(value):
                assert math.isnan(got), name
            else:
                assert got == pytest.approx(value, rel=1e-12), name


def test_no_basis_without_features_or_positive_usage() -> None:
    usage = _usage(0)
    assert urgent_basis(Usage(usage.data.drop(columns="feature"), "u", "users")) is None
    assert urgent_basis(Usage(usage.data.assign(measure=0.0), "u", "users")) is None
