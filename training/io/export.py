"""Read a whole helpdesk export into tickets (for training and evaluation)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from classifier.records import Ticket
from training.io.columns import ColumnMapping, detect_mapping, tickets_from_frame
from training.io.id_guard import DuplicateIdGuard
from training.io.readers import iter_export, read_columns


def read_tickets(
    path: Path,
    label_fields: list[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    chunk_rows: int = 5000,
) -> tuple[list[Ticket], ColumnMapping]:
    """All tickets of an export, ids checked for duplicates, and the column mapping used."""
    mapping = detect_mapping(read_columns(path), label_fields, overrides, source=str(path))
    tickets: list[Ticket] = []
    with DuplicateIdGuard(path) as guard:
        for frame in iter_export(path, chunk_rows=chunk_rows):
            first_row = len(tickets) + 1
            chunk = tickets_from_frame(frame, mapping, source=str(path), first_row=first_row)
            guard.check(chunk, first_row=first_row)
            tickets.extend(chunk)
    return tickets, mapping
