"""Read CSAT and resolution time from whichever columns an export has, and say how."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from training.io.dates import parse_dates

SATISFIED_WORDS = frozenset(
    {"good", "satisfied", "happy", "extremely happy", "very satisfied", "positive", "yes"}
)
UNSATISFIED_WORDS = frozenset(
    {"bad", "unsatisfied", "dissatisfied", "unhappy", "extremely unhappy", "very dissatisfied",
     "negative", "no", "neutral"}
)  # fmt: skip
NO_ANSWER = frozenset({"", "offered", "unoffered", "not offered", "n/a", "na", "none", "-"})
"""Zendesk's 'Offered': the survey was sent and not answered."""
_UNITS = {"resolution_hours": 1.0, "resolution_minutes": 1 / 60, "resolution_seconds": 1 / 3600}


def csat_columns(cells: pd.Series, column: str) -> tuple[pd.Series | None, pd.Series | None, str]:
    """(score or None, satisfied as 1.0/0.0/NaN or None, what was read or why it was skipped).

    Scores of 1–5 count 4+ as satisfied, scores up to 10 count 8+; Good/Bad-style answers give
    `satisfied` alone. A column holding other words is skipped (the reason names examples).
    """
    text = cells.astype(object).where(cells.notna(), "").astype(str).str.strip()
    words = text.str.casefold()
    answered = ~words.isin(NO_ANSWER)
    numbers = pd.to_numeric(text.where(answered), errors="coerce")
    if not answered.any():
        return None, None, f"'{column}' has no answers"
    if numbers[answered].notna().all():
        top = float(numbers.max())
        if numbers.min() < 0 or top > 10:
            return None, None, f"'{column}' holds scores outside 1–10 (e.g. {top:g})"
        scale, cut = (5, 4) if top <= 5 else (10, 8)
        satisfied = (numbers >= cut).astype(float).where(numbers.notna())
        return numbers, satisfied, f"'{column}' (1–{scale} score, {cut}+ satisfied)"
    known = words.isin(SATISFIED_WORDS | UNSATISFIED_WORDS) | ~answered
    if known.all():
        satisfied = words.isin(SATISFIED_WORDS).astype(float).where(answered)
        return None, satisfied, f"'{column}' (Good/Bad answers; Offered = no answer)"
    odd = ", ".join(f"'{value}'" for value in dict.fromkeys(text[~known]) if value)
    return (
        None,
        None,
        (f"'{column}' is neither a 1–5/1–10 score nor Good/Bad answers (found {odd[:80]})"),
    )


def resolution_hours(
    table: pd.DataFrame,
    metadata: Mapping[str, str],
    created: pd.Series | None,
    *,
    source: str | Path,
    date_format: str | None = None,
) -> tuple[pd.Series | None, str]:
    """Hours to resolution from a duration column (hours, minutes or seconds) or from a
    solved-at column minus the creation time; (None, why) when the export has neither."""
    for key, factor in _UNITS.items():
        if key in metadata:
            column = metadata[key]
            cells = table[column].astype(object).where(table[column].notna(), "")
            numbers = pd.to_numeric(cells.astype(str).str.strip(), errors="coerce")
            if numbers.notna().any():
                unit = key.removeprefix("resolution_")
                return (numbers * factor).where(numbers >= 0), f"'{column}' ({unit})"
            return None, f"'{column}' holds no numbers"
    if "solved_at" in metadata and created is not None:
        column = metadata["solved_at"]
        solved = parse_dates(table[column], source=source, column=column, date_format=date_format)
        hours = (solved - created).dt.total_seconds() / 3600
        return hours.where(hours >= 0), f"'{column}' minus the creation time"
    return None, (
        "no resolution column (map metadata: {resolution_minutes: COLUMN} — or resolution_hours, "
        "resolution_seconds, solved_at — in --columns)"
    )
