"""Reading helpdesk exports: formats, column mapping, dates, duplicate ids, shards, taxonomy."""

from typing import TYPE_CHECKING

from classifier.extras import lazy_exports

if TYPE_CHECKING:
    from training.io.columns import (
        ColumnMapping,
        date_format_for,
        detect_columns,
        detect_mapping,
        load_mapping_file,
    )
    from training.io.presets import PRESETS, Preset
    from training.io.readers import (
        FORMATS,
        check_unique_ids,
        count_rows,
        iter_export,
        read_chunk,
        read_columns,
        resolve_encoding,
    )
    from training.io.tickets import tickets_from_frame

# Loaded on first use: a light module of the package (dates, taxonomy) must not load pyarrow.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "training.io.columns": (
            "ColumnMapping",
            "date_format_for",
            "detect_columns",
            "detect_mapping",
            "load_mapping_file",
        ),
        "training.io.presets": ("PRESETS", "Preset"),
        "training.io.readers": (
            "FORMATS",
            "check_unique_ids",
            "count_rows",
            "iter_export",
            "read_chunk",
            "read_columns",
            "resolve_encoding",
        ),
        "training.io.tickets": ("tickets_from_frame",),
    },
)

__all__ = [
    "FORMATS",
    "PRESETS",
    "ColumnMapping",
    "Preset",
    "check_unique_ids",
    "count_rows",
    "date_format_for",
    "detect_columns",
    "detect_mapping",
    "iter_export",
    "load_mapping_file",
    "read_chunk",
    "read_columns",
    "resolve_encoding",
    "tickets_from_frame",
]
