"""Nearest-centroid evidence blended into a head's probabilities.

A class with a handful of tickets gets little weight from a linear head fitted on thousands of
columns, but its mean embedding can still sit close to its tickets. When cross-validation says it
helps (`FieldManifest.centroid_weight` > 0), the head's probabilities are mixed with a softmax over
the cosine to each class's unit-length mean embedding (`prototypes.vectors`, the head's classes
first): (1 − w) · head + w · softmax(cosine / temperature).
"""

from __future__ import annotations

import numpy as np

from classifier.bundle.manifest import FieldManifest


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def centroid_proba(vectors: np.ndarray, centroids: np.ndarray, temperature: float) -> np.ndarray:
    """Softmax over classes of the cosine between each row and each unit-length centroid."""
    logits = unit_rows(vectors) @ np.asarray(centroids, dtype=np.float64).T / temperature
    logits -= logits.max(axis=1, keepdims=True)
    weights = np.exp(logits)
    return np.asarray(weights / weights.sum(axis=1, keepdims=True))


def blend(proba: np.ndarray, centroid: np.ndarray, weight: float) -> np.ndarray:
    return proba if weight == 0 else (1.0 - weight) * proba + weight * centroid


def with_centroids(entry: FieldManifest, proba: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """The field's probabilities with its centroid evidence mixed in (unchanged at weight 0)."""
    if entry.centroid_weight == 0 or entry.prototypes is None or not len(proba):
        return proba
    centroids = np.asarray(entry.prototypes.vectors)[: len(entry.classes)]
    return blend(
        proba, centroid_proba(vectors, centroids, entry.centroid_temperature), entry.centroid_weight
    )
