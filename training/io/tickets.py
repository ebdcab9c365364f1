"""One chunk of an export (string cells) into `Ticket` records, through a `ColumnMapping`."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pandas as pd
from pydantic import TypeAdapter

from classifier.errors import ExportFormatError
from classifier.records import MetadataValue, Ticket
from training.io.columns import ColumnMapping
from training.io.dates import parse_dates

_TICKETS = TypeAdapter(list[Ticket])

NUMERIC_METADATA = frozenset(
    {"csat", "resolution_hours", "resolution_minutes", "resolution_seconds"}
)


def _cells(frame: pd.DataFrame, column: str | None) -> pd.Series:
    """Stripped strings of one column; an absent column (or no mapping) reads as empty."""
    if column is None or column not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].fillna("").astype(str).str.strip()


def _datetimes(
    cells: pd.Series, *, source: str, first_row: int, column: str, date_format: str | None
) -> list[Any]:
    parsed = parse_dates(
        cells, source=source, first_row=first_row, column=column, date_format=date_format
    )
    naive: list[Any] = parsed.dt.tz_localize(None).to_numpy("datetime64[us]").tolist()
    return [None if stamp is None else stamp.replace(tzinfo=UTC) for stamp in naive]


def _metadata_values(key: str, cells: pd.Series) -> list[MetadataValue]:
    if key not in NUMERIC_METADATA:
        return [cell or None for cell in cells.tolist()]
    numbers = pd.to_numeric(cells, errors="coerce").tolist()
    return [
        float(number) if number == number else (cell or None)
        for cell, number in zip(cells.tolist(), numbers, strict=True)
    ]


def tickets_from_frame(
    frame: pd.DataFrame, mapping: ColumnMapping, *, source: str, first_row: int
) -> list[Ticket]:
    """Turn one chunk of an export (all cells str, "" when missing) into tickets.

    `first_row` is the 1-based data record number of the chunk's first row; it names rows in
    errors and generated ids (`row-17`) when the export has no id column. Empty label and
    metadata cells are left out; csat and resolution_hours become floats when numeric.
    """
    if mapping.id is None:
        ids = [f"row-{row}" for row in range(first_row, first_row + len(frame))]
    else:
        ids = _cells(frame, mapping.id).tolist()
        if "" in ids:
            row = first_row + ids.index("")
            raise ExportFormatError("empty ticket id", file=source, row=row, field=mapping.id)
    created: list[Any] = [None] * len(frame)
    if mapping.created_at is not None:
        cells = _cells(frame, mapping.created_at)
        created = _datetimes(
            cells,
            source=source,
            first_row=first_row,
            column=mapping.created_at,
            date_format=mapping.date_format,
        )
    accounts = [cell or None for cell in _cells(frame, mapping.account_id).tolist()]
    labels = [_cells(frame, column).tolist() for column in mapping.labels.values()]
    metadata = [_metadata_values(k, _cells(frame, c)) for k, c in mapping.metadata.items()]
    records = [
        {
            "id": ticket_id,
            "subject": subject,
            "body": body,
            "created_at": created_at,
            "account_id": account_id,
            "labels": {f: v for f, v in zip(mapping.labels, label_row, strict=True) if v},
            "metadata": {
                k: v for k, v in zip(mapping.metadata, meta_row, strict=True) if v is not None
            },
        }
        for ticket_id, subject, body, created_at, account_id, label_row, meta_row in zip(
            ids,
            _cells(frame, mapping.subject).tolist(),
            _cells(frame, mapping.body or mapping.text).tolist(),
            created,
            accounts,
            zip(*labels, strict=True) if labels else [()] * len(frame),
            zip(*metadata, strict=True) if metadata else [()] * len(frame),
            strict=True,
        )
    ]
    return _TICKETS.validate_python(records)
