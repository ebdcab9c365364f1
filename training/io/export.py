"""Read a whole helpdesk export into tickets (for training and evaluation)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from classifier.records import Ticket
from training.io.columns import ColumnMapping, detect_mapping
from training.io.dates import date_order
from training.io.id_guard import DuplicateIdGuard
from training.io.readers import iter_export, read_columns
from training.io.tickets import tickets_from_frame


def read_tickets(
    path: Path,
    label_fields: list[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    chunk_rows: int = 5000,
    encoding: str | None = None,
) -> tuple[list[Ticket], ColumnMapping]:
    """All tickets of an export, ids checked for duplicates, and the column mapping used.

    The order of `dd/mm`/`mm/dd` dates is settled over the whole file (not chunk by chunk) and
    recorded in the returned mapping's `date_format`.
    """
    columns = read_columns(path, encoding=encoding)
    mapping = detect_mapping(columns, label_fields, overrides, source=str(path))
    frames = list(iter_export(path, chunk_rows=chunk_rows, encoding=encoding))
    if mapping.created_at is not None and mapping.date_format is None:
        column = mapping.created_at
        cells = pd.concat([frame[column] for frame in frames if column in frame.columns])
        order = date_order(cells, source=str(path), column=mapping.created_at)
        mapping = mapping.model_copy(update={"date_format": order})
    tickets: list[Ticket] = []
    with DuplicateIdGuard(path) as guard:
        for frame in frames:
            first_row = len(tickets) + 1
            chunk = tickets_from_frame(frame, mapping, source=str(path), first_row=first_row)
            guard.check(chunk, first_row=first_row)
            tickets.extend(chunk)
    return tickets, mapping
