"""Delimited text (CSV, TSV, …): the delimiter sniffed, errors that name the row and column."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from classifier.errors import ExportFormatError
from training.io.formats.encoding import text_encoding

_DELIMITERS = ",;\t|"
SNIFF_BYTES = 64 * 1024
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def _delimiter_name(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else f"'{delimiter}'"


def sniff_delimiter(path: Path, encoding: str) -> str:
    """csv.Sniffer's guess when it splits the header as well as any, else the best splitter."""
    with path.open("rb") as handle:
        sample = handle.read(SNIFF_BYTES).decode(text_encoding(encoding), errors="replace")
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
            encoding=text_encoding(encoding), errors="surrogateescape", newline=""
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
        encoding=text_encoding(encoding),
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


def csv_header(path: Path, delimiter: str, encoding: str) -> list[str]:
    """The header's column names; raises if the header did not split on `delimiter`."""
    with _csv_errors(path, delimiter, encoding):
        columns = [str(name) for name in _read_csv(path, delimiter, encoding, nrows=0).columns]
    _check_split(path, columns, delimiter)
    return columns


def csv_chunks(
    path: Path, chunk_rows: int, delimiter: str | None, encoding: str, **options: Any
) -> Iterator[pd.DataFrame]:
    """The file in chunks of `chunk_rows` rows (`options` go to `pandas.read_csv`)."""
    delimiter = delimiter or sniff_delimiter(path, encoding)
    csv_header(path, delimiter, encoding)
    with (
        _csv_errors(path, delimiter, encoding),
        _read_csv(path, delimiter, encoding, chunksize=chunk_rows, **options) as reader,
    ):
        for chunk in reader:
            yield chunk.fillna("")


def csv_count(path: Path, delimiter: str | None, encoding: str) -> int:
    """Number of data rows, in one streaming pass over the first column."""
    chunks = csv_chunks(path, 100_000, delimiter, encoding, usecols=[0])
    return sum(len(chunk) for chunk in chunks)
