"""Choose how much nearest-centroid evidence a head's probabilities take, on out-of-fold rows.

Each fold's class centroids are the unit-length mean embeddings of that fold's training rows only,
so the held-out rows are scored as new tickets would be; the weight with the best out-of-fold score
(the head's own criterion) wins, the smaller weight on a tie. See `classifier.centroids`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from classifier.centroids import blend, centroid_proba, unit_rows

Score = Callable[[np.ndarray], float]
"""Scores out-of-fold probabilities (columns in the head's class order); higher is better."""


def class_centroids(vectors: np.ndarray, y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Unit-length mean embedding per class, in `classes` order (zeros for an absent class)."""
    dim = vectors.shape[1]
    means = np.stack(
        [
            vectors[y == c].mean(axis=0) if (y == c).any() else np.zeros(dim)
            for c in classes.tolist()
        ]
    )
    return unit_rows(means)


def out_of_fold_centroid_proba(
    vectors: np.ndarray,
    y: np.ndarray,
    classes: np.ndarray,
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
    temperature: float,
) -> np.ndarray:
    proba = np.zeros((len(y), len(classes)))
    for train, test in folds:
        centroids = class_centroids(vectors[train], y[train], classes)
        proba[test] = centroid_proba(vectors[test], centroids, temperature)
    return proba


def choose_weight(
    head_proba: np.ndarray, centroid: np.ndarray, weights: Sequence[float], score: Score
) -> tuple[float, np.ndarray]:
    """The best-scoring weight and the out-of-fold probabilities blended at it."""
    scored = {w: score(blend(head_proba, centroid, w)) for w in sorted(set(weights) | {0.0})}
    best = max(scored, key=lambda w: (scored[w], -w))
    return best, blend(head_proba, centroid, best)
