"""One label distribution against a reference: per-label moves in pp with their intervals and
tests, the largest move (L∞), the Jensen–Shannon distance and the chi-square test over all labels.

`training.evaluation.drift` applies these comparisons window by window.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency, chisquare

from training.evaluation.significance import DEFAULT_ALPHA, adjust, share_tests

DEFAULT_THRESHOLD_PP = 5.0


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


def judge_family(
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
