"""Load a labeled export (or a prediction log) into one tidy frame the analytics read.

The frame has one row per ticket with `created_at` (UTC), `window` (the start of its week or
month), `account_id` where known, one column per label field (the model's `predicted_<field>`
when the export has it, else the true `<field>`; `classifier.records.NO_LABEL` where empty),
`<field>__review` (needs_review, where present) and the metadata the service-level report reads
(`tier`, `csat`, `resolution_hours`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from classifier.errors import ExportFormatError
from classifier.records import NO_LABEL
from training.io.readers import iter_export

CREATED_COLUMNS = ("created_at", "created", "created time", "created date", "date")
ACCOUNT_COLUMNS = ("account_id", "account", "customer_id", "customer", "organization", "company")
DEFAULT_FIELDS = ("category", "feature")
WINDOWS = {"week": "W-SUN", "month": "M"}
_PREDICTION_SUFFIXES = ("_confidence", "_top3", "_needs_review", "_review_reason")
_TRUE = frozenset({"true", "1", "yes", "t"})

NEEDS = {
    "created_at": "weekly counts, shares, spikes, trends, silence and drift windows",
    "account_id": "tickets per active customer, cross-account spikes and silent accounts",
}


def review_column(field: str) -> str:
    return f"{field}__review"


@dataclass(frozen=True)
class TicketFrame:
    """Tickets ready for analytics; `label_columns` says which export column fed each field."""

    data: pd.DataFrame
    fields: list[str]
    label_columns: dict[str, str]
    source: str
    window: str = "week"

    @property
    def windows(self) -> pd.DatetimeIndex:
        """Every window from the first ticket's to the last one's, empty ones included."""
        if self.data.empty:
            return pd.DatetimeIndex([])
        freq = "W-MON" if self.window == "week" else "MS"
        return pd.date_range(self.data["window"].min(), self.data["window"].max(), freq=freq)

    @property
    def has_accounts(self) -> bool:
        return "account_id" in self.data.columns

    def require(self, column: str) -> None:
        """Raise an error naming `column` and the reports that need it, if it is missing."""
        if column not in self.data.columns:
            raise ExportFormatError(
                f"no '{column}' column: {NEEDS.get(column, 'this report')} need it "
                f"(name it with --{column.replace('_', '-').removesuffix('-id')}-column)",
                file=self.source,
                field=column,
            )


def _find(columns: Sequence[str], wanted: str | None, candidates: Sequence[str]) -> str | None:
    if wanted is not None:
        return wanted if wanted in columns else None
    by_norm = {c.casefold().replace("_", " ").strip(): c for c in columns}
    for candidate in candidates:
        found = by_norm.get(candidate.replace("_", " "))
        if found is not None:
            return found
    return None


def detect_fields(columns: Sequence[str]) -> list[str]:
    """Label fields: those with `predicted_<field>` columns, else category/feature if present."""
    predicted = [
        c.removeprefix("predicted_")
        for c in columns
        if c.startswith("predicted_") and not c.endswith(_PREDICTION_SUFFIXES)
    ]
    return predicted or [f for f in DEFAULT_FIELDS if f in columns]


def window_start(stamps: pd.Series, window: str = "week") -> pd.Series:
    """The Monday (week) or first day (month) that opens each timestamp's window, tz-naive."""
    if window not in WINDOWS:
        raise ExportFormatError(f"unknown window '{window}': use one of {', '.join(WINDOWS)}")
    naive = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return naive.dt.to_period(WINDOWS[window]).dt.start_time


def frame_from_table(
    table: pd.DataFrame,
    *,
    source: str,
    fields: Sequence[str] | None = None,
    window: str = "week",
    created_column: str | None = None,
    account_column: str | None = None,
) -> TicketFrame:
    """Build a `TicketFrame` from string cells (an export) or typed ones (a prediction log)."""
    if table.empty:
        raise ExportFormatError("no tickets: the export is empty", file=source)
    columns = [str(c) for c in table.columns]
    chosen = list(fields) if fields else detect_fields(columns)
    if not chosen:
        raise ExportFormatError(
            "no label columns: expected predicted_<field> (from `ticketlens label`) or "
            "category/feature columns; name them with --field",
            file=source,
        )
    data = pd.DataFrame(index=table.index)
    label_columns = {}
    for name in chosen:
        column = f"predicted_{name}" if f"predicted_{name}" in columns else name
        if column not in columns:
            raise ExportFormatError(
                f"no 'predicted_{name}' or '{name}' column for label field '{name}'",
                file=source,
                field=name,
            )
        label_columns[name] = column
        labels = table[column].astype(object).where(table[column].notna(), "").astype(str)
        data[name] = labels.mask(labels == "", NO_LABEL)
        review = f"predicted_{name}_needs_review"
        if review in columns:
            data[review_column(name)] = table[review].astype(str).str.lower().isin(_TRUE)
    created = _find(columns, created_column, CREATED_COLUMNS)
    if created is not None:
        data["created_at"] = _parse_dates(table[created], source, created)
        data["window"] = window_start(data["created_at"], window)
    account = _find(columns, account_column, ACCOUNT_COLUMNS)
    if account is not None:
        accounts = table[account].astype(str).str.strip()
        data["account_id"] = accounts.mask(accounts == "")
    for key in ("tier", "csat", "resolution_hours"):
        if key in columns:
            data[key] = table[key]
    for key in ("csat", "resolution_hours"):
        if key in data.columns:
            data[key] = pd.to_numeric(data[key], errors="coerce")
    if "tier" in data.columns:
        tiers = data["tier"].astype(str).str.strip()
        data["tier"] = tiers.mask(tiers == "")
    return TicketFrame(data.reset_index(drop=True), chosen, label_columns, source, window)


def _parse_dates(cells: pd.Series, source: str, column: str) -> pd.Series:
    parsed = pd.to_datetime(cells.replace("", pd.NA), utc=True, errors="coerce", format="mixed")
    bad = parsed.isna() & cells.notna() & (cells.astype(str) != "")
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise ExportFormatError(
            f"cannot read '{str(cells.iloc[row])[:40]}' as a date ({int(bad.sum())} unreadable)",
            file=source,
            row=row + 1,
            field=column,
        )
    return parsed


def load_export(
    path: Path,
    *,
    fields: Sequence[str] | None = None,
    window: str = "week",
    created_column: str | None = None,
    account_column: str | None = None,
) -> TicketFrame:
    """Read a (labeled) export of any supported format into a `TicketFrame`."""
    table = pd.concat(list(iter_export(path)), ignore_index=True)
    return frame_from_table(
        table,
        source=str(path),
        fields=fields,
        window=window,
        created_column=created_column,
        account_column=account_column,
    )
