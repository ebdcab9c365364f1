"""Cross-account spikes against a robust baseline, told apart from single-account floods.

For every cell (a category, a feature, or a category × feature pair) and week, count the tickets,
the distinct accounts filing them and the busiest account's tickets. The baseline is the median
of the previous `baseline_weeks` weeks, its spread the MAD (scaled to a standard deviation, and
never below the Poisson spread √median, so a quiet cell's MAD of zero cannot make noise look like
a spike). A week rises when it exceeds the median by `k` spreads and by at least `min_rise`.

- More distinct accounts than usual → `cross-account spike`, the signature of a release
  regression: many customers hit the same thing at once.
- More tickets but the busiest account files ≥ `flood_share` of them → `single-account flood`
  (one customer's repeated complaint or a script), which is not a product-wide problem.

More tickets spread over no more accounts than usual is not reported: at these volumes that is
mostly noise (a handful of busy accounts in one week).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from training.analytics.frame import TicketFrame

CROSS_ACCOUNT = "cross-account spike"
FLOOD = "single-account flood"
_MAD_TO_SD = 1.4826


@dataclass(frozen=True)
class SpikeConfig:
    baseline_weeks: int = 8
    min_history: int = 4
    k: float = 3.0
    min_rise: int = 5
    """Smallest rise (accounts, or tickets for floods) worth a person's attention."""
    flood_share: float = 0.5


@dataclass(frozen=True)
class Spike:
    dimension: str
    cell: str
    window: str
    week_index: int
    kind: str
    tickets: int
    accounts: int
    baseline_tickets: float
    baseline_accounts: float
    top_account: str
    top_share: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def likely_regression(self) -> bool:
        return self.kind == CROSS_ACCOUNT


def robust_baseline(values: np.ndarray, config: SpikeConfig) -> tuple[np.ndarray, np.ndarray]:
    """Median and spread of the previous `baseline_weeks` rows, per column (NaN: too little)."""
    weeks, cells = values.shape
    n = config.baseline_weeks
    padded = np.vstack([np.full((n, cells), np.nan), values.astype(float)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, n, axis=0)[:weeks]
    enough = (~np.isnan(windows)).sum(axis=-1) >= config.min_history
    median = np.full((weeks, cells), np.nan)
    spread = np.full((weeks, cells), np.nan)
    if enough.any():
        chosen = windows[enough]
        med = np.nanmedian(chosen, axis=-1)
        mad = np.nanmedian(np.abs(chosen - med[:, None]), axis=-1) * _MAD_TO_SD
        median[enough] = med
        spread[enough] = np.maximum(mad, np.sqrt(np.maximum(med, 1.0)))
    return median, spread


def rises(values: np.ndarray, config: SpikeConfig) -> tuple[np.ndarray, np.ndarray]:
    """Boolean mask of weeks that rise above their baseline, and the baseline medians."""
    median, spread = robust_baseline(values, config)
    with np.errstate(invalid="ignore"):
        excess = values - median
        mask = (excess >= config.k * spread) & (excess >= config.min_rise)
    return np.nan_to_num(mask, nan=0).astype(bool), median


def _cell_tables(frame: TicketFrame, by: Sequence[str]) -> dict[str, pd.DataFrame]:
    data = frame.data.dropna(subset=["account_id"])
    data = data[(data[list(by)] != "").all(axis=1)]
    cell = data[by[0]].astype(str)
    for other in by[1:]:
        cell = cell + " × " + data[other].astype(str)
    grouped = (
        pd.DataFrame({"window": data["window"], "cell": cell, "account": data["account_id"]})
        .groupby(["window", "cell", "account"])
        .size()
    )
    per_cell = grouped.groupby(["window", "cell"])
    windows = frame.windows
    tables = {
        "tickets": per_cell.sum().unstack(fill_value=0),
        "accounts": per_cell.size().unstack(fill_value=0),
        "top": per_cell.max().unstack(fill_value=0),
    }
    tables = {k: t.reindex(windows, fill_value=0).fillna(0) for k, t in tables.items()}
    busiest = grouped.sort_values(ascending=False, kind="stable").reset_index()
    busiest = busiest.drop_duplicates(["window", "cell"]).set_index(["window", "cell"])
    tables["top_account"] = busiest["account"].unstack().reindex(windows)
    return tables


def detect_spikes(
    frame: TicketFrame, by: Sequence[str], config: SpikeConfig | None = None
) -> list[Spike]:
    """Spikes and floods for the cells of `by` (e.g. ["category"] or ["category", "feature"])."""
    config = config or SpikeConfig()
    frame.require("created_at")
    frame.require("account_id")
    tables = _cell_tables(frame, by)
    tickets, accounts = tables["tickets"], tables["accounts"]
    account_values, ticket_values = accounts.to_numpy(), tickets.to_numpy()
    account_rise, account_median = rises(account_values, config)
    ticket_rise, ticket_median = rises(ticket_values, config)
    top = tables["top"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        top_share = np.where(tickets.to_numpy() > 0, top / tickets.to_numpy(), 0.0)
    spikes = []
    week_of = {w: i for i, w in enumerate(frame.windows)}
    flood = ticket_rise & (top_share >= config.flood_share)
    for w, c in zip(*np.nonzero(account_rise | flood), strict=True):
        kind = FLOOD if flood[w, c] else CROSS_ACCOUNT
        window = tickets.index[w]
        spikes.append(
            Spike(
                dimension=" × ".join(by),
                cell=str(tickets.columns[c]),
                window=f"{window:%Y-%m-%d}",
                week_index=week_of[window],
                kind=kind,
                tickets=int(ticket_values[w, c]),
                accounts=int(account_values[w, c]),
                baseline_tickets=float(ticket_median[w, c]),
                baseline_accounts=float(account_median[w, c]),
                top_account=str(tables["top_account"].iat[w, c]),
                top_share=float(top_share[w, c]),
            )
        )
    return sorted(spikes, key=lambda s: (s.week_index, s.dimension, s.cell))
