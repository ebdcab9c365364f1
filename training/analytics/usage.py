"""The product-usage input: what each account did per week (optionally per feature).

A usage file (CSV, Parquet, JSON Lines — whatever `training.io.readers` reads) has an account
column, a week or date column, optionally a feature column, one numeric measure (active users,
sessions, events) and optionally a satisfaction series (NPS or CSAT per account and week). The
columns are found by the names below or named by the caller (`--usage-column KEY=COLUMN`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from classifier.errors import ExportFormatError
from training.analytics.frame import TicketFrame, window_start
from training.io.dates import parse_dates
from training.io.readers import iter_export

USAGE_COLUMNS: dict[str, tuple[str, ...]] = {
    "account_id": ("account_id", "account", "customer_id", "customer", "company", "organization"),
    "week": ("week", "week_start", "date", "day", "period"),
    "feature": ("feature", "module", "product_area", "area"),
    "measure": ("active_users", "users", "sessions", "events", "measure", "value", "count"),
    "satisfaction": ("nps", "csat", "satisfaction"),
}
REQUIRED = ("account_id", "week", "measure")
_USER_MEASURES = ("active_users", "users", "seats", "mau", "wau")


def _norm(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


@dataclass(frozen=True)
class Usage:
    """Usage summed per (account, window[, feature]); rows for unknown accounts left out."""

    data: pd.DataFrame
    """Columns `account_id`, `window`, `measure`, and `feature`/`satisfaction` where given."""
    source: str
    measure: str
    """The file's measure column, as named there."""
    unknown_accounts: int = 0
    unknown_rows: int = 0

    @property
    def has_features(self) -> bool:
        return "feature" in self.data.columns

    @property
    def counts_users(self) -> bool:
        """True when the measure counts people, so per-100-users rates make sense."""
        return _norm(self.measure) in _USER_MEASURES

    def per_account(self) -> pd.DataFrame:
        """Windows (rows) × accounts (columns): the measure summed over features."""
        table = self.data.groupby(["window", "account_id"])["measure"].sum().unstack(fill_value=0)
        return table.sort_index()


def _find_columns(columns: list[str], wanted: Mapping[str, str], source: str) -> dict[str, str]:
    found: dict[str, str] = {}
    by_norm = {_norm(c): c for c in columns}
    for key, column in wanted.items():
        if key not in USAGE_COLUMNS:
            raise ExportFormatError(
                f"unknown usage column key '{key}': use one of {', '.join(USAGE_COLUMNS)} "
                "in --usage-column KEY=COLUMN",
                file=source,
            )
        if column not in columns:
            raise ExportFormatError(
                f"no column '{column}' for usage '{key}'; found: {', '.join(columns[:20])}",
                file=source,
                field=column,
            )
        found[key] = column
    for key, candidates in USAGE_COLUMNS.items():
        if key in found:
            continue
        match = next((by_norm[c] for c in candidates if c in by_norm), None)
        if match is not None and match not in found.values():
            found[key] = match
    for key in REQUIRED:
        if key not in found:
            raise ExportFormatError(
                f"no usage '{key}' column: expected one of {', '.join(USAGE_COLUMNS[key])}; "
                f"found: {', '.join(columns[:20])} (name it with --usage-column {key}=COLUMN)",
                file=source,
                field=key,
            )
    return found


def _numbers(cells: pd.Series, *, source: str, column: str, what: str) -> pd.Series:
    text = cells.astype(str).str.strip()
    values = pd.to_numeric(text.where(text != ""), errors="coerce")
    bad = (values.isna() & (text != "")).to_numpy().nonzero()[0]
    if len(bad):
        rows = ", ".join(str(int(i) + 1) for i in bad[:5]) + (" …" if len(bad) > 5 else "")
        raise ExportFormatError(
            f"the {what} must be numeric: '{text.iloc[bad[0]][:30]}' and {len(bad) - 1} more "
            f"cells are not (rows {rows}); name another column with --usage-column {what}=COLUMN",
            file=source,
            row=int(bad[0]) + 1,
            field=column,
        )
    return values


