"""Stream helpdesk exports (CSV/TSV, JSON Lines or arrays, Parquet, xlsx) as chunks of string cells.

Every chunk is a DataFrame whose cells are all `str` ("" where missing) and whose index is the
0-based position in the file, so `frame.index[0] + 1` is the chunk's first 1-based data row — the
row numbering every `ExportFormatError` uses (the line after a CSV's header is row 1).
"""

from __future__ import annotations

import codecs
import csv
import itertools
import json
import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from classifier.errors import ExportFormatError
from classifier.records import Ticket
from training.io.id_guard import DuplicateIdGuard

logger = logging.getLogger(__name__)

FORMATS = dict.fromkeys((".csv", ".tsv", ".txt"), "csv") | dict.fromkeys(
    (".jsonl", ".ndjson"), "jsonl"
)
FORMATS[".parquet"] = "parquet"
FORMATS[".json"] = "json"  # a JSON array of objects, or JSON Lines under a .json name
FORMATS |= dict.fromkeys((".xlsx", ".xlsm", ".xls"), "excel")
_LEGACY_ENCODINGS = ("cp1252", "latin-1")  # latin-1 decodes any byte: the last resort
_DELIMITERS = ",;\t|"
_SNIFF_BYTES = 64 * 1024
_JSONL_HEADER_RECORDS = 1000
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
# JSON's \uXXXX escapes can spell a lone UTF-16 surrogate, which no output format can store.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _delimiter_name(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else f"'{delimiter}'"


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
            start = handle.read(_SNIFF_BYTES).lstrip(codecs.BOM_UTF8).lstrip()
        return "json" if start.startswith(b"[") else "jsonl"
    return kind


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


_SEEN_ENCODINGS: dict[tuple[str, int, int], str] = {}


