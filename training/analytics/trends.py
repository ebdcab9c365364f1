"""Slow drift by topic: labels whose weekly share trends steadily up (or down) over the weeks.

The slope is Theil–Sen's (the median of pairwise slopes, robust to a one-week spike), in
percentage points per week; the test is Mann–Kendall's, i.e. Kendall's tau between week index and
share. A trend is flagged when the test is significant at `alpha` and the fitted change over the
span reaches `min_change_pp`, so a statistically clear but tiny creep is not flagged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import kendalltau, theilslopes

from classifier.errors import ExportFormatError


@dataclass(frozen=True)
class TrendConfig:
    alpha: float = 0.01
    min_change_pp: float = 3.0
    last_weeks: int | None = None
    """Only the most recent weeks (None: all of them)."""


@dataclass(frozen=True)
class Trend:
    label: str
    weeks: int
    slope_pp_per_week: float
    change_pp: float
    """Fitted share change from the first week to the last (slope × (weeks − 1))."""
    first_share: float
    last_share: float
    tau: float
    p_value: float
    flagged: bool

    @property
    def direction(self) -> str:
        return "up" if self.slope_pp_per_week > 0 else "down"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "direction": self.direction}


def trends(shares: pd.DataFrame, config: TrendConfig | None = None) -> list[Trend]:
    """One `Trend` per label (column) of a windows × labels share table (%), strongest first."""
    config = config or TrendConfig()
    table = shares.dropna(how="all")
    if config.last_weeks is not None:
        table = table.iloc[-config.last_weeks :]
    if len(table) < 2:
        weeks = "1 week" if len(table) == 1 else f"{len(table)} weeks"
        raise ExportFormatError(f"trends need at least two weeks; the export covers {weeks}")
    results = []
    for label in table.columns:
        series = table[label].fillna(0.0).to_numpy(dtype=float)
        index = np.arange(len(series), dtype=float)
        if np.ptp(series) == 0:
            slope, tau, p_value = 0.0, 0.0, 1.0
        else:
            slope = float(theilslopes(series, index)[0])
            tau_result = kendalltau(index, series)
            tau, p_value = float(tau_result.statistic), float(tau_result.pvalue)
        intercept = float(np.median(series - slope * index))
        change = slope * (len(series) - 1)
        results.append(
            Trend(
                label=str(label),
                weeks=len(series),
                slope_pp_per_week=slope,
                change_pp=change,
                first_share=intercept,
                last_share=intercept + change,
                tau=tau,
                p_value=p_value,
                flagged=p_value < config.alpha and abs(change) >= config.min_change_pp,
            )
        )
    return sorted(results, key=lambda t: -abs(t.change_pp))
