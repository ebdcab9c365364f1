"""Active customers per week, tickets per active customer, and accounts that went silent.

"Active" comes from an accounts file when one is given: a CSV with `account_id` and either
`active_from`/`active_to` dates (an open end means still active) or a `week` column listing each
active week. Without one, the fallback: an account is active in a week when it filed a ticket in
that week or in any of the previous `lookback` weeks (4 by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from classifier.errors import ExportFormatError
from training.analytics.frame import TicketFrame, window_start
from training.io.dates import parse_dates

DEFAULT_LOOKBACK = 4


def _filed(frame: TicketFrame) -> pd.DataFrame:
    """Windows (rows) × accounts (columns): True when the account filed a ticket that window."""
    frame.require("created_at")
    frame.require("account_id")
    data = frame.data.dropna(subset=["account_id"])
    filed = data.groupby(["window", "account_id"]).size().unstack(fill_value=0) > 0
    return filed.reindex(frame.windows, fill_value=False)


def active_from_tickets(frame: TicketFrame, lookback: int = DEFAULT_LOOKBACK) -> pd.Series:
    """Accounts active per window: filed in that window or any of the previous `lookback`."""
    filed = _filed(frame).astype(int)
    active = filed.rolling(lookback + 1, min_periods=1).max() > 0
    return active.sum(axis=1).astype(int)


def active_from_file(path: Path, frame: TicketFrame) -> pd.Series:
    """Accounts active per window according to an accounts file (see the module docstring)."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "account_id" not in table.columns:
        raise ExportFormatError("no 'account_id' column in the accounts file", file=path)
    windows = frame.windows
    if "week" in table.columns:
        weeks = window_start(parse_dates(table["week"], source=path, column="week"), frame.window)
        listed = pd.DataFrame({"window": weeks, "account_id": table["account_id"]})
        per_window = listed.drop_duplicates().groupby("window").size()
        return per_window.reindex(windows, fill_value=0).astype(int)
    if "active_from" not in table.columns:
        raise ExportFormatError(
            "the accounts file needs 'active_from' (and optional 'active_to') or 'week' columns",
            file=path,
        )
    start = window_start(
        parse_dates(table["active_from"], source=path, column="active_from"), frame.window
    )
    end_cells = table.get("active_to", pd.Series("", index=table.index))
    end = window_start(parse_dates(end_cells, source=path, column="active_to"), frame.window)
    counts = [int(((start <= w) & (end.isna() | (end >= w))).sum()) for w in windows]
    return pd.Series(counts, index=windows, dtype=int)


def tickets_per_active(tickets: pd.Series, active: pd.Series) -> pd.Series:
    """Tickets per active customer per window (NaN when nobody was active)."""
    return tickets / active.replace(0, float("nan"))


@dataclass(frozen=True)
class SilentAccount:
    account_id: str
    active_weeks: int
    """Weeks with at least one ticket before the quiet stretch."""
    tickets_before: int
    last_ticket: str


def silent_accounts(
    frame: TicketFrame, quiet_weeks: int = 6, min_active_share: float = 0.5
) -> list[SilentAccount]:
    """Accounts that filed in ≥ `min_active_share` of the earlier weeks and none in the last K.

    The earlier weeks count from the account's first ticket, so a young account is not held to
    weeks before it existed; it needs at least 4 of them.
    """
    filed = _filed(frame)
    if len(filed) <= quiet_weeks:
        return []
    before, after = filed.iloc[:-quiet_weeks], filed.iloc[-quiet_weeks:]
    data = frame.data.dropna(subset=["account_id"])
    last = data.groupby("account_id")["created_at"].max()
    tickets = data.groupby("account_id").size()
    silent = []
    for account in filed.columns:
        if after[account].any():
            continue
        history = before[account]
        first = history.to_numpy().nonzero()[0]
        if not len(first):
            continue
        span = history.iloc[first[0] :]
        if len(span) >= 4 and span.mean() >= min_active_share:
            silent.append(
                SilentAccount(
                    str(account),
                    int(span.sum()),
                    int(tickets[account]),
                    f"{last[account]:%Y-%m-%d}",
                )
            )
    return sorted(silent, key=lambda s: -s.active_weeks)
