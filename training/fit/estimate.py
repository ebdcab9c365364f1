"""The cross-validated figures a bundle reports, estimated again with more folds on small classes.

With the search's 3 folds every fold learns from two thirds of the rows: a class of 6 tickets is
learned from 4, so on a long-tailed field the out-of-fold macro-F1 errs low against what the head
trained on all 6 scores on new tickets (banking77's long tail: 0.764 CV vs 0.806 on the test split,
docs/benchmarks.md). Where a field's smallest class has fewer than `HeadConfig.estimate_below`
rows (and the field is not large), the chosen candidate — its C, embedding weight and centroid
weight — is cross-validated once more with `HeadConfig.estimate_folds` folds, each fold with its
own vocabulary and centroids, and those out-of-fold probabilities become the head's `cv_proba`:
the bundle's metrics, confusions and per-class thresholds. The choice itself is unchanged.
Five folds, not more: a class of 5 is learned from 4 with 5 folds as with 10, and on the long-tail
benchmark 10 folds came no closer to the test figures (docs/benchmarks.md) at twice the fits.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from joblib import delayed
from scipy.sparse import csr_matrix
from sklearn.model_selection import StratifiedKFold

from classifier.centroids import blend
from training.fit.centroids import out_of_fold_centroid_proba
from training.fit.folds import (
    Field,
    MakeFeatures,
    held_out_proba,
    ngrams,
    rows_of,
    with_embedding,
)
from training.fit.heads import HeadConfig


def wants_estimate(f: Field, config: HeadConfig) -> bool:
    smallest = int(np.unique(f.y, return_counts=True)[1].min())
    return (
        config.estimate_folds > len(f.folds)
        and not config.is_large(len(f.y))
        and smallest < config.estimate_below
    )


def estimate_folds(f: Field, config: HeadConfig) -> list[tuple[np.ndarray, np.ndarray]]:
    splitter = StratifiedKFold(
        config.estimate_folds, shuffle=True, random_state=config.random_state
    )
    with warnings.catch_warnings():  # a class smaller than the fold count: one row per fold
        warnings.simplefilter("ignore", UserWarning)
        return list(splitter.split(np.zeros(len(f.y)), f.y))


def fold_tasks(
    f: Field,
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
    texts: Sequence[str],
    vectors: np.ndarray,
    make_features: MakeFeatures | None,
    weight: float,
    C: float,
    config: HeadConfig,
    metadata: csr_matrix | None = None,
) -> list[Any]:
    """One delayed held-out fit per fold of the field's rows (`texts`, `vectors`, `metadata` in
    its order)."""
    tasks = []
    for train, test in folds:
        union = make_features().fit([texts[i] for i in train]) if make_features else None
        X_train = with_embedding(
            ngrams(union, [texts[i] for i in train]),
            vectors[train],
            weight,
            rows_of(metadata, train),
        )
        X_test = with_embedding(
            ngrams(union, [texts[i] for i in test]), vectors[test], weight, rows_of(metadata, test)
        )
        tasks.append(delayed(held_out_proba)(config, C, X_train, f.y[train], X_test, f.classes))
    return tasks


def re_estimate(
    f: Field,
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
    fold_probas: Sequence[np.ndarray],
    vectors: np.ndarray,
    centroid_weight: float,
    config: HeadConfig,
) -> np.ndarray:
    """The out-of-fold probabilities of the folds' results, blended as the head predicts."""
    proba = np.zeros((len(f.y), len(f.classes)))
    for (_, test), fold_proba in zip(folds, fold_probas, strict=True):
        proba[test] = fold_proba
    if centroid_weight == 0:
        return proba
    centroid = out_of_fold_centroid_proba(
        vectors, f.y, f.classes, folds, config.centroid_temperature
    )
    return blend(proba, centroid, centroid_weight)
