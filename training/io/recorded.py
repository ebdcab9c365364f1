"""The column mapping a bundle records, and how the next export's commands reuse it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from classifier.bundle.manifest import ColumnMappingRecord
from training.io.columns import TICKET_FIELDS, ColumnMapping


def record_mapping(mapping: ColumnMapping) -> ColumnMappingRecord:
    """The names `train` read (never data), as the manifest keeps them."""
    return ColumnMappingRecord(
        preset=mapping.preset,
        columns={name: getattr(mapping, name) for name in TICKET_FIELDS},
        labels=dict(mapping.labels),
        metadata=dict(mapping.metadata),
        date_format=mapping.date_format,
    )


def recorded_overrides(
    record: ColumnMappingRecord | None,
    columns: Sequence[str] | None,
    given: Mapping[str, Any],
) -> dict[str, Any]:
    """Overrides for the next export: the bundle's record where its columns exist in `columns`
    (all of it when `columns` is None), with what flags and `--columns` give winning per key."""
    if record is None:
        return dict(given)
    present = set(columns) if columns is not None else None

    def keep(column: str | None) -> bool:
        return column is not None and (present is None or column in present)

    result: dict[str, Any] = {
        "columns": {k: v for k, v in record.columns.items() if keep(v)},
        "labels": {k: v for k, v in record.labels.items() if keep(v)},
        "metadata": {k: v for k, v in record.metadata.items() if keep(v)},
    }
    if record.preset is not None:
        result["preset"] = record.preset
    if record.date_format is not None:
        result["date_format"] = record.date_format
    for key, value in given.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = {**result[key], **value}
        else:
            result[key] = value
    return result
