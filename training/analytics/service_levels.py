"""Resolution time (median, p90) and CSAT (mean, share satisfied) per label, by tier if known."""

from __future__ import annotations

import pandas as pd

from classifier.records import NO_LABEL
from training.analytics.frame import TicketFrame


def service_levels(frame: TicketFrame, field: str, *, by_tier: bool = False) -> pd.DataFrame:
    """Per label (and tier): tickets, resolution median/p90 hours, CSAT mean and % satisfied.

    Columns missing from the export come out as NaN; an empty frame means neither exists.
    """
    data = frame.data[frame.data[field] != NO_LABEL]
    keys = [field, "tier"] if by_tier and "tier" in data.columns else [field]
    grouped = data.groupby(keys, dropna=True)
    table = pd.DataFrame({"tickets": grouped.size()})
    if "resolution_hours" in data.columns:
        hours = grouped["resolution_hours"]
        table["resolution_median_h"] = hours.median()
        table["resolution_p90_h"] = hours.quantile(0.9)
    if "satisfied" in data.columns:  # read by training.analytics.satisfaction
        satisfied = grouped["satisfied"]
        table["csat_responses"] = satisfied.count()
        if "csat" in data.columns:
            table["csat_mean"] = grouped["csat"].mean()
        table["satisfied_pct"] = 100 * satisfied.mean()
    return table.sort_values("tickets", ascending=False)
