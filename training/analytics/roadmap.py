"""The roadmap list: labels that recur in a week's top 3 week after week."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

TOP = 3


@dataclass(frozen=True)
class Recurring:
    label: str
    weeks_in_top: int
    weeks: int
    share_of_weeks: float
    tickets: int
    longest_streak: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def recurring_top(counts: pd.DataFrame, top: int = TOP, min_share: float = 0.5) -> list[Recurring]:
    """Labels in the top `top` of at least `min_share` of the non-empty weeks, most often first."""
    table = counts[counts.sum(axis=1) > 0]
    if table.empty:
        return []
    # rank "first" breaks ties by column order, so exactly `top` labels win each week
    ranks = table.rank(axis=1, method="first", ascending=False)
    in_top = (ranks <= top) & (table > 0)
    result = []
    for label in table.columns:
        hits = in_top[label].to_numpy()
        if hits.mean() < min_share:
            continue
        streak = longest = 0
        for hit in hits:
            streak = streak + 1 if hit else 0
            longest = max(longest, streak)
        result.append(
            Recurring(
                " × ".join(label) if isinstance(label, tuple) else str(label),
                int(hits.sum()),
                len(hits),
                float(hits.mean()),
                int(table[label].sum()),
                longest,
            )
        )
    return sorted(result, key=lambda r: (-r.weeks_in_top, -r.tickets))
