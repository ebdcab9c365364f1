"""Share drift: how each label's share of tickets moves against a reference and week to week.

Effect sizes first: the change per label in percentage points, the largest of them (L∞) and the
Jensen–Shannon distance (base 2, between 0 and 1). The chi-square test is reported too, but at
the volumes a helpdesk sees its p-value flags even tiny, unimportant moves; act on the effect
sizes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency, chisquare

from classifier.records import NO_LABEL
from training.analytics.frame import TicketFrame, review_column
from training.analytics.weekly import counts

DEFAULT_THRESHOLD_PP = 5.0
P_VALUE_NOTE = (
    "At large n the chi-square p-value flags even tiny, unimportant moves; act on the effect "
    "sizes (pp change, L∞, JS distance) instead."
)


@dataclass(frozen=True)
class LabelShift:
    label: str
    reference_pct: float
    current_pct: float
    change_pp: float
    flagged: bool


@dataclass(frozen=True)
class ShareComparison:
    """One current distribution against a reference one."""

    n: int
    shifts: list[LabelShift]
    linf_pp: float
    js_distance: float
    chi2: float
    p_value: float
    unknown_labels: dict[str, int] = field(default_factory=dict)
    """Current labels the reference (e.g. the model) does not know, with their counts."""

    @property
    def flagged(self) -> list[LabelShift]:
        return [s for s in self.shifts if s.flagged]


def compare_shares(
    reference: pd.Series,
    current: pd.Series,
    *,
    reference_n: int | None = None,
    threshold_pp: float = DEFAULT_THRESHOLD_PP,
) -> ShareComparison:
    """Compare current counts per label with reference shares (%).

    With `reference_n` (the reference was an export of that many tickets) the test is a 2 × k
    chi-square of independence on the counts; without it (shares from a bundle's manifest) it is
    a goodness-of-fit test of the current counts against the reference shares, over the labels
    the reference knows.
    """
    current = current[current > 0] if len(current) else current
    n = int(current.sum())
    labels = sorted(set(reference.index) | set(current.index))
    ref = reference.reindex(labels, fill_value=0.0).astype(float)
    ref = ref / ref.sum() * 100 if ref.sum() > 0 else ref
    cur = current.reindex(labels, fill_value=0).astype(float)
    cur_pct = cur / n * 100 if n else cur * 0
    change = cur_pct - ref
    shifts = [
        LabelShift(
            str(label),
            float(ref[label]),
            float(cur_pct[label]),
            float(change[label]),
            bool(abs(change[label]) >= threshold_pp),
        )
        for label in labels
    ]
    shifts.sort(key=lambda s: -abs(s.change_pp))
    unknown = {str(k): int(v) for k, v in current.items() if reference.get(k, 0) <= 0}
    chi2, p_value = _chi_square(ref, cur, n, reference_n)
    return ShareComparison(
        n=n,
        shifts=shifts,
        linf_pp=float(change.abs().max()) if n else 0.0,
        js_distance=float(jensenshannon(ref.to_numpy(), cur_pct.to_numpy(), base=2)) if n else 0.0,
        chi2=chi2,
        p_value=p_value,
        unknown_labels=unknown,
    )


def _chi_square(
    ref_pct: pd.Series, cur: pd.Series, n: int, reference_n: int | None
) -> tuple[float, float]:
    if n == 0:
        return float("nan"), float("nan")
    if reference_n:
        table = np.vstack([(ref_pct / 100 * reference_n).round().to_numpy(), cur.to_numpy()])
        table = table[:, table.sum(axis=0) > 0]
        if table.shape[1] < 2:
            return 0.0, 1.0
        result = chi2_contingency(table)
        return float(result.statistic), float(result.pvalue)
    known = ref_pct > 0
    if known.sum() < 2:
        return 0.0, 1.0
    observed = cur[known].to_numpy()
    if observed.sum() == 0:
        return float("nan"), float("nan")
    expected = ref_pct[known].to_numpy() / ref_pct[known].sum() * observed.sum()
    result = chisquare(observed, expected)
    return float(result.statistic), float(result.pvalue)


@dataclass(frozen=True)
class WindowDrift:
    window: str
    vs_reference: ShareComparison
    vs_previous: ShareComparison | None
    needs_review_pct: float | None
    """Share of predictions marked needs_review (a rising share hints at a missing label)."""


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
) -> FieldDrift:
    """Drift of one field: overall, per window against the reference, and window over window."""
    table = counts(frame, name)
    overall = compare_shares(
        reference, table.sum(), reference_n=reference_n, threshold_pp=threshold_pp
    )
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
        vs_previous = None
        if previous is not None:
            vs_previous = compare_shares(
                previous / previous.sum() * 100,
                row,
                reference_n=int(previous.sum()),
                threshold_pp=threshold_pp,
            )
        share = None if review_values is None else float(review_values[position])
        windows.append(
            WindowDrift(
                f"{pd.Timestamp(str(window)):%Y-%m-%d}",
                compare_shares(reference, row, reference_n=reference_n, threshold_pp=threshold_pp),
                vs_previous,
                share,
            )
        )
        previous = row
    return FieldDrift(name, frame.label_columns[name], reference_name, overall, windows)


def reference_from_frame(frame: TicketFrame, name: str) -> tuple[pd.Series, int]:
    """Shares (%) of a labeled reference export, and its ticket count."""
    labels = frame.data[name]
    labels = labels[labels != NO_LABEL]
    return labels.value_counts(normalize=True) * 100, len(labels)
