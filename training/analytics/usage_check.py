"""Check a usage file before there are tickets to join it to: the service's start-up.

`load_usage` joins a usage file to tickets; the service reads one before anything may be logged
(`ticketlens serve --usage`, and the pulse at start-up on an empty log), where a bad file should
stop it in one line rather than show up later on a page.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from classifier.errors import ExportFormatError
from training.analytics.frame import TicketFrame
from training.analytics.usage import load_usage

ANY_WEEKS = ("1900-01-01", "2199-12-30")
"""Mondays bounding every week a usage file may hold."""
COLUMNS_VARIABLE = "TICKETLENS_USAGE_COLUMNS"


def weeks_frame(first: str, last: str, source: str) -> TicketFrame:
    """A frame with no tickets whose week windows run from `first` to `last` (YYYY-MM-DD)."""
    data = pd.DataFrame({"window": pd.to_datetime([first, last])})
    return TicketFrame(data, [], {}, source, "week")


def check_usage_file(path: Path, columns: Mapping[str, str] | None = None) -> None:
    """Read `path` as `load_usage` does, any week allowed: raises its one-line
    `ExportFormatError` (no such file, a missing column, a non-numeric measure, an empty date)."""
    load_usage(path, weeks_frame(*ANY_WEEKS, source="usage check"), columns=columns)


def usage_columns_from_env() -> dict[str, str]:
    """`TICKETLENS_USAGE_COLUMNS` (a JSON object, KEY → COLUMN) as the service reads it."""
    text = os.environ.get(COLUMNS_VARIABLE) or "{}"
    try:
        found = json.loads(text)
    except ValueError as exc:
        message = f"{COLUMNS_VARIABLE} is not JSON ({exc})"
        raise ExportFormatError(message, field=COLUMNS_VARIABLE) from exc
    if not isinstance(found, dict) or not all(isinstance(v, str) for v in found.values()):
        raise ExportFormatError(
            f'{COLUMNS_VARIABLE} must be a JSON object of columns, e.g. {{"measure": "seats"}}',
            field=COLUMNS_VARIABLE,
        )
    return {str(k): v for k, v in found.items()}
