"""The sweet spot: labels whose ticket volume fell while satisfaction held, beside regressions.

Two stated tests per label:
- volume: the Theil–Sen slope (`scipy.stats.theilslopes`) of weekly ticket counts and its
  95 % interval; *fell* when the whole interval is below zero, *rose* when above;
- satisfaction: CSAT scores of the label's tickets in the first half of the weeks against the
  second half, a one-sided Mann–Whitney U test (`scipy.stats.mannwhitneyu`); *dipped* when
  p < 0.05 that the later scores are lower. Without CSAT on the tickets, the usage file's
  satisfaction series (all accounts, per week) stands in.
A *win* fell and did not dip; a *regression* rose or dipped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu, theilslopes

from classifier.records import NO_LABEL
from training.analytics.usage import Usage

ALPHA = 0.05
WIN, REGRESSION = "win", "regression"


@dataclass(frozen=True)
class VolumeVerdict:
    field: str
    label: str
    verdict: str
    slope_per_week: float
    first_half: int
    second_half: int
    csat_before: float
    csat_after: float
    csat_p_value: float
    """One-sided: small when later satisfaction is lower."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def sweet_spot(
    counts: pd.DataFrame,
    data: pd.DataFrame,
    field: str,
    usage: Usage | None = None,
) -> list[VolumeVerdict]:
    """Wins then regressions for one field; `counts` is windows × labels, `data` the tickets."""
    if len(counts) < 4:
        return []
    weeks = np.arange(len(counts), dtype=float)
    half = len(counts) // 2
    early, late = set(counts.index[:half]), set(counts.index[half:])
    result = []
    for label in counts.columns:
        if label == NO_LABEL:
            continue
        series = counts[label].to_numpy(dtype=float)
        fit = theilslopes(series, weeks, alpha=0.95)
        before, after = (
            _scores(data, field, label, early, usage),
            _scores(data, field, label, late, usage),
        )
        p_value = float("nan")
        if len(before) >= 3 and len(after) >= 3:
            p_value = float(mannwhitneyu(before, after, alternative="greater").pvalue)
        dipped = p_value < ALPHA
        verdict = None
        if fit.high_slope < 0 and not dipped:
            verdict = WIN
        elif fit.low_slope > 0 or dipped:
            verdict = REGRESSION
        if verdict is None:
            continue
        result.append(
            VolumeVerdict(
                field,
                str(label),
                verdict,
                float(fit.slope),
                int(series[:half].sum()),
                int(series[half:].sum()),
                _avg(before),
                _avg(after),
                p_value,
            )
        )
    return sorted(result, key=lambda v: (v.verdict != WIN, v.slope_per_week))


def _scores(
    data: pd.DataFrame, field: str, label: Any, windows: set[Any], usage: Usage | None
) -> np.ndarray:
    if "csat" in data.columns and data["csat"].notna().any():
        rows = data[(data[field] == label) & data["window"].isin(windows)]
        return rows["csat"].dropna().to_numpy(dtype=float)
    if usage is not None and "satisfaction" in usage.data.columns:
        rows = usage.data[usage.data["window"].isin(windows)]
        return rows["satisfaction"].dropna().to_numpy(dtype=float)
    return np.array([], dtype=float)


def _avg(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else float("nan")
