"""Stream helpdesk exports (CSV/TSV, JSON Lines or arrays, Parquet, xlsx) as chunks of string cells.

Every chunk is a DataFrame whose cells are all `str` ("" where missing) and whose index is the
0-based position in the file, so `frame.index[0] + 1` is the chunk's first 1-based data row — the
row numbering every `ExportFormatError` uses (the line after a CSV's header is row 1). The format
is chosen from the file name; each one is read by its module in `training.io.formats`.
"""

from __future__ import annotations

import codecs
import itertools
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from classifier.errors import ExportFormatError
from classifier.records import Ticket
from training.io.formats import (
    csv_chunks,
    csv_count,
    csv_header,
    excel_chunks,
    excel_table,
    json_array_chunks,
    json_array_columns,
    json_array_records,
    jsonl_chunks,
    jsonl_columns,
    jsonl_count,
    parquet_chunk,
    parquet_chunks,
    parquet_columns,
    parquet_count,
    resolve_encoding,
    sniff_delimiter,
)
from training.io.formats.csv import SNIFF_BYTES
from training.io.id_guard import DuplicateIdGuard

logger = logging.getLogger(__name__)

FORMATS = dict.fromkeys((".csv", ".tsv", ".txt"), "csv") | dict.fromkeys(
    (".jsonl", ".ndjson"), "jsonl"
)
FORMATS[".parquet"] = "parquet"
FORMATS[".json"] = "json"  # a JSON array of objects, or JSON Lines under a .json name
FORMATS |= dict.fromkeys((".xlsx", ".xlsm", ".xls"), "excel")


def _kind(path: Path) -> str:
    if not path.is_file():
        raise ExportFormatError("file not found", file=path)
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        supported = ", ".join(FORMATS)
        message = f"unsupported file type '{path.suffix}'; expected one of {supported}"
        raise ExportFormatError(message, file=path)
    if path.stat().st_size == 0:
        raise ExportFormatError("file is empty: no tickets", file=path)
    if kind == "json":
        with path.open("rb") as handle:
            start = handle.read(SNIFF_BYTES).lstrip(codecs.BOM_UTF8).lstrip()
        return "json" if start.startswith(b"[") else "jsonl"
    return kind


def iter_export(
    path: str | Path,
    *,
    chunk_rows: int = 5000,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> Iterator[pd.DataFrame]:
    """Yield an export in chunks of `chunk_rows` rows (the last may be shorter), all cells `str`.

    The same file and `chunk_rows` always give the same chunks; memory stays flat in the file's
    size (xlsx and JSON arrays are read whole). CSV delimiters are sniffed among `,;<tab>|`
    unless `delimiter` is given; `encoding` defaults to `resolve_encoding`'s choice. Raises
    `ExportFormatError` for a missing, empty, undecodable or malformed file.
    """
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, got {chunk_rows}")
    path = Path(path)
    kind = _kind(path)
    if kind in ("csv", "jsonl", "json"):
        encoding = resolve_encoding(path, encoding)
    if kind == "csv":
        chunks = csv_chunks(path, chunk_rows, delimiter, encoding or "utf-8")
    elif kind == "jsonl":
        chunks = jsonl_chunks(path, chunk_rows, encoding or "utf-8")
    elif kind == "json":
        chunks = json_array_chunks(path, chunk_rows, encoding or "utf-8")
    elif kind == "excel":
        chunks = excel_chunks(path, chunk_rows)
    else:
        chunks = parquet_chunks(path, chunk_rows)
    rows = 0
    for chunk in chunks:
        if len(chunk):
            rows += len(chunk)
            yield chunk
    if rows == 0:
        raise ExportFormatError("no tickets: the file has no data rows", file=path)
    logger.debug("read %d rows from %s", rows, path)


def read_chunk(path: str | Path, index: int, chunk_rows: int) -> pd.DataFrame:
    """Chunk number `index` (0-based) of `iter_export(path, chunk_rows=chunk_rows)`.

    Parquet reads only the row groups holding the chunk; CSV and JSON Lines have no index, so the
    earlier rows are streamed past. Raises `ExportFormatError` when the file has no such chunk.
    """
    path = Path(path)
    start = index * chunk_rows
    if _kind(path) == "parquet":
        found = parquet_chunk(path, start, chunk_rows)
    else:
        found = next(itertools.islice(iter_export(path, chunk_rows=chunk_rows), index, None), None)
    if found is not None:
        return found
    raise ExportFormatError(f"the file has no rows from row {start + 1} on", file=path)


def read_columns(
    path: str | Path, *, delimiter: str | None = None, encoding: str | None = None
) -> list[str]:
    """The export's column names as `iter_export` names them.

    JSON Lines has no header: its columns are the keys found in the first 1,000 records.
    """
    path = Path(path)
    kind = _kind(path)
    if kind == "parquet":
        return parquet_columns(path)
    if kind == "excel":
        return list(excel_table(path, rows=0).columns)
    encoding = resolve_encoding(path, encoding)
    if kind == "json":
        return json_array_columns(path, encoding)
    if kind == "jsonl":
        return jsonl_columns(path, encoding)
    return csv_header(path, delimiter or sniff_delimiter(path, encoding), encoding)


def count_rows(
    path: str | Path, *, delimiter: str | None = None, encoding: str | None = None
) -> int:
    """Number of data rows (Parquet: from its metadata; CSV/JSON Lines: one streaming pass)."""
    path = Path(path)
    kind = _kind(path)
    if kind == "parquet":
        return parquet_count(path)
    if kind == "jsonl":
        return jsonl_count(path)
    if kind == "excel":
        return len(excel_table(path))
    if kind == "json":
        return len(json_array_records(path, resolve_encoding(path, encoding)))
    return csv_count(path, delimiter, resolve_encoding(path, encoding))


def check_unique_ids(tickets: Sequence[Ticket], *, source: str | Path, first_row: int = 1) -> None:
    """Raise `ExportFormatError` if any ticket id repeats within `tickets`."""
    with DuplicateIdGuard(source) as guard:
        guard.check(tickets, first_row=first_row)
