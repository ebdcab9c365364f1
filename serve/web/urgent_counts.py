"""The urgent-fix list from weekly ticket counts: `training.analytics.urgent.urgent_fixes`,
split so that a page pays only for the part the log changes.

`urgent_fixes` reads a usage file's adopters per feature and week and the tickets about each
feature in those weeks. The usage side costs a pass over every usage row (about 100 ms for
300 000 rows), the ticket side is one number per feature; the pulse recomputes the list whenever
a ticket about a feature is logged in a usage week, so the usage side is computed once per read
of the file (`UrgentBasis`) and the list from it and the log's counts (`urgent_from_counts`),
the same arithmetic as `urgent_fixes`. It reproduces `urgent_fixes` exactly on tickets without
CSAT or resolution times, which the prediction log never has (those figures are NaN); the tests
hold it to the library on the same inputs.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass

from training.analytics.urgent import UrgentFix
from training.analytics.usage import Usage


@dataclass(frozen=True)
class FeatureUse:
    """One feature's adoption over the usage weeks."""

    adopter_weeks: int
    """Accounts with a positive measure for it, summed over the weeks."""
    adopters_per_week: float
    adoption_pct: float


@dataclass(frozen=True)
class UrgentBasis:
    """The usage side of the urgent-fix list."""

    weeks: list[str]
    """Weeks ('YYYY-MM-DD') with a positive measure: whose tickets count."""
    features: dict[str, FeatureUse]
    """Features with at least one adopter, by name."""


def urgent_basis(usage: Usage) -> UrgentBasis | None:
    """Adoption per feature as `urgent_fixes` computes it; None without features or usage."""
    if not usage.has_features:
        return None
    used = usage.data[usage.data["measure"] > 0]
    weeks = sorted(used["window"].unique())
    if not weeks:
        return None
    active = used.groupby("window")["account_id"].nunique().reindex(weeks, fill_value=0)
    adopters = (
        used.groupby(["feature", "window"])["account_id"].nunique().unstack(fill_value=0)
    ).reindex(columns=weeks, fill_value=0)
    per_active = adopters / active.astype(float).replace(0.0, float("nan"))
    features = {
        str(feature): FeatureUse(
            adopter_weeks=int(adopters.loc[feature].sum()),
            adopters_per_week=float(adopters.loc[feature].mean()),
            adoption_pct=100 * float(per_active.loc[feature].mean()),
        )
        for feature in adopters.index
        if adopters.loc[feature].sum() > 0
    }
    if not features:
        return None
    return UrgentBasis([f"{w:%Y-%m-%d}" for w in weeks], features)


def urgent_from_counts(basis: UrgentBasis, tickets: Mapping[str, int]) -> list[UrgentFix]:
    """The urgent-fix list from `tickets` per feature label in `basis.weeks`."""
    rates = {f: float(tickets.get(f, 0)) / use.adopter_weeks for f, use in basis.features.items()}
    typical = statistics.median(rates.values())
    result = []
    for feature, rate in rates.items():
        use = basis.features[feature]
        excess = max(rate - typical, 0.0)
        result.append(
            UrgentFix(
                feature=feature,
                adopters_per_week=use.adopters_per_week,
                adoption_pct=use.adoption_pct,
                tickets=int(tickets.get(feature, 0)),
                ticket_rate=rate,
                excess_rate=excess,
                avoided_per_week=use.adopters_per_week * excess,
                csat_mean=math.nan,
                resolution_median_h=math.nan,
            )
        )
    return sorted(result, key=lambda u: (-u.avoided_per_week, -u.ticket_rate, u.feature))


__all__ = ["FeatureUse", "UrgentBasis", "urgent_basis", "urgent_from_counts"]