def _range(windows: pd.Series | pd.DatetimeIndex) -> str:
    return f"{windows.min():%Y-%m-%d}..{windows.max():%Y-%m-%d}"


def load_usage(
    path: Path,
    frame: TicketFrame,
    *,
    columns: Mapping[str, str] | None = None,
    known_accounts: Collection[str] | None = None,
) -> Usage:
    """Read a usage file into weekly sums on the tickets' windows.

    Accounts are known when they filed a ticket or are in `known_accounts` (the accounts file);
    rows for other accounts are counted in `unknown_rows`/`unknown_accounts` and left out. A
    usage file none of whose weeks fall in the tickets' weeks is an error naming both ranges.
    """
    source = str(path)
    table = pd.concat(list(iter_export(path)), ignore_index=True)
    found = _find_columns([str(c) for c in table.columns], dict(columns or {}), source)
    data = pd.DataFrame(index=table.index)
    data["account_id"] = table[found["account_id"]].astype(str).str.strip()
    stamps = parse_dates(table[found["week"]], source=source, column=found["week"])
    if stamps.isna().any():
        row = int(stamps.isna().to_numpy().nonzero()[0][0]) + 1
        raise ExportFormatError("empty week/date cell", file=source, row=row, field=found["week"])
    data["window"] = window_start(stamps, frame.window)
    data["measure"] = _numbers(
        table[found["measure"]], source=source, column=found["measure"], what="measure"
    ).fillna(0.0)
    if "feature" in found:
        data["feature"] = table[found["feature"]].astype(str).str.strip()
    if "satisfaction" in found:
        data["satisfaction"] = _numbers(
            table[found["satisfaction"]],
            source=source,
            column=found["satisfaction"],
            what="satisfaction",
        )
    ticket_windows = frame.windows
    overlap = data["window"].isin(ticket_windows)
    if not overlap.any():
        raise ExportFormatError(
            f"usage weeks {_range(data['window'])} do not overlap the tickets' weeks "
            f"{_range(ticket_windows)}",
            file=source,
            field=found["week"],
        )
    known = set(frame.data["account_id"].dropna()) if frame.has_accounts else set()
    known |= set(known_accounts or ())
    unknown = ~data["account_id"].isin(known)
    kept = data[overlap & ~unknown]
    keys = ["account_id", "window"] + (["feature"] if "feature" in data.columns else [])
    summed = kept.groupby(keys, as_index=False).agg(measure=("measure", "sum"))
    if "satisfaction" in kept.columns:
        mood = kept.groupby(keys, as_index=False)["satisfaction"].mean()
        summed = summed.merge(mood, on=keys)
    return Usage(
        summed,
        source,
        found["measure"],
        unknown_accounts=int(data.loc[unknown, "account_id"].nunique()),
        unknown_rows=int(unknown.sum()),
    )


def active_from_usage(usage: Usage, frame: TicketFrame) -> pd.Series:
    """Accounts active per window: those with a positive measure that window."""
    active = (usage.per_account() > 0).sum(axis=1)
    return active.reindex(frame.windows, fill_value=0).astype(int)


def tickets_per_active_by_tier(frame: TicketFrame, usage: Usage, tiers: pd.Series) -> pd.DataFrame:
    """Windows × tiers: tickets from the tier's accounts per usage-active account of the tier.

    `tiers` maps account_id to tier; NaN where nobody in the tier was active.
    """
    active = usage.per_account() > 0
    data = frame.data.dropna(subset=["account_id"])
    tier_of = data["account_id"].map(tiers)
    filed = data.assign(tier=tier_of).dropna(subset=["tier"]).groupby(["window", "tier"]).size()
    result = {}
    for tier in sorted(set(tiers.dropna())):
        members = [a for a in active.columns if tiers.get(a) == tier]
        count = active[members].sum(axis=1).reindex(frame.windows, fill_value=0)
        tickets = filed.xs(tier, level="tier") if tier in filed.index.get_level_values(1) else None
        per = (tickets if tickets is not None else pd.Series(dtype=float)).reindex(
            frame.windows, fill_value=0
        )
        result[tier] = per / count.replace(0, float("nan"))
    return pd.DataFrame(result, index=frame.windows)
