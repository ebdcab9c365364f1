"""JSON Lines: one object per line, streamed; nested objects become dotted columns."""

from __future__ import annotations

import codecs
import itertools
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from classifier.errors import ExportFormatError
from training.io.formats.cells import (
    SURROGATE,
    SURROGATE_ESCAPE,
    flatten,
    records_frame,
    without_surrogates,
)

logger = logging.getLogger(__name__)

_HEADER_RECORDS = 1000


def _repaired(record: dict[str, str], path: Path, row: int, warn: bool) -> dict[str, str]:
    """Lone surrogates replaced with U+FFFD, so every output format can store the text."""
    repaired = without_surrogates(record)
    if warn and repaired != record:
        field = next(
            SURROGATE.sub("\ufffd", k) for k, v in record.items() if SURROGATE.search(k + v)
        )
        logger.warning(
            "%s, row %d, field '%s': a \\uXXXX escape spells a lone UTF-16 surrogate, which "
            "UTF-8 cannot encode; it and any later ones in this file are replaced with U+FFFD",
            path,
            row,
            field,
        )
    return repaired


def jsonl_records(path: Path, encoding: str, *, warn: bool = True) -> Iterator[dict[str, str]]:
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
            flat = flatten(record)
            if SURROGATE_ESCAPE.search(raw):
                repaired = _repaired(flat, path, row, not warned)
                warned = warned or repaired != flat
                flat = repaired
            yield flat


def jsonl_chunks(path: Path, chunk_rows: int, encoding: str) -> Iterator[pd.DataFrame]:
    """The file in chunks of `chunk_rows` records; a chunk's columns are every key seen so far."""
    columns: dict[str, None] = {}
    batch: list[dict[str, str]] = []
    start = 0
    for record in jsonl_records(path, encoding):
        columns.update(dict.fromkeys(record))
        batch.append(record)
        if len(batch) == chunk_rows:
            yield records_frame(batch, list(columns), start)
            start += len(batch)
            batch = []
    if batch:
        yield records_frame(batch, list(columns), start)


def jsonl_columns(path: Path, encoding: str) -> list[str]:
    """The keys found in the first 1,000 records (JSON Lines has no header)."""
    keys: dict[str, None] = {}
    records = jsonl_records(path, encoding, warn=False)  # reading the chunks warns
    for record in itertools.islice(records, _HEADER_RECORDS):
        keys.update(dict.fromkeys(record))
    if not keys:
        raise ExportFormatError("no tickets: the file has no JSON records", file=path)
    return list(keys)


def jsonl_count(path: Path) -> int:
    """Number of non-blank lines, in one streaming pass."""
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())
