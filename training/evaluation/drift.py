"""Share drift: how each label's share of tickets moves against a reference and week to week.

Effect sizes first: the change per label in percentage points with its 95 % interval, the
largest of them (L∞) and the Jensen–Shannon distance (base 2, between 0 and 1). A label is
flagged only when its move passes the pp threshold **and** lies beyond sampling noise at the
window's size (`training.evaluation.significance`: a score test per label, Benjamini–Hochberg
across the labels × windows of a field), and only in windows with at least `min_window` tickets
that the export covers whole; the others are shown with the reason they were not judged. The
chi-square test over all labels is reported too, but at large volumes its p-value flags even
tiny, unimportant moves.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from classifier.records import NO_LABEL
from training.analytics.frame import TicketFrame, review_column
from training.analytics.weekly import counts
from training.evaluation.shares import (
    DEFAULT_THRESHOLD_PP,
    ShareComparison,
    compare_shares,
    judge_family,
)
from training.evaluation.significance import DEFAULT_ALPHA

DEFAULT_MIN_WINDOW = 30
"""Windows with fewer tickets are shown but not judged."""
PARTIAL_SLACK = pd.Timedelta(days=1)
"""An end window the export starts or stops more than this far inside is partial."""
P_VALUE_NOTE = (
    "A label is flagged when its move passes the pp threshold and is beyond sampling noise "
    "(score test, Benjamini–Hochberg q below alpha across labels × windows); windows under "
    "--min-window tickets or partial at either end are shown, not flagged. At large n the "
    "chi-square p-value flags even tiny, unimportant moves; act on the effect sizes."
)


@dataclass(frozen=True)
class WindowDrift:
    window: str
    vs_reference: ShareComparison
    vs_previous: ShareComparison | None
    needs_review_pct: float | None
    """Share of predictions marked needs_review (a rising share hints at a missing label)."""
    not_judged: str = ""
    """Why its moves are shown but not flagged ("partial", "under 30"); empty when judged."""


@dataclass(frozen=True)
class FieldDrift:
    field: str
    source_column: str
    reference: str
    overall: ShareComparison
    windows: list[WindowDrift]

    def to_dict(self) -> dict[str, Any]:
        return json_safe(asdict(self))


def json_safe(value: Any) -> Any:
    """`value` with NaN and infinities as None, so it serializes as strict JSON."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def field_drift(
    frame: TicketFrame,
    name: str,
    reference: pd.Series,
    *,
    reference_name: str,
    reference_n: int | None = None,
    threshold_pp: float = DEFAULT_THRESHOLD_PP,
    min_window: int = DEFAULT_MIN_WINDOW,
    alpha: float = DEFAULT_ALPHA,
) -> FieldDrift:
    """Drift of one field: overall, per window against the reference, and window over window.

    The labels × windows compared with the reference form one BH family, the window-over-window
    comparisons another; windows under `min_window` tickets or partial are left out of both.
    """
    table = counts(frame, name)
    total = table.sum()
    overall = compare_shares(
        reference,
        total,
        reference_n=reference_n,
        threshold_pp=threshold_pp,
        alpha=alpha,
        judged=int(total.sum()) >= min_window,
    )
    reasons = _not_judged(frame, table, min_window)
    review = review_column(name)
    review_share = (
        frame.data.groupby("window")[review].mean().reindex(table.index) * 100
        if review in frame.data.columns
        else None
    )
    windows = []
    previous: pd.Series | None = None
    review_values = None if review_share is None else review_share.to_numpy(dtype=float)
    for position, (window, row) in enumerate(table.iterrows()):
        if row.sum() == 0:
            continue
        reason = reasons[position]
        vs_previous = None
        if previous is not None:
            vs_previous = compare_shares(
                previous / previous.sum() * 100,
                row,
                reference_n=int(previous.sum()),
                judged=False,
            )
        share = None if review_values is None else float(review_values[position])
        vs_reference = compare_shares(reference, row, reference_n=reference_n, judged=False)
        day = pd.Timestamp(str(window))
        windows.append(WindowDrift(f"{day:%Y-%m-%d}", vs_reference, vs_previous, share, reason))
        previous = row
    return FieldDrift(
        name,
        frame.label_columns[name],
        reference_name,
        overall,
        _judge_windows(windows, threshold_pp, alpha),
    )


def _judge_windows(
    windows: list[WindowDrift], threshold_pp: float, alpha: float
) -> list[WindowDrift]:
    judged = [not w.not_judged for w in windows]
    vs_reference = judge_family(
        [w.vs_reference if ok else None for w, ok in zip(windows, judged, strict=True)],
        threshold_pp,
        alpha,
    )
    both = [ok and i > 0 and judged[i - 1] for i, ok in enumerate(judged)]
    vs_previous = judge_family(
        [w.vs_previous if ok else None for w, ok in zip(windows, both, strict=True)],
        threshold_pp,
        alpha,
    )
    return [
        replace(
            w,
            vs_reference=ref if ref is not None else w.vs_reference,
            vs_previous=prev if prev is not None else w.vs_previous,
        )
        for w, ref, prev in zip(windows, vs_reference, vs_previous, strict=True)
    ]


def _not_judged(frame: TicketFrame, table: pd.DataFrame, min_window: int) -> list[str]:
    """Per window of `table`: why it is not judged ("partial", "under N"), or ""."""
    stamps = frame.data["created_at"].dt.tz_convert("UTC").dt.tz_localize(None)
    first, last = stamps.min(), stamps.max()
    length = pd.DateOffset(weeks=1) if frame.window == "week" else pd.DateOffset(months=1)
    sizes = table.sum(axis=1).to_numpy()
    starts = [pd.Timestamp(str(w)) for w in table.index]
    used = [i for i, size in enumerate(sizes) if size > 0]
    reasons = []
    for i, (start, size) in enumerate(zip(starts, sizes, strict=True)):
        partial = (used and i == used[0] and first - start > PARTIAL_SLACK) or (
            used and i == used[-1] and start + length - last > PARTIAL_SLACK
        )
        reasons.append("partial" if partial else f"under {min_window}" if size < min_window else "")
    return reasons


def reference_from_frame(frame: TicketFrame, name: str) -> tuple[pd.Series, int]:
    """Shares (%) of a labeled reference export, and its ticket count."""
    labels = frame.data[name]
    labels = labels[labels != NO_LABEL]
    return labels.value_counts(normalize=True) * 100, len(labels)
