"""Load a labeled export (or a prediction log) into one tidy frame the analytics read.

The frame has one row per ticket with `created_at` (UTC), `window` (the start of its week or
month), `account_id` where known, one column per label field (the model's `predicted_<field>`
when the export has it, else the true `<field>`; `classifier.records.NO_LABEL` where empty),
`<field>__review` (needs_review, where present) and the metadata the service-level report reads
(`tier`, `csat` as a number, `satisfied` as 1/0, `resolution_hours`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from classifier.errors import ExportFormatError
from classifier.records import NO_LABEL
from training.analytics.satisfaction import csat_columns, resolution_hours
from training.io.columns import date_format_for, detect_columns
from training.io.dates import parse_dates
from training.io.readers import iter_export

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
    used: dict[str, str] = field(default_factory=dict)
    """What each analytics input was read from (`created_at`: 'Created at', `csat`: …)."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Analytics left out, with why (`csat`: 'no CSAT column: …')."""

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


def detect_fields(columns: Sequence[str]) -> list[str]:
    """Label fields: those with `predicted_<field>` columns, else category/feature if present."""
    predicted = [
        c.removeprefix("predicted_")
        for c in columns
        if c.startswith("predicted_") and not c.endswith(_PREDICTION_SUFFIXES)
    ]
    return predicted or [f for f in DEFAULT_FIELDS if f in columns]


def window_start(stamps: pd.Series, window: str = "week", tz: str | None = None) -> pd.Series:
    """The Monday (week) or first day (month) that opens each timestamp's window, tz-naive.

    Windows are cut in UTC, or on the wall clock of the IANA time zone `tz`.
    """
    if window not in WINDOWS:
        raise ExportFormatError(f"unknown window '{window}': use one of {', '.join(WINDOWS)}")
    try:
        naive = stamps.dt.tz_convert(tz or "UTC").dt.tz_localize(None)
    except (KeyError, ValueError) as exc:  # zoneinfo's ZoneInfoNotFoundError is a KeyError
        raise ExportFormatError(f"unknown time zone '{tz}' (--tz takes e.g. Europe/Paris)") from exc
    return naive.dt.to_period(WINDOWS[window]).dt.start_time


def frame_from_table(
    table: pd.DataFrame,
    *,
    source: str,
    fields: Sequence[str] | None = None,
    window: str = "week",
    created_column: str | None = None,
    account_column: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    tz: str | None = None,
    escalation_column: str | None = None,
) -> TicketFrame:
    """Build a `TicketFrame` from string cells (an export) or typed ones (a prediction log).

    The creation-time, account and service-level columns are found as `train` and `label` find
    them (`training.io.columns`: presets, then common names; `overrides` is a mapping file's
    content and may name a preset); `created_column`/`account_column`/`escalation_column` win
    over both.
    """
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
    found, metadata = detect_columns(
        columns, _with_flags(overrides, created_column, account_column), source=source
    )
    used: dict[str, str] = {}
    skipped: dict[str, str] = {}
    created = found.get("created_at")
    date_format = date_format_for(overrides)
    if created is not None:
        data["created_at"] = parse_dates(
            table[created], source=source, column=created, date_format=date_format
        )
        data["window"] = window_start(data["created_at"], window, tz)
        used["created_at"] = created
    account = found.get("account_id")
    if account is not None:
        cells = table[account]
        accounts = cells.astype(object).where(cells.notna(), "").astype(str).str.strip()
        data["account_id"] = accounts.mask(accounts == "")
        used["account_id"] = account
    if "tier" in metadata:
        tiers = table[metadata["tier"]].astype(object).fillna("").astype(str).str.strip()
        data["tier"] = tiers.mask(tiers == "")
        used["tier"] = metadata["tier"]
    escalation = escalation_column or metadata.get("escalation")
    if escalation is not None:
        if escalation not in columns:
            raise ExportFormatError(
                f"no column '{escalation}' for --escalation-column; "
                f"the export has: {', '.join(columns[:30])}",
                file=source,
                field=escalation,
            )
        data["escalation"] = table[escalation].astype(object).fillna("").astype(str).str.strip()
        used["escalation"] = escalation
    if "csat" in metadata:
        score, satisfied, described = csat_columns(table[metadata["csat"]], metadata["csat"])
        if satisfied is None:
            skipped["csat"] = described
        else:
            data["satisfied"] = satisfied
            if score is not None:
                data["csat"] = score
            used["csat"] = described
    else:
        skipped["csat"] = "no CSAT column (map one with metadata: {csat: COLUMN} in --columns)"
    hours, described = resolution_hours(
        table, metadata, data.get("created_at"), source=source, date_format=date_format
    )
    if hours is None:
        skipped["resolution"] = described
    else:
        data["resolution_hours"] = hours
        used["resolution_hours"] = described
    return TicketFrame(
        data.reset_index(drop=True), chosen, label_columns, source, window, used, skipped
    )


def _with_flags(
    overrides: Mapping[str, Any] | None, created_column: str | None, account_column: str | None
) -> dict[str, Any]:
    flags = {"created_at": created_column, "account_id": account_column}
    chosen = {key: column for key, column in flags.items() if column}
    result = dict(overrides or {})
    if chosen:
        result["columns"] = {**dict(result.get("columns") or {}), **chosen}
    return result


def load_export(
    path: Path,
    *,
    fields: Sequence[str] | None = None,
    window: str = "week",
    created_column: str | None = None,
    account_column: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    tz: str | None = None,
    encoding: str | None = None,
    escalation_column: str | None = None,
) -> TicketFrame:
    """Read a (labeled) export of any supported format into a `TicketFrame`."""
    table = pd.concat(list(iter_export(path, encoding=encoding)), ignore_index=True)
    return frame_from_table(
        table,
        source=str(path),
        fields=fields,
        window=window,
        created_column=created_column,
        account_column=account_column,
        overrides=overrides,
        tz=tz,
        escalation_column=escalation_column,
    )
