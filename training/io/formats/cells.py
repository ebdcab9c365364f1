"""Values as string cells: nested records flattened, lone surrogates repaired, chunk frames built.

Shared by the JSON readers and by Parquet (whose lists and maps become JSON text, as in JSON Lines).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd

# JSON's \uXXXX escapes can spell a lone UTF-16 surrogate, which no output format can store.
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
SURROGATE = re.compile("[\ud800-\udfff]")


def cell(value: Any) -> str:
    """One value as a cell: "" for None, true/false, JSON text for lists and objects."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def flatten(record: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested objects become dotted columns (`via.channel`), like Parquet structs."""
    if not any(isinstance(value, dict) for value in record.values()):  # the common, fast case
        return {prefix + k: v if v.__class__ is str else cell(v) for k, v in record.items()}
    flat: dict[str, str] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[prefix + key] = cell(value)
    return flat


def without_surrogates(record: dict[str, str]) -> dict[str, str]:
    """Lone surrogates in keys and values replaced with U+FFFD."""
    return {SURROGATE.sub("\ufffd", k): SURROGATE.sub("\ufffd", v) for k, v in record.items()}


def records_frame(records: list[dict[str, str]], columns: list[str], start: int) -> pd.DataFrame:
    """A chunk of flat records as string cells, indexed from its position `start` in the file."""
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame.index = pd.RangeIndex(start, start + len(records))
    return frame.fillna("").astype(object)
