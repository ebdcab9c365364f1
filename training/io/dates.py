"""The one date parser: every export, accounts file and prediction log reads its dates here."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from classifier.errors import ExportFormatError


def parse_dates(
    cells: pd.Series, *, source: str | Path | None, column: str, first_row: int = 1
) -> pd.Series:
    """UTC timestamps of one column (strings, or datetimes from a log); empty cells are NaT.

    Cells in the first cell's format are parsed together, the others one by one. A cell that is
    no date raises `ExportFormatError` naming its row (`first_row` is the first cell's 1-based
    data record number) and `column`.
    """
    text = cells.astype(object).where(cells.notna(), "").astype(str).str.strip()
    present = text != ""
    if not present.any():
        return pd.Series(pd.NaT, index=cells.index, dtype="datetime64[ns, UTC]")
    with warnings.catch_warnings():  # pandas warns when it falls back to per-cell parsing
        warnings.simplefilter("ignore", UserWarning)
        parsed = pd.to_datetime(text.where(present), utc=True, errors="coerce")
        retry = parsed.isna() & present
        if retry.any():  # formats differing from the first cell's: parse those one by one
            parsed[retry] = pd.to_datetime(text[retry], utc=True, errors="coerce", format="mixed")
    bad = (parsed.isna() & present).to_numpy().nonzero()[0]
    if len(bad):
        more = f" ({len(bad)} unreadable dates)" if len(bad) > 1 else ""
        raise ExportFormatError(
            f"cannot read '{text.iloc[bad[0]][:40]}' as a date{more}",
            file=source,
            row=first_row + int(bad[0]),
            field=column,
        )
    return parsed
