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

from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency, chisquare

from classifier.records import NO_LABEL
from training.analytics.frame import TicketFrame, review_column
from training.analytics.weekly import counts
from training.evaluation.significance import DEFAULT_ALPHA, adjust, share_tests

DEFAULT_THRESHOLD_PP = 5.0
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
class LabelShift:
    label: str
    reference_pct: float
    current_pct: float
    change_pp: float
    flagged: bool
    low_pp: float = float("nan")
    """95 % interval of `change_pp`, low end."""
    high_pp: float = float("nan")
    p_value: float = float("nan")
    """Score test of this label's share against the reference."""
    q_value: float = float("nan")
    """`p_value` adjusted (Benjamini–Hochberg) over the comparisons of its family."""


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
    alpha: float = DEFAULT_ALPHA,
    judged: bool = True,
) -> ShareComparison:
    """Compare current counts per label with reference shares (%).

    With `reference_n` (the reference was an export of that many tickets) the tests are
    two-sample (per label; a 2 × k chi-square of independence overall); without it (shares from
    a bundle's manifest) they are against fixed shares (a goodness-of-fit chi-square overall,
    over the labels the reference knows). Labels are flagged (unless not `judged`) when the move
    reaches `threshold_pp` and its BH q-value over these labels is below `alpha`; `field_drift`
    widens that family to every window.
    """
    current = current[current > 0] if len(current) else current
    n = int(current.sum())
    labels = sorted(set(reference.index) | set(current.index))
    ref = reference.reindex(labels, fill_value=0.0).astype(float)
    ref = ref / ref.sum() * 100 if ref.sum() > 0 else ref
    cur = current.reindex(labels, fill_value=0).astype(float)
    cur_pct = cur / n * 100 if n else cur * 0
    change = cur_pct - ref
    if n:
        p_values, low, high = share_tests(cur.to_numpy(), n, ref.to_numpy() / 100, reference_n)
    else:
        p_values = low = high = np.full(len(labels), np.nan)
    shifts = [
        LabelShift(
            str(label),
            float(ref[label]),
            float(cur_pct[label]),
            float(change[label]),
            False,
            float(low[i]),
            float(high[i]),
            float(p_values[i]),
        )
        for i, label in enumerate(labels)
    ]
    shifts = _judge(shifts, threshold_pp, alpha) if judged and n else shifts
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


def _judge(shifts: list[LabelShift], threshold_pp: float, alpha: float) -> list[LabelShift]:
    q_values = adjust(np.array([s.p_value for s in shifts]))
    return [
        replace(s, q_value=float(q), flagged=bool(abs(s.change_pp) >= threshold_pp and q < alpha))
        for s, q in zip(shifts, q_values, strict=True)
    ]


def _judge_family(
    comparisons: list[ShareComparison | None], threshold_pp: float, alpha: float
) -> list[ShareComparison | None]:
    """Re-judge every label of the given comparisons as one BH family (None: not judged)."""
    pooled = [s for c in comparisons if c is not None for s in c.shifts]
    judged = iter(_judge(pooled, threshold_pp, alpha))
    return [
        None if c is None else replace(c, shifts=[next(judged) for _ in c.shifts])
        for c in comparisons
    ]


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
    vs_reference = _judge_family(
        [w.vs_reference if ok else None for w, ok in zip(windows, judged, strict=True)],
        threshold_pp,
        alpha,
    )
    both = [ok and i > 0 and judged[i - 1] for i, ok in enumerate(judged)]
    vs_previous = _judge_family(
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
