"""One module per export format, each turning a file into chunks of string cells.

`training.io.readers` picks the format from the file name and dispatches to these.
"""

from training.io.formats.cells import cell, flatten, records_frame, without_surrogates
from training.io.formats.csv import csv_chunks, csv_count, csv_header, sniff_delimiter
from training.io.formats.encoding import resolve_encoding, text_encoding
from training.io.formats.excel import excel_chunks, excel_table
from training.io.formats.json_array import json_array_chunks, json_array_columns, json_array_records
from training.io.formats.jsonl import jsonl_chunks, jsonl_columns, jsonl_count, jsonl_records
from training.io.formats.parquet import (
    parquet_chunk,
    parquet_chunks,
    parquet_columns,
    parquet_count,
    parquet_file,
)

__all__ = [
    "cell",
    "csv_chunks",
    "csv_count",
    "csv_header",
    "excel_chunks",
    "excel_table",
    "flatten",
    "json_array_chunks",
    "json_array_columns",
    "json_array_records",
    "jsonl_chunks",
    "jsonl_columns",
    "jsonl_count",
    "jsonl_records",
    "parquet_chunk",
    "parquet_chunks",
    "parquet_columns",
    "parquet_count",
    "parquet_file",
    "records_frame",
    "resolve_encoding",
    "sniff_delimiter",
    "text_encoding",
    "without_surrogates",
]
