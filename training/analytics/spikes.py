"""Cross-account spikes judged against the week's total, told apart from single-account floods.

For every cell (a category, a feature, or a category × feature pair) and week, count the tickets,
the distinct accounts filing them and the busiest account's tickets. Whole weeks swing (holidays,
launches) for every cell at once, so a cell is judged against the rest of its week (the other
cells of the dimension), not by its raw count: the expected count is the rest of the week times
the cell's ratio to the rest over the previous `baseline_weeks` weeks. Using the rest rather than
the whole week keeps a big cell's own spike from inflating its expectation. The excess is judged
with the exact conditional test for two Poisson rates: if the ratio held, the cell's count this
week, given it plus its baseline count, is binomial with p = rest this week / (rest this week +
rest over the baseline), so the noise of the baseline ratio is counted too and no spread has to
be estimated from eight points. A week rises when the one-sided mid-p value is below `alpha` and
the count exceeds the expected one by at least `min_rise`. Weeks already flagged for a cell are
left out of its later baselines, so one spike does not hide the next. A dimension with a single
cell has no rest to compare with and is not judged.

- More distinct accounts than expected → `cross-account spike`, the signature of a release
  regression: many customers hit the same thing at once.
- More tickets than expected but the busiest account files ≥ `flood_share` of them →
  `single-account flood` (one customer's repeated complaint or a script), not a product-wide
  problem.

More tickets spread over no more accounts than usual is not reported: at these volumes that is
mostly noise (a handful of busy accounts in one week). The test assumes the cell's share is
steady apart from sampling noise; real shares that wander more than that (seasonality, drift)
give more alarms than `alpha` promises.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binom

from classifier.records import NO_LABEL
from training.analytics.frame import TicketFrame

CROSS_ACCOUNT = "cross-account spike"
FLOOD = "single-account flood"


@dataclass(frozen=True)
class SpikeConfig:
    baseline_weeks: int = 8
    min_history: int = 4
    alpha: float = 0.01
    """One-sided false-alarm rate per cell-week: 0.01 is about one alarm per cell every two years
    if shares are steady (half the budget of one per cell-year, for shares that wander more)."""
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


def rises(values: np.ndarray, config: SpikeConfig) -> tuple[np.ndarray, np.ndarray]:
    """Mask of weeks (rows) × cells (columns) rising above their expected share, and the
    expected counts (NaN where there is too little history)."""
    values = np.asarray(values, dtype=np.int64)
    weeks, cells = values.shape
    rest = values.sum(axis=1, keepdims=True) - values
    mask = np.zeros((weeks, cells), dtype=bool)
    expected = np.full((weeks, cells), np.nan)
    for w in range(config.min_history, weeks):
        first = max(0, w - config.baseline_weeks)
        usable = ~mask[first:w]
        cell_before = (values[first:w] * usable).sum(axis=0)
        rest_before = (rest[first:w] * usable).sum(axis=0)
        judged = (usable.sum(axis=0) >= config.min_history) & (rest_before > 0) & (rest[w] > 0)
        if not judged.any():
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            expected[w] = np.where(judged, rest[w] * cell_before / rest_before, np.nan)
            p_now = rest[w] / (rest[w] + rest_before)
        n = values[w] + cell_before
        # mid-p: the exact test is conservative at small counts; half the tie's mass fixes most
        tail = binom.sf(values[w], n, p_now) + 0.5 * binom.pmf(values[w], n, p_now)
        mask[w] = judged & (tail < config.alpha) & (values[w] - expected[w] >= config.min_rise)
    return mask, expected


def _cell_tables(frame: TicketFrame, by: Sequence[str]) -> dict[str, pd.DataFrame]:
    data = frame.data.dropna(subset=["account_id"])
    data = data[(data[list(by)] != NO_LABEL).all(axis=1)]
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
