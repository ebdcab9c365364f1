"""One label field's folds for the search in `training.fit.selection`, features built per fold.

Each fold's TF-IDF union is fitted on that fold's training rows only, so a term seen only in the
held-out rows never reaches the features; the matrices are built once per embedding weight and
reused by every C tried.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from classifier.fast import word_ngrams
from training.fit.heads import HeadConfig, _folds, _trainable

logger = logging.getLogger(__name__)

MakeFeatures = Callable[[], FeatureUnion]
Key = tuple[float, float]
"""(embedding weight, C)"""


@dataclass(frozen=True)
class FieldData:
    """One label field's rows (indices into the texts and vectors) and their labels."""

    rows: list[int]
    labels: np.ndarray


def ngrams(text_features: FeatureUnion | None, texts: Sequence[str]) -> csr_matrix | None:
    """The fitted union's n-gram columns for `texts`; None without a union."""
    if text_features is None:
        return None
    texts = list(texts)
    blocks = [word_ngrams.transform(vec, texts) for _, vec in text_features.transformer_list]
    return hstack(blocks, format="csr")


def with_embedding(
    ngrams: csr_matrix | None,
    vectors: np.ndarray,
    weight: float,
    metadata: csr_matrix | None = None,
) -> object:
    """The same columns as `classifier.features.combine`: n-grams, the weighted embedding, then
    the metadata columns. float32: the fits run on half the memory traffic (~15 % faster, same
    predictions)."""
    if ngrams is None and metadata is None:
        return vectors.astype(np.float32)
    if ngrams is None:
        return hstack([csr_matrix(vectors), metadata], format="csr", dtype=np.float32)
    dense = csr_matrix(vectors * np.float32(weight))
    extra = [] if metadata is None else [metadata]
    return hstack([ngrams, dense, *extra], format="csr", dtype=np.float32)


def rows_of(metadata: csr_matrix | None, rows: np.ndarray) -> csr_matrix | None:
    """The metadata columns of `rows` (None stays None)."""
    return None if metadata is None else metadata[rows]


def fit_head(config: HeadConfig, C: float, X: object, y: np.ndarray) -> LogisticRegression:
    model = LogisticRegression(C=C, class_weight=config.class_weight, max_iter=config.max_iter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def held_out_proba(
    config: HeadConfig,
    C: float,
    X_train: object,
    y_train: np.ndarray,
    X_test: object,
    classes: np.ndarray,
) -> np.ndarray:
    """One fold's held-out probabilities at C, columns in `classes` order."""
    model = fit_head(config, C, X_train, y_train)
    proba = np.zeros((X_test.shape[0], len(classes)), dtype=np.float64)  # type: ignore[attr-defined]
    proba[:, np.searchsorted(classes, model.classes_)] = model.predict_proba(X_test)
    return proba


@dataclass
class Field:
    """One field's folds, their feature matrices per weight, and the scored candidates."""

    kept: np.ndarray
    y: np.ndarray
    excluded: dict[str, int]
    folds: list[tuple[np.ndarray, np.ndarray]]
    matrices: dict[float, list[tuple[object, object]]]
    screen: list[int]
    """The folds candidates are scored on: all of them, or the first only on a large field."""
    oof: dict[Key, np.ndarray] = field(default_factory=dict)
    held_out: dict[Key, set[int]] = field(default_factory=dict)
    scores: dict[Key, float] = field(default_factory=dict)

    @property
    def classes(self) -> np.ndarray:
        return np.unique(self.y)

    def screened_rows(self) -> np.ndarray:
        return np.concatenate([self.folds[i][1] for i in self.screen])


def prepare(
    name: str,
    data: FieldData,
    texts: list[str],
    vectors: np.ndarray,
    make_features: MakeFeatures | None,
    weights: Sequence[float],
    config: HeadConfig,
    metadata: csr_matrix | None = None,
) -> Field:
    """Drops the field's too-rare classes, splits it into folds and builds each fold's train and
    held-out matrices at every weight (`metadata`: row-aligned with `texts`, or None)."""
    kept, excluded = _trainable(data.labels, config)
    if excluded:  # the CLI's summary table lists them; said once, not per fit
        logger.info(
            "%s: excluded %d class(es) with fewer than %d examples: %s",
            name,
            len(excluded),
            max(config.min_class_count, config.cv_folds),
            ", ".join(f"{c} ({n})" for c, n in excluded.items()),
        )
    rows = np.asarray(data.rows)[kept]
    y = np.asarray(data.labels, dtype=object)[kept].astype(str)
    field_texts, field_vectors = [texts[i] for i in rows], vectors[rows]
    field_metadata = rows_of(metadata, rows)
    n_folds = config.folds_for(len(y))
    folds = list(_folds(config, n_folds).split(np.zeros(len(y)), y))
    matrices: dict[float, list[tuple[object, object]]] = {w: [] for w in weights}
    for train, test in folds:
        union = make_features().fit([field_texts[i] for i in train]) if make_features else None
        ngrams_train = ngrams(union, [field_texts[i] for i in train])
        ngrams_test = ngrams(union, [field_texts[i] for i in test])
        for w in weights:
            matrices[w].append(
                (
                    with_embedding(
                        ngrams_train, field_vectors[train], w, rows_of(field_metadata, train)
                    ),
                    with_embedding(
                        ngrams_test, field_vectors[test], w, rows_of(field_metadata, test)
                    ),
                )
            )
    screen = [0] if config.is_large(len(y)) else list(range(n_folds))
    return Field(kept, y, excluded, folds, matrices, screen)
