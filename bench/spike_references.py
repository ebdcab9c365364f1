"""Reference detectors for the spike benchmark: the oracle and a surveillance GLM baseline.

Both judge the weeks × categories table of distinct accounts that ticketlens' detector judges, and
both give a p-value-like score per cell-week (smaller = more surprising), so each can be set to
any false-alarm rate by one threshold on the null worlds (`calibrate`).

- Oracle: knows the true expected accounts of every cell-week (`true_expected_accounts`: in a
  label-shuffled world the expectation is exact), and runs a one-sided Poisson test against it.
  For one cell its alarm is "count ≥ k", the most powerful test there is against any rise, so at
  equal false alarms no detector that reads the cell's count alone can beat it.
- Known shares (diagnostics): told each category's true share but reading the week's volume from
  the data, the whole week or the rest of it, then the same Poisson test: what is left of the
  oracle's lead once it has to read the week as a real detector does.
- GLM baseline: the Farrington (1996) recipe on a quasi-Poisson GLM per cell, fitted on the
  previous `baseline_weeks` weeks with the week's total accounts as exposure (log offset);
  dispersion from Pearson's χ², floored at 1; threshold from the 2/3-power transformation of the
  prediction, its variance counting the fit's own error. With one intercept the fit has a closed
  form, used here for speed and checked against statsmodels (`check_glm_against_statsmodels`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import hypergeom, norm, poisson


def account_table(data: pd.DataFrame, windows: pd.DatetimeIndex, categories: Sequence[str]
                  ) -> np.ndarray:  # fmt: skip
    """Distinct accounts per week (rows) and category (columns), as the spike detector counts."""
    table = data.groupby(["window", "category"])["account_id"].nunique().unstack(fill_value=0)
    return table.reindex(index=windows, columns=list(categories), fill_value=0).to_numpy()


def true_expected_accounts(data: pd.DataFrame, windows: pd.DatetimeIndex,
                           categories: Sequence[str]) -> np.ndarray:  # fmt: skip
    """Each cell-week's expected distinct accounts when all labels are shuffled across tickets.

    An account filing n tickets in a week shows in category c unless none of its n tickets draws
    c: hypergeometric, from all N tickets of which K_c carry c.
    """
    labels = data["category"].to_numpy()
    per_account = data.groupby(["window", "account_id"]).size()
    week = per_account.index.get_level_values("window")
    expected = np.zeros((len(windows), len(categories)))
    for j, category in enumerate(categories):
        sizes = np.unique(per_account.to_numpy())
        miss = hypergeom.pmf(0, len(labels), int((labels == category).sum()), sizes)
        hit = 1 - pd.Series(miss, index=sizes).reindex(per_account.to_numpy()).to_numpy()
        expected[:, j] = pd.Series(hit, index=week).groupby(level=0).sum().reindex(windows)
    return np.nan_to_num(expected)


def oracle_pvalues(values: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """One-sided Poisson p-value P(X ≥ count) with X ~ Poisson(true expected count)."""
    return np.asarray(poisson.sf(values - 1, expected), dtype=float)


def known_share_expected(values: np.ndarray, truth: np.ndarray) -> dict[str, np.ndarray]:
    """Expected counts from each category's true long-run share of accounts, with the week's
    volume read from the data (as a real detector must): the week's total, or the rest of it."""
    share = truth.sum(axis=0) / truth.sum()
    total = values.sum(axis=1, keepdims=True)
    return {"share_total": total * share, "share_rest": (total - values) * share / (1 - share)}


def _glm_fit(values: np.ndarray, exposure: np.ndarray, week: int, baseline_weeks: int
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Closed-form intercept-only Poisson GLM with log(exposure) offset on the weeks before
    `week`: rate, Pearson dispersion, prediction for `week`, and the baseline's total count."""
    first = max(0, week - baseline_weeks)
    y, n = values[first:week], exposure[first:week, None]
    total = y.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = total / n.sum()
        fitted = n * rate
        dispersion = ((y - fitted) ** 2 / fitted).sum(axis=0) / (len(y) - 1)
    return rate, dispersion, exposure[week] * rate, total


def glm_pvalues(values: np.ndarray, min_history: int, baseline_weeks: int) -> np.ndarray:
    """Farrington-style score per cell-week as a normal tail (NaN before `min_history` weeks or
    where the baseline saw no accounts); alarm when it is at most the calibrated α."""
    values = np.asarray(values, dtype=float)
    exposure = values.sum(axis=1)
    scores = np.full(values.shape, np.nan)
    for w in range(min_history, len(values)):
        rate, dispersion, predicted, total = _glm_fit(values, exposure, w, baseline_weeks)
        phi = np.maximum(np.nan_to_num(dispersion, nan=1.0), 1.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            # τ: variance of (count − prediction) over prediction², the fit's error included
            tau = phi / predicted + phi / total  # Var(ŷ)/ŷ² = φ/Σy
            z = ((values[w] / predicted) ** (2 / 3) - 1) / (2 / 3 * np.sqrt(tau))
        scores[w] = np.where(rate > 0, norm.sf(z), np.nan)
    return scores


def check_glm_against_statsmodels(values: np.ndarray, min_history: int, baseline_weeks: int
                                  ) -> int:  # fmt: skip
    """Refit every cell-week of `values` with statsmodels and assert the closed form agrees;
    returns the number of fits compared."""
    try:
        import statsmodels.api as sm
    except ImportError as error:  # a benchmark-only dependency
        raise SystemExit("the GLM check needs statsmodels: pip install statsmodels") from error

    values = np.asarray(values, dtype=float)
    exposure = values.sum(axis=1)
    fits = 0
    for w in range(min_history, len(values)):
        first = max(0, w - baseline_weeks)
        rate, dispersion, predicted, total = _glm_fit(values, exposure, w, baseline_weeks)
        with np.errstate(invalid="ignore", divide="ignore"):
            se_log = np.sqrt(dispersion / total)
        for c in np.flatnonzero(rate > 0):
            y = values[first:w, c]
            model = sm.GLM(y, np.ones((len(y), 1)), family=sm.families.Poisson(),
                           exposure=exposure[first:w])  # fmt: skip
            result = model.fit(scale="X2")
            mean = result.get_prediction(np.ones((1, 1)), exposure=[exposure[w]]).predicted_mean
            assert np.isclose(result.scale, dispersion[c], rtol=1e-6, atol=1e-9), (w, c)
            assert np.isclose(mean[0], predicted[c], rtol=1e-6), (w, c)
            assert np.isclose(result.bse[0], se_log[c], rtol=1e-5, atol=1e-9), (w, c)
            fits += 1
    return fits


def calibrate(null_scores: np.ndarray, alarms: int) -> float:
    """The largest α whose alarms (score ≤ α) on the null worlds number at most `alarms`."""
    scores = np.sort(null_scores[np.isfinite(null_scores)])
    at_most = np.searchsorted(scores, scores, side="right")
    allowed = scores[at_most <= alarms]
    return float(allowed.max()) if len(allowed) else 0.0
