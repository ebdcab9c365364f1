"""Parquet: streamed by record batch, structs flattened to dotted columns, cells as strings."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from classifier.errors import ExportFormatError
from training.io.formats.cells import cell


def parquet_file(path: Path) -> pq.ParquetFile:
    """The file opened, or an `ExportFormatError` saying it is not readable Parquet."""
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise ExportFormatError(f"not a readable Parquet file: {exc}", file=path) from exc


def _flat_table(table: pa.Table) -> pa.Table:
    while any(pa.types.is_struct(field.type) for field in table.schema):
        table = table.flatten()
    return table


def _arrow_strings(column: pa.ChunkedArray, path: Path, name: str) -> Any:
    if pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
        try:
            column = pc.cast(column, pa.string())
        except pa.ArrowInvalid as exc:
            raise ExportFormatError("bytes are not valid UTF-8", file=path, field=name) from exc
    try:
        strings = pc.cast(column, pa.string())
    except pa.ArrowException:  # lists, maps and the like: JSON text, as in JSON Lines
        strings = pa.chunked_array([[cell(value) for value in column.to_pylist()]], pa.string())
    return pc.fill_null(strings, "").to_numpy(zero_copy_only=False)


def _table_frame(table: pa.Table, start: int, path: Path) -> pd.DataFrame:
    table = _flat_table(table)
    data = {
        name: _arrow_strings(column, path, name)
        for name, column in zip(table.column_names, table.columns, strict=True)
    }
    return pd.DataFrame(data, index=pd.RangeIndex(start, start + table.num_rows), dtype=object)


def parquet_chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Re-batch Parquet's row-group-bounded batches into chunks of exactly `chunk_rows`."""
    parquet = parquet_file(path)
    pending: list[pa.RecordBatch] = []
    pending_rows = start = 0
    try:
        for batch in parquet.iter_batches(batch_size=chunk_rows):
            pending.append(batch)
            pending_rows += batch.num_rows
            while pending_rows >= chunk_rows:
                table = pa.Table.from_batches(pending, schema=parquet.schema_arrow)
                yield _table_frame(table.slice(0, chunk_rows), start, path)
                start += chunk_rows
                rest = table.slice(chunk_rows)
                pending, pending_rows = rest.to_batches(), rest.num_rows
    except (pa.ArrowException, OSError) as exc:
        raise ExportFormatError(f"cannot read the Parquet file: {exc}", file=path) from exc
    if pending_rows:
        yield _table_frame(pa.Table.from_batches(pending, parquet.schema_arrow), start, path)


def parquet_chunk(path: Path, start: int, chunk_rows: int) -> pd.DataFrame | None:
    """Rows `start` … `start + chunk_rows - 1` (0-based), reading only the row groups holding
    them; None when the file has no row `start`."""
    metadata = parquet_file(path).metadata
    sizes = [metadata.row_group(group).num_rows for group in range(metadata.num_row_groups)]
    ends = list(itertools.accumulate(sizes))
    groups = [
        g for g, end in enumerate(ends) if end > start and end - sizes[g] < start + chunk_rows
    ]
    if not groups:
        return None
    table = pq.ParquetFile(path).read_row_groups(groups)
    offset = start - (ends[groups[0]] - sizes[groups[0]])
    return _table_frame(table.slice(offset, chunk_rows), start, path)


def parquet_columns(path: Path) -> list[str]:
    """Column names from the schema, structs flattened as the chunks flatten them."""
    return list(_flat_table(parquet_file(path).schema_arrow.empty_table()).column_names)


def parquet_count(path: Path) -> int:
    """Number of rows, from the file's metadata."""
    return int(parquet_file(path).metadata.num_rows)
