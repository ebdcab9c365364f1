"""Reading helpdesk exports: formats, column mapping, dates, duplicate ids, shards, taxonomy."""

from typing import TYPE_CHECKING

from classifier.extras import lazy_exports

if TYPE_CHECKING:
    from training.io.readers import (
        FORMATS,
        check_unique_ids,
        count_rows,
        iter_export,
        read_chunk,
        read_columns,
        resolve_encoding,
    )

# Loaded on first use: a light module of the package (dates, taxonomy) must not load pyarrow.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "training.io.readers": (
            "FORMATS",
            "check_unique_ids",
            "count_rows",
            "iter_export",
            "read_chunk",
            "read_columns",
            "resolve_encoding",
        ),
    },
)

__all__ = [
    "FORMATS",
    "check_unique_ids",
    "count_rows",
    "iter_export",
    "read_chunk",
    "read_columns",
    "resolve_encoding",
]