def resolve_encoding(path: str | Path, encoding: str | None) -> str:
    """`encoding` if given; else UTF-8, or cp1252 (then latin-1) for a file that is not UTF-8.

    A guessed legacy encoding is said in a warning, once per file.
    """
    if encoding is not None:
        return encoding
    path = Path(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _SEEN_ENCODINGS:
        found = "utf-8"
        if not _is_utf8(path):
            raw = path.read_bytes()
            for candidate in _LEGACY_ENCODINGS:
                try:
                    raw.decode(candidate)
                except UnicodeDecodeError:
                    continue
                found = candidate
                break
            logger.warning(
                "%s is not valid UTF-8: read as %s (pass --encoding to choose another)",
                path,
                found,
            )
        _SEEN_ENCODINGS[key] = found
    return _SEEN_ENCODINGS[key]


def _text_encoding(encoding: str) -> str:
    """UTF-8 reads with a byte-order mark stripped (Excel writes one)."""
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


def _sniff_delimiter(path: Path, encoding: str) -> str:
    """csv.Sniffer's guess when it splits the header as well as any, else the best splitter."""
    with path.open("rb") as handle:
        sample = handle.read(_SNIFF_BYTES).decode(_text_encoding(encoding), errors="replace")
    if "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]
    header = sample.splitlines()[0] if sample else ""
    widths = {d: len(next(csv.reader([header], delimiter=d), [])) for d in _DELIMITERS}
    try:
        sniffed: str | None = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    widest = max(widths.values())
    if sniffed is not None and widths[sniffed] == widest:
        return sniffed
    default = "\t" if path.suffix.lower() == ".tsv" else ","
    if widest > 1:
        return next(d for d in _DELIMITERS if widths[d] == widest)
    return default


def _check_split(path: Path, columns: Sequence[str], delimiter: str) -> None:
    """A single header column holding a delimiter means the file was not split into columns."""
    found = [other for other in _DELIMITERS if len(columns) == 1 and other in columns[0]]
    if found:
        other = found[0]
        fix = f"pass delimiter={other!r}" if other != delimiter else "is each line quoted whole?"
        raise ExportFormatError(
            f"looks like {_delimiter_name(other)}-delimited, but the header reads as one column "
            f"('{columns[0][:60]}'); {fix}",
            file=path,
        )


def _decode_error(path: Path, delimiter: str, encoding: str) -> ExportFormatError:
    """Name the first record (and column) holding bytes that are not valid text."""
    advice = "re-save the export as UTF-8 or pass --encoding (e.g. --encoding cp1252)"
    try:
        with path.open(
            encoding=_text_encoding(encoding), errors="surrogateescape", newline=""
        ) as fh:
            records = (record for record in csv.reader(fh, delimiter=delimiter) if record)
            header = next(records, [])
            if any(_ESCAPED_BYTE.search(name) for name in header):
                return ExportFormatError(f"the header is not valid {encoding}; {advice}", file=path)
            for row, record in enumerate(records, start=1):
                for column, cell in zip(header, record, strict=False):
                    match = _ESCAPED_BYTE.search(cell)
                    if match:
                        byte = ord(match.group()) - 0xDC00
                        message = f"byte 0x{byte:02x} is not valid {encoding}; {advice}"
                        return ExportFormatError(message, file=path, row=row, field=column)
    except (csv.Error, UnicodeError):
        pass
    return ExportFormatError(f"the file is not valid {encoding}; {advice}", file=path)


def _parser_error(path: Path, exc: pd.errors.ParserError) -> ExportFormatError:
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if found is None:
        return ExportFormatError(f"cannot parse the CSV: {str(exc).strip()}", file=path)
    expected, line, saw = (int(part) for part in found.groups())
    return ExportFormatError(
        f"line {line} has {saw} fields but the header has {expected} "
        "(an unquoted delimiter inside a value?)",
        file=path,
        row=line - 1,
    )


def _read_csv(path: Path, delimiter: str, encoding: str, **options: Any) -> Any:
    return pd.read_csv(
        path,
        sep=delimiter,
        dtype=str,
        keep_default_na=False,
        encoding=_text_encoding(encoding),
        **options,
    )


@contextmanager
def _csv_errors(path: Path, delimiter: str, encoding: str) -> Iterator[None]:
    """Turn pandas' decoding and parsing errors into ones that name the row."""
    try:
        yield
    except UnicodeDecodeError as exc:
        raise _decode_error(path, delimiter, encoding) from exc
    except pd.errors.ParserError as exc:
        raise _parser_error(path, exc) from exc
    except pd.errors.EmptyDataError as exc:
        raise ExportFormatError("no header row: no tickets", file=path) from exc


def _csv_header(path: Path, delimiter: str, encoding: str) -> list[str]:
    with _csv_errors(path, delimiter, encoding):
        columns = [str(name) for name in _read_csv(path, delimiter, encoding, nrows=0).columns]
    _check_split(path, columns, delimiter)
    return columns


def _csv_chunks(
    path: Path, chunk_rows: int, delimiter: str | None, encoding: str, **options: Any
) -> Iterator[pd.DataFrame]:
    delimiter = delimiter or _sniff_delimiter(path, encoding)
    _csv_header(path, delimiter, encoding)
    with (
        _csv_errors(path, delimiter, encoding),
        _read_csv(path, delimiter, encoding, chunksize=chunk_rows, **options) as reader,
    ):
        for chunk in reader:
            yield chunk.fillna("")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _flatten(record: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested objects become dotted columns (`via.channel`), like Parquet structs."""
    if not any(isinstance(value, dict) for value in record.values()):  # the common, fast case
        return {prefix + k: v if v.__class__ is str else _cell(v) for k, v in record.items()}
    flat: dict[str, str] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[prefix + key] = _cell(value)
    return flat


def _without_surrogates(record: dict[str, str], path: Path, row: int, warn: bool) -> dict[str, str]:
    """Lone surrogates replaced with U+FFFD, so every output format can store the text."""
    repaired = {_SURROGATE.sub("\ufffd", k): _SURROGATE.sub("\ufffd", v) for k, v in record.items()}
    if warn and repaired != record:
        field = next(
            _SURROGATE.sub("\ufffd", k) for k, v in record.items() if _SURROGATE.search(k + v)
        )
        logger.warning(
            "%s, row %d, field '%s': a \\uXXXX escape spells a lone UTF-16 surrogate, which "
            "UTF-8 cannot encode; it and any later ones in this file are replaced with U+FFFD",
            path,
            row,
            field,
        )
    return repaired


def _jsonl_records(path: Path, encoding: str, *, warn: bool = True) -> Iterator[dict[str, str]]:
    """The file's records, flattened; lone surrogates replaced (a warning names the first)."""
    row = 0
    warned = not warn
    with path.open("rb") as handle:
        for line, raw in enumerate(handle, start=1):
            if line == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            if not raw.strip():
                continue
            row += 1
            try:
                record = json.loads(raw.decode(encoding))
            except UnicodeDecodeError as exc:
                byte = raw[exc.start]
                message = f"line {line}: byte 0x{byte:02x} is not valid {encoding}"
                raise ExportFormatError(message, file=path, row=row) from exc
            except json.JSONDecodeError as exc:
                message = f"line {line} is not valid JSON: {exc.msg} (column {exc.colno})"
                raise ExportFormatError(message, file=path, row=row) from exc
            if not isinstance(record, dict):
                kind = type(record).__name__
                message = f"line {line} is a JSON {kind}, expected an object per line"
                raise ExportFormatError(message, file=path, row=row)
            flat = _flatten(record)
            if _SURROGATE_ESCAPE.search(raw):
                repaired = _without_surrogates(flat, path, row, not warned)
                warned = warned or repaired != flat
                flat = repaired
            yield flat


def _jsonl_chunks(path: Path, chunk_rows: int, encoding: str) -> Iterator[pd.DataFrame]:
    columns: dict[str, None] = {}
    batch: list[dict[str, str]] = []
    start = 0
    for record in _jsonl_records(path, encoding):
        columns.update(dict.fromkeys(record))
        batch.append(record)
        if len(batch) == chunk_rows:
            yield _records_frame(batch, list(columns), start)
            start += len(batch)
            batch = []
    if batch:
        yield _records_frame(batch, list(columns), start)


def _records_frame(records: list[dict[str, str]], columns: list[str], start: int) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame.index = pd.RangeIndex(start, start + len(records))
    return frame.fillna("").astype(object)


def _json_array_records(path: Path, encoding: str) -> list[dict[str, str]]:
    """A JSON array of objects, flattened like JSON Lines records."""
    try:
        records = json.loads(path.read_bytes().decode(_text_encoding(encoding)))
    except UnicodeDecodeError as exc:
        message = f"byte 0x{exc.object[exc.start]:02x} is not valid {encoding}"
        raise ExportFormatError(message, file=path) from exc
    except json.JSONDecodeError as exc:
        message = f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        raise ExportFormatError(message, file=path) from exc
    if not isinstance(records, list):
        raise ExportFormatError("expected a JSON array of ticket objects", file=path)
    flat = []
    for row, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            kind = type(record).__name__
            raise ExportFormatError(
                f"item {row} is a JSON {kind}, expected an object", file=path, row=row
            )
        item = _flatten(record)
        flat.append(
            {_SURROGATE.sub("\ufffd", k): _SURROGATE.sub("\ufffd", v) for k, v in item.items()}
        )
    return flat


def _json_array_chunks(path: Path, chunk_rows: int, encoding: str) -> Iterator[pd.DataFrame]:
    records = _json_array_records(path, encoding)
    columns = list(dict.fromkeys(key for record in records for key in record))
    for start in range(0, len(records), chunk_rows):
        yield _records_frame(records[start : start + chunk_rows], columns, start)


def _excel_table(path: Path, *, rows: int | None = None) -> pd.DataFrame:
    """The workbook's first sheet as string cells (python-calamine through pandas)."""
    try:
        table = pd.read_excel(path, engine="calamine", dtype=str, nrows=rows)
    except Exception as exc:  # calamine raises its own types for damaged or encrypted files
        raise ExportFormatError(f"not a readable Excel workbook: {exc}", file=path) from exc
    table.columns = [str(name) for name in table.columns]
    return table.fillna("").astype(object)


def _excel_chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    table = _excel_table(path)
    for start in range(0, len(table), chunk_rows):
        yield table.iloc[start : start + chunk_rows]


def _parquet_file(path: Path) -> pq.ParquetFile:
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
        strings = pa.chunked_array([[_cell(value) for value in column.to_pylist()]], pa.string())
    return pc.fill_null(strings, "").to_numpy(zero_copy_only=False)


def _table_frame(table: pa.Table, start: int, path: Path) -> pd.DataFrame:
    table = _flat_table(table)
    data = {
        name: _arrow_strings(column, path, name)
        for name, column in zip(table.column_names, table.columns, strict=True)
    }
    return pd.DataFrame(data, index=pd.RangeIndex(start, start + table.num_rows), dtype=object)


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Re-batch Parquet's row-group-bounded batches into chunks of exactly `chunk_rows`."""
    parquet = _parquet_file(path)
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
        chunks = _csv_chunks(path, chunk_rows, delimiter, encoding or "utf-8")
    elif kind == "jsonl":
        chunks = _jsonl_chunks(path, chunk_rows, encoding or "utf-8")
    elif kind == "json":
        chunks = _json_array_chunks(path, chunk_rows, encoding or "utf-8")
    elif kind == "excel":
        chunks = _excel_chunks(path, chunk_rows)
    else:
        chunks = _parquet_chunks(path, chunk_rows)
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
        metadata = _parquet_file(path).metadata
        sizes = [metadata.row_group(group).num_rows for group in range(metadata.num_row_groups)]
        ends = list(itertools.accumulate(sizes))
        groups = [
            g for g, end in enumerate(ends) if end > start and end - sizes[g] < start + chunk_rows
        ]
        if groups:
            table = pq.ParquetFile(path).read_row_groups(groups)
            offset = start - (ends[groups[0]] - sizes[groups[0]])
            return _table_frame(table.slice(offset, chunk_rows), start, path)
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
        return list(_flat_table(_parquet_file(path).schema_arrow.empty_table()).column_names)
    if kind == "excel":
        return list(_excel_table(path, rows=0).columns)
    encoding = resolve_encoding(path, encoding)
    if kind == "json":
        items = _json_array_records(path, encoding)
        if not items:
            raise ExportFormatError("no tickets: the JSON array is empty", file=path)
        return list(dict.fromkeys(key for item in items for key in item))
    if kind == "jsonl":
        keys: dict[str, None] = {}
        records = _jsonl_records(path, encoding, warn=False)  # iter_export warns
        for record in itertools.islice(records, _JSONL_HEADER_RECORDS):
            keys.update(dict.fromkeys(record))
        if not keys:
            raise ExportFormatError("no tickets: the file has no JSON records", file=path)
        return list(keys)
    return _csv_header(path, delimiter or _sniff_delimiter(path, encoding), encoding)


def count_rows(
    path: str | Path, *, delimiter: str | None = None, encoding: str | None = None
) -> int:
    """Number of data rows (Parquet: from its metadata; CSV/JSON Lines: one streaming pass)."""
    path = Path(path)
    kind = _kind(path)
    if kind == "parquet":
        return int(_parquet_file(path).metadata.num_rows)
    if kind == "jsonl":
        with path.open("rb") as handle:
            return sum(1 for line in handle if line.strip())
    if kind == "excel":
        return len(_excel_table(path))
    if kind == "json":
        return len(_json_array_records(path, resolve_encoding(path, encoding)))
    chunks = _csv_chunks(path, 100_000, delimiter, resolve_encoding(path, encoding), usecols=[0])
    return sum(len(chunk) for chunk in chunks)


def check_unique_ids(tickets: Sequence[Ticket], *, source: str | Path, first_row: int = 1) -> None:
    """Raise `ExportFormatError` if any ticket id repeats within `tickets`."""
    with DuplicateIdGuard(source) as guard:
        guard.check(tickets, first_row=first_row)
