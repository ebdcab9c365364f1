"""Exceptions for input a person can fix; each names where the problem is."""

from __future__ import annotations

from pathlib import Path


class TicketlensError(Exception):
    """Base error: a one-line message plus the file, row and field it concerns."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ExportFormatError(TicketlensError):
    """A helpdesk export cannot be read or parsed into tickets."""


class TaxonomyError(TicketlensError):
    """The taxonomy file is malformed, or labels fall outside it."""


class BundleError(TicketlensError):
    """A model bundle is missing, tampered with, or does not match this installation."""


class EmbeddingModelError(TicketlensError):
    """The embedding model cannot be found or is not the one a bundle was trained with."""
