"""Tickets per window per label (and per label pair), and each label's share of the window."""

from __future__ import annotations

import pandas as pd

from classifier.records import NO_LABEL
from training.analytics.frame import TicketFrame


def counts(frame: TicketFrame, *by: str) -> pd.DataFrame:
    """Tickets per window (rows, every window included) per value of `by` (columns).

    Tickets with an empty label in any of `by` are left out. Several fields give a column
    MultiIndex (e.g. category × feature).
    """
    frame.require("created_at")
    data = frame.data
    labeled = data[(data[list(by)] != NO_LABEL).all(axis=1)]
    table = labeled.groupby(["window", *by]).size().unstack(list(by), fill_value=0)
    return table.reindex(frame.windows, fill_value=0).fillna(0).astype(int)


def shares(table: pd.DataFrame) -> pd.DataFrame:
    """Each column's share (%) of its row's total; an empty window's shares are NaN."""
    totals = table.sum(axis=1).replace(0, float("nan"))
    return table.div(totals, axis=0) * 100


def totals(frame: TicketFrame) -> pd.Series:
    """All tickets per window (labeled or not)."""
    frame.require("created_at")
    return frame.data.groupby("window").size().reindex(frame.windows, fill_value=0)
