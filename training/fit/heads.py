"""One scikit-learn classifier per label field, fitted on frozen embeddings."""

from __future__ import annotations

import logging
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold, cross_val_predict

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HeadConfig:
    """How a head is fitted. `Cs` is the regularisation grid searched by cross-validation."""

    Cs: tuple[float, ...] = (1.0, 4.0, 16.0, 64.0)
    cv_folds: int = 3
    min_class_count: int = 5
    class_weight: str | None = "balanced"
    """"balanced": each class weighs the same in the loss, so a class with a handful of tickets
    is not traded away for the big ones (long-tailed benchmark, docs/benchmarks.md)."""
    criterion: Literal["macro_f1", "log_loss"] = "macro_f1"
    """How C and the embedding weight are chosen on out-of-fold predictions: macro-F1 sees the
    small classes; log-loss is dominated by the big ones."""
    max_iter: int = 1000
    n_jobs: int | None = -1
    """Folds and C values fit in parallel (lbfgs itself uses one core), from `parallel_rows` up:
    on fewer rows, starting worker processes costs more than the fits."""
    parallel_rows: int = 5000
    large_rows: int | None = 10_000
    """From this many rows a field is searched the cheap way: `large_cv_folds` folds, every
    candidate screened on the first fold only (thousands of held-out rows), and only the chosen
    one completed on the others, beside the final fit. None: every size searched alike."""
    large_cv_folds: int = 2
    centroid_weights: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7)
    """Shares of nearest-centroid evidence tried on the out-of-fold predictions at the chosen
    C (`training.fit.centroids`); (0.0,): the head alone."""
    centroid_temperature: float = 0.05
    estimate_folds: int = 5
    estimate_below: int = 30
    """A field (not large) whose smallest class has fewer rows than this reports its CV figures
    from `estimate_folds` folds of the chosen head (`training.fit.estimate`): with 3, a class
    of a handful of tickets is learned from two thirds of them and the figures err low."""
    estimate_parallel_rows: int = 1000
    """Those fits run in parallel from this many rows (the search's from `parallel_rows`)."""
    random_state: int = 0

    def is_large(self, rows: int) -> bool:
        return self.large_rows is not None and rows >= self.large_rows

    def folds_for(self, rows: int) -> int:
        return self.large_cv_folds if self.is_large(rows) else self.cv_folds


@dataclass
class FittedHead:
    """A fitted head plus what cross-validation said about it."""

    estimator: LogisticRegression
    C: float
    excluded_classes: dict[str, int]
    """Classes left out for having too few examples, with their counts."""
    cv_labels: np.ndarray
    """True labels of the rows the head was trained on (rare classes removed)."""
    cv_proba: np.ndarray
    """Out-of-fold probabilities for those rows, columns in `estimator.classes_` order."""
    kept_rows: np.ndarray = field(repr=False)
    """Indices into the training matrix of the rows used."""
    centroid_weight: float = 0.0
    """Share of nearest-centroid evidence in `cv_proba` and at prediction."""
    cv_folds: int = 3
    """How many folds `cv_proba` comes from."""

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.estimator.classes_]

    @property
    def cv_predicted(self) -> np.ndarray:
        """The out-of-fold predicted label of each row of `cv_labels` (argmax of `cv_proba`)."""
        return np.asarray(self.classes, dtype=object)[self.cv_proba.argmax(axis=1)]


def _rare_classes(labels: np.ndarray, minimum: int) -> dict[str, int]:
    counts = Counter(labels.tolist())
    return {str(c): n for c, n in sorted(counts.items()) if n < minimum}


def _trainable(labels: np.ndarray, config: HeadConfig) -> tuple[np.ndarray, dict[str, int]]:
    """Indices of the rows whose class has enough examples, and the classes left out."""
    labels = np.asarray(labels, dtype=object)
    minimum = max(config.min_class_count, config.cv_folds)
    excluded = _rare_classes(labels, minimum)
    kept = np.flatnonzero(~np.isin(labels, list(excluded)))
    if len(set(labels[kept].tolist())) < 2:
        raise ValueError(f"need at least two classes with {minimum}+ examples to train")
    return kept, excluded


def _jobs(config: HeadConfig, rows: int) -> int | None:
    return config.n_jobs if rows >= config.parallel_rows else None


def _folds(config: HeadConfig, folds: int | None = None) -> StratifiedKFold:
    return StratifiedKFold(folds or config.cv_folds, shuffle=True, random_state=config.random_state)


def search_C(vectors: Any, labels: np.ndarray, config: HeadConfig) -> tuple[float, float]:
    """The C with the best mean held-out score under `config.criterion` (log-loss negated:
    higher is better), and that score. `TicketModel` uses `training.fit.selection` instead,
    which also fits the vocabulary inside the folds; this stays for precomputed matrices.
    """
    kept, _ = _trainable(labels, config)
    X, y = vectors[kept], np.asarray(labels, dtype=object)[kept].astype(str)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = LogisticRegressionCV(
            Cs=list(config.Cs),
            cv=_folds(config),
            scoring="neg_log_loss" if config.criterion == "log_loss" else "f1_macro",
            class_weight=config.class_weight,
            max_iter=config.max_iter,
            n_jobs=_jobs(config, len(y)),
            l1_ratios=(0.0,),
            refit=False,
            use_legacy_attributes=False,
        ).fit(X, y)
    # scores_: (folds, l1_ratios, Cs)
    mean_scores = np.asarray(search.scores_).mean(axis=(0, 1))
    best = int(np.argmax(mean_scores))
    return float(config.Cs[best]), float(mean_scores[best])


def fit_head(
    vectors: Any, labels: np.ndarray, config: HeadConfig, C: float | None = None
) -> FittedHead:
    """Fit a multinomial logistic regression with `C`, or with the C `search_C` picks.

    `vectors` is a dense array or a sparse CSR matrix (hybrid TF-IDF + embedding features).
    The out-of-fold probabilities of that C are kept for the per-category precision/recall the
    bundle reports and for per-category thresholds.
    """
    labels = np.asarray(labels, dtype=object)
    kept, excluded = _trainable(labels, config)
    if excluded:
        logger.info(
            "excluded %d class(es) with fewer than %d examples: %s",
            len(excluded),
            max(config.min_class_count, config.cv_folds),
            ", ".join(f"{c} ({n})" for c, n in excluded.items()),
        )
    best_C = C if C is not None else search_C(vectors, labels, config)[0]
    X, y = vectors[kept], labels[kept].astype(str)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        final = LogisticRegression(
            C=best_C, class_weight=config.class_weight, max_iter=config.max_iter
        )
        cv_proba = cross_val_predict(
            final, X, y, cv=_folds(config), method="predict_proba", n_jobs=_jobs(config, len(y))
        )
        final.fit(X, y)
    return FittedHead(
        estimator=final,
        C=best_C,
        excluded_classes=excluded,
        cv_labels=y,
        cv_proba=cv_proba,
        kept_rows=kept,
        cv_folds=config.cv_folds,
    )
