"""Is a share's move beyond sampling noise? Score tests, Wilson/Newcombe intervals, BH control.

A share of 20 % estimated from 75 tickets moves by ±9 pp (95 %) from sampling alone, so a pp
threshold by itself flags noise in small windows. Each label's move is tested with the score
test that matches its reference: against fixed shares (a bundle's training shares) the one-sample
score test, whose inversion is the Wilson interval; against another sample (a reference export,
the previous window) the pooled two-proportion score test, with Newcombe's hybrid score interval
for the difference. Both are vectorized over labels; `wilson` is checked against
`scipy.stats.binomtest(...).proportion_ci(method="wilson")` and the two-sample statistic against
`scipy.stats.chi2_contingency(..., correction=False)` in the tests. Across the labels × windows of
a field, p-values are adjusted with Benjamini–Hochberg (`scipy.stats.false_discovery_control`).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import false_discovery_control, norm

DEFAULT_ALPHA = 0.05
"""False discovery rate across the (label, window) cells of one field."""
_Z = float(norm.ppf(0.975))


def wilson(count: np.ndarray, n: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
    """95 % Wilson score interval (as fractions) of `count` successes out of `n`."""
    count, total = np.asarray(count, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = count / total
        centre = (share + _Z**2 / (2 * total)) / (1 + _Z**2 / total)
        half = (
            _Z / (1 + _Z**2 / total) * np.sqrt(share * (1 - share) / total + _Z**2 / (4 * total**2))
        )
    return centre - half, centre + half


def share_tests(
    count: np.ndarray,
    n: int,
    reference_share: np.ndarray,
    reference_n: int | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two-sided p-value and 95 % interval (pp) of each label's change (current − reference).

    `count` holds the current tickets per label out of `n`; `reference_share` the reference
    shares as fractions, estimated from `reference_n` tickets (None: known exactly).
    """
    count = np.asarray(count, dtype=float)
    ref = np.asarray(reference_share, dtype=float)
    share = count / n if n else np.zeros_like(count)
    low, high = wilson(count, n) if n else (share, share)
    with np.errstate(invalid="ignore", divide="ignore"):
        if reference_n:
            ref_count = np.round(ref * reference_n)
            ref = ref_count / reference_n
            pooled = (count + ref_count) / (n + reference_n)
            se = np.sqrt(pooled * (1 - pooled) * (1 / n + 1 / reference_n))
            ref_low, ref_high = wilson(ref_count, reference_n)
            diff = share - ref
            low_d = diff - np.sqrt((share - low) ** 2 + (ref_high - ref) ** 2)
            high_d = diff + np.sqrt((high - share) ** 2 + (ref - ref_low) ** 2)
        else:
            se = np.sqrt(ref * (1 - ref) / n)
            diff = share - ref
            low_d, high_d = low - ref, high - ref
        z = np.where(se > 0, np.abs(diff) / se, np.where(np.abs(diff) > 0, np.inf, 0.0))
    p_value = 2 * norm.sf(z)
    return p_value, 100 * low_d, 100 * high_d


def adjust(p_values: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values); empty in, empty out."""
    p_values = np.asarray(p_values, dtype=float)
    if not p_values.size:
        return p_values
    return np.asarray(false_discovery_control(np.clip(p_values, 0.0, 1.0), method="bh"))
