"""The one date parser: every export, accounts file and prediction log reads its dates here."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd

from classifier.errors import ExportFormatError

DAY_FIRST = "day-first"
MONTH_FIRST = "month-first"
ORDERS = (DAY_FIRST, MONTH_FIRST)
FIX = "pass --date-format day-first, month-first or a strftime format (date_format: in --columns)"
# A date whose first two fields are numbers of one or two digits: 03/04/2024, 3.4.24, 03-04-2024.
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{2,4}\b")


def date_order(
    cells: pd.Series, *, source: str | Path | None, column: str, given: str | None = None
) -> str | None:
    """Day-first or month-first for a column of `dd/mm`-or-`mm/dd` dates, settled by the data.

    A first field over 12 settles day-first, a second field over 12 month-first. `None` when the
    column holds no such dates (ISO dates need no order). An order `given` (a flag, a mapping key,
    a bundle's record) is checked against the data. Raises `ExportFormatError` naming the column
    and the fix when no value settles it or values disagree.
    """
    fields = cells.astype(str).str.strip().str.extract(_NUMERIC_DATE).dropna()
    if fields.empty:
        return None
    first, second = fields[0].astype(int), fields[1].astype(int)
    day_first, month_first = bool((first > 12).any()), bool((second > 12).any())
    if day_first and month_first:
        raise ExportFormatError(
            "dates are neither all day-first nor all month-first "
            f"(e.g. '{_example(cells, first > 12)}' and '{_example(cells, second > 12)}'); "
            "make the column one format",
            file=source,
            field=column,
        )
    found = DAY_FIRST if day_first else MONTH_FIRST if month_first else None
    if given is not None:
        if found is not None and found != given:
            example = _example(cells, first > 12 if day_first else second > 12)
            raise ExportFormatError(
                f"'{example}' is {found}, but the dates were to be read {given}; {FIX}",
                file=source,
                field=column,
            )
        return given
    if found is None and bool((first != second).any()):
        example = _example(cells, first != second)
        raise ExportFormatError(
            f"cannot tell day-first from month-first dates (e.g. '{example}': no day over 12); "
            + FIX,
            file=source,
            field=column,
        )
    return found or DAY_FIRST


def _example(cells: pd.Series, where: pd.Series) -> str:
    return str(cells.loc[where[where].index[0]]).strip()[:40]


def parse_dates(
    cells: pd.Series,
    *,
    source: str | Path | None,
    column: str,
    first_row: int = 1,
    date_format: str | None = None,
) -> pd.Series:
    """UTC timestamps of one column (strings, or datetimes from a log); empty cells are NaT.

    Offsets in the cells are kept (converted to UTC); cells without one are read as UTC.
    `date_format` is `day-first`, `month-first` or a strftime format; without one, the order of
    `dd/mm`/`mm/dd` dates is settled from the column (`date_order`). Cells in the first cell's
    format are parsed together, the others one by one. A cell that is no date raises
    `ExportFormatError` naming its row (`first_row` is the first cell's 1-based data record
    number) and `column`.
    """
    text = cells.astype(object).where(cells.notna(), "").astype(str).str.strip()
    present = text != ""
    if not present.any():
        return pd.Series(pd.NaT, index=cells.index, dtype="datetime64[ns, UTC]")
    strftime = date_format if date_format and "%" in date_format else None
    with warnings.catch_warnings():  # pandas warns when it falls back to per-cell parsing
        warnings.simplefilter("ignore", UserWarning)
        parsed = pd.Series(pd.NaT, index=cells.index, dtype="datetime64[ns, UTC]")
        if strftime is not None:
            parsed = pd.to_datetime(text.where(present), utc=True, errors="coerce", format=strftime)
        retry = parsed.isna() & present
        if retry.any():
            given = date_format if date_format in ORDERS else None
            order = date_order(text[retry], source=source, column=column, given=given)
            dayfirst = order == DAY_FIRST
            parsed[retry] = pd.to_datetime(
                text[retry], utc=True, errors="coerce", dayfirst=dayfirst
            )
            retry = parsed.isna() & present
            if retry.any():  # formats differing from the first cell's: parse those one by one
                parsed[retry] = pd.to_datetime(
                    text[retry], utc=True, errors="coerce", format="mixed", dayfirst=dayfirst
                )
    bad = (parsed.isna() & present).to_numpy().nonzero()[0]
    if len(bad):
        more = f" ({len(bad)} unreadable dates)" if len(bad) > 1 else ""
        raise ExportFormatError(
            f"cannot read '{text.iloc[bad[0]][:40]}' as a date{more}",
            file=source,
            row=first_row + int(bad[0]),
            field=column,
        )
    return parsed
