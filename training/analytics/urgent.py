"""The urgent-fix list: features many customers use that also draw more tickets than usual.

Per feature, over the weeks the usage file covers:
- adopters: accounts with a positive measure for the feature in a week (mean per week);
- adoption: adopters as a share of the week's active accounts (positive measure on anything);
- ticket rate: tickets about the feature per adopter-week;
- excess rate: the ticket rate above the median feature's rate (never below zero);
- tickets avoided per week by fixing it: mean adopters × excess rate — the ranking key.
CSAT mean and median resolution hours of the feature's tickets stand beside each.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from training.analytics.frame import TicketFrame
from training.analytics.usage import Usage


@dataclass(frozen=True)
class UrgentFix:
    feature: str
    adopters_per_week: float
    adoption_pct: float
    tickets: int
    ticket_rate: float
    """Tickets about the feature per adopting account per week."""
    excess_rate: float
    avoided_per_week: float
    csat_mean: float
    resolution_median_h: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def urgent_fixes(frame: TicketFrame, usage: Usage, field: str = "feature") -> list[UrgentFix]:
    """Features ranked by tickets avoided per week by fixing them (see the module docstring).

    Empty when the usage file has no feature column or the tickets have no `field`.
    """
    if not usage.has_features or field not in frame.data.columns:
        return []
    used = usage.data[usage.data["measure"] > 0]
    weeks = sorted(used["window"].unique())
    if not weeks:
        return []
    active = used.groupby("window")["account_id"].nunique().reindex(weeks, fill_value=0)
    adopters = (
        used.groupby(["feature", "window"])["account_id"].nunique().unstack(fill_value=0)
    ).reindex(columns=weeks, fill_value=0)
    tickets = frame.data[frame.data["window"].isin(weeks)]
    per_feature = tickets.groupby(field).size()
    rates = {
        f: float(per_feature.get(f, 0)) / float(adopters.loc[f].sum())
        for f in adopters.index
        if adopters.loc[f].sum() > 0
    }
    if not rates:
        return []
    typical = float(pd.Series(rates).median())
    result = []
    for feature, rate in rates.items():
        mean_adopters = float(adopters.loc[feature].mean())
        share = (adopters.loc[feature] / active.astype(float).replace(0.0, float("nan"))).mean()
        about = frame.data[frame.data[field] == feature]
        excess = max(rate - typical, 0.0)
        result.append(
            UrgentFix(
                feature=str(feature),
                adopters_per_week=mean_adopters,
                adoption_pct=100 * float(share),
                tickets=int(per_feature.get(feature, 0)),
                ticket_rate=rate,
                excess_rate=excess,
                avoided_per_week=mean_adopters * excess,
                csat_mean=_mean(about, "csat"),
                resolution_median_h=_median(about, "resolution_hours"),
            )
        )
    return sorted(result, key=lambda u: (-u.avoided_per_week, -u.ticket_rate, u.feature))


def _mean(data: pd.DataFrame, column: str) -> float:
    return float(data[column].mean()) if column in data.columns else float("nan")


def _median(data: pd.DataFrame, column: str) -> float:
    return float(data[column].median()) if column in data.columns else float("nan")
