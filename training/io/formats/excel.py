"""Excel workbooks (xlsx, xlsm, xls): the first sheet, read whole."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from classifier.errors import ExportFormatError


def excel_table(path: Path, *, rows: int | None = None) -> pd.DataFrame:
    """The workbook's first sheet as string cells (python-calamine through pandas)."""
    try:
        table = pd.read_excel(path, engine="calamine", dtype=str, nrows=rows)
    except Exception as exc:  # calamine raises its own types for damaged or encrypted files
        raise ExportFormatError(f"not a readable Excel workbook: {exc}", file=path) from exc
    table.columns = [str(name) for name in table.columns]
    return table.fillna("").astype(object)


def excel_chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The first sheet in chunks of `chunk_rows` rows."""
    table = excel_table(path)
    for start in range(0, len(table), chunk_rows):
        yield table.iloc[start : start + chunk_rows]
