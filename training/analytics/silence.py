"""Silence decoded: a silent account's usage tells good news from a churn warning.

Each silent account's weekly usage (the measure summed over features, zero in a usage week
without rows for it) is tested two ways:
- trend: the Theil–Sen slope (`scipy.stats.theilslopes`) of usage against week number,
  relative to the account's median weekly usage; at or below −2 % per week is falling;
- own baseline: the mean of the last `quiet_weeks` weeks against the mean of the weeks before;
  below half of it is a drop.
Either makes it *churn risk*; neither, *quiet and healthy*; fewer than 4 usage weeks, *unknown*.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.stats import theilslopes

from training.analytics.accounts import SilentAccount
from training.analytics.usage import Usage

HEALTHY, CHURN_RISK, UNKNOWN = "quiet and healthy", "churn risk", "unknown"
FALLING_PER_WEEK = -0.02
DROP_RATIO = 0.5
MIN_WEEKS = 4


@dataclass(frozen=True)
class DecodedSilence:
    account_id: str
    verdict: str
    usage_weeks: int
    slope_pct_per_week: float
    """Theil–Sen slope as a % of the account's median weekly usage."""
    baseline: float
    recent: float
    last_ticket: str
    evidence: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def decode_silence(
    silent: list[SilentAccount], usage: Usage | None, quiet_weeks: int = 6
) -> list[DecodedSilence]:
    """Each silent account classed by its usage (see the module docstring); churn risk first."""
    table = usage.per_account() if usage is not None else None
    result = []
    for account in silent:
        nan = float("nan")
        if table is None or account.account_id not in table.columns or len(table) < MIN_WEEKS:
            result.append(
                DecodedSilence(
                    account.account_id,
                    UNKNOWN,
                    0,
                    nan,
                    nan,
                    nan,
                    account.last_ticket,
                    "no usage data for this account",
                )
            )
            continue
        series = table[account.account_id].to_numpy(dtype=float)
        weeks = np.arange(len(series), dtype=float)
        slope = float(theilslopes(series, weeks).slope)
        scale = float(np.median(series)) or float(np.mean(series))
        relative = slope / scale if scale > 0 else (-1.0 if series.any() else 0.0)
        split = max(len(series) - quiet_weeks, len(series) // 2)
        baseline, recent = float(series[:split].mean()), float(series[split:].mean())
        falling = relative <= FALLING_PER_WEEK
        dropped = baseline > 0 and recent < DROP_RATIO * baseline
        verdict = CHURN_RISK if falling or dropped else HEALTHY
        trend = "flat" if round(100 * relative, 1) == 0 else f"{100 * relative:+.1f}%/week"
        evidence = (
            f"usage slope {trend} (Theil–Sen); "
            f"recent {recent:.1f} vs baseline {baseline:.1f} per week"
        )
        result.append(
            DecodedSilence(
                account.account_id,
                verdict,
                len(series),
                100 * relative,
                baseline,
                recent,
                account.last_ticket,
                evidence,
            )
        )
    order = {CHURN_RISK: 0, UNKNOWN: 1, HEALTHY: 2}
    return sorted(result, key=lambda d: (order[d.verdict], d.slope_pct_per_week))
