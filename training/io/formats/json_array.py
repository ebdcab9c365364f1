"""A JSON array of ticket objects, read whole and flattened like JSON Lines records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from classifier.errors import ExportFormatError
from training.io.formats.cells import flatten, records_frame, without_surrogates
from training.io.formats.encoding import text_encoding


def json_array_records(path: Path, encoding: str) -> list[dict[str, str]]:
    """A JSON array of objects, flattened like JSON Lines records."""
    try:
        records = json.loads(path.read_bytes().decode(text_encoding(encoding)))
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
        flat.append(without_surrogates(flatten(record)))
    return flat


def json_array_chunks(path: Path, chunk_rows: int, encoding: str) -> Iterator[pd.DataFrame]:
    """The array in chunks of `chunk_rows` items, every chunk with the columns of all items."""
    records = json_array_records(path, encoding)
    columns = list(dict.fromkeys(key for record in records for key in record))
    for start in range(0, len(records), chunk_rows):
        yield records_frame(records[start : start + chunk_rows], columns, start)


def json_array_columns(path: Path, encoding: str) -> list[str]:
    """Every key of every item, in first-seen order."""
    items = json_array_records(path, encoding)
    if not items:
        raise ExportFormatError("no tickets: the JSON array is empty", file=path)
    return list(dict.fromkeys(key for item in items for key in item))
