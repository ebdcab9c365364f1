"""Choose each head's C and the embedding weight on out-of-fold predictions, vocabulary in folds.

Every fold fits its own TF-IDF vocabulary on its training rows only: a term seen only in the
held-out rows never reaches the features, so the cross-validated figures in the bundle are what a
new ticket would get. Within a fold the C grid is walked upwards with warm starts (each fit starts
from the previous solution), and the n-gram block is built once for every embedding weight.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed
from scipy.sparse import csr_matrix, hstack
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, log_loss
from sklearn.pipeline import FeatureUnion

from classifier.fast import word_ngrams
from training.fit.heads import FittedHead, HeadConfig, _folds, _jobs, _trainable

logger = logging.getLogger(__name__)

MakeFeatures = Callable[[], FeatureUnion]


@dataclass(frozen=True)
class FieldData:
    """One label field's rows (indices into the texts and vectors) and their labels."""

    rows: list[int]
    labels: np.ndarray


def _ngrams(text_features: FeatureUnion | None, texts: Sequence[str]) -> csr_matrix | None:
    if text_features is None:
        return None
    texts = list(texts)
    blocks = [word_ngrams.transform(vec, texts) for _, vec in text_features.transformer_list]
    return hstack(blocks, format="csr")


def _with_embedding(ngrams: csr_matrix | None, vectors: np.ndarray, weight: float) -> object:
    """The same columns as `classifier.features.combine`: n-grams, then the weighted embedding."""
    if ngrams is None:
        return vectors
    return hstack([ngrams, csr_matrix(vectors * np.float32(weight))], format="csr")


def _head(config: HeadConfig, C: float, *, warm: bool = False) -> LogisticRegression:
    return LogisticRegression(
        C=C, class_weight=config.class_weight, max_iter=config.max_iter, warm_start=warm
    )


def _fold_proba(
    make_features: MakeFeatures | None,
    texts: list[str],
    vectors: np.ndarray,
    y: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    classes: np.ndarray,
    weights: Sequence[float],
    config: HeadConfig,
) -> dict[tuple[float, float], np.ndarray]:
    """Held-out probabilities of one fold for every (weight, C), columns in `classes` order."""
    text_features = make_features().fit([texts[i] for i in train]) if make_features else None
    ngrams_train = _ngrams(text_features, [texts[i] for i in train])
    ngrams_test = _ngrams(text_features, [texts[i] for i in test])
    out: dict[tuple[float, float], np.ndarray] = {}
    for weight in weights:
        X_train = _with_embedding(ngrams_train, vectors[train], weight)
        X_test = _with_embedding(ngrams_test, vectors[test], weight)
        model = _head(config, config.Cs[0], warm=True)
        for C in sorted(config.Cs):
            model.set_params(C=C)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X_train, y[train])
            proba = np.zeros((len(test), len(classes)), dtype=np.float64)
            proba[:, np.searchsorted(classes, model.classes_)] = model.predict_proba(X_test)
            out[(weight, C)] = proba
    return out


def _score(y: np.ndarray, proba: np.ndarray, classes: np.ndarray, criterion: str) -> float:
    """Higher is better: out-of-fold macro-F1, or negated log-loss."""
    if criterion == "log_loss":
        # float32 features give float32 probabilities: renormalised for log_loss's sum check.
        return -float(log_loss(y, proba / proba.sum(axis=1, keepdims=True), labels=classes))
    predicted = classes[proba.argmax(axis=1)]
    return float(f1_score(y, predicted, average="macro", zero_division=0))


def fit_heads(
    texts: Sequence[str],
    vectors: np.ndarray,
    fields: dict[str, FieldData],
    make_features: MakeFeatures | None,
    weights: Sequence[float],
    config: HeadConfig,
) -> tuple[float, FeatureUnion | None, dict[str, FittedHead]]:
    """Cross-validate every (embedding weight, C) per field, keep the weight with the best mean
    score over the fields and each field's best C at it, then refit on all rows.

    Returns the weight, the TF-IDF union fitted on all texts (None without `make_features`) and
    the fitted heads, whose out-of-fold probabilities come from the folds' own vocabularies.
    """
    texts = list(texts)
    weights = tuple(weights) if make_features is not None else (1.0,)
    oof: dict[str, dict[tuple[float, float], np.ndarray]] = {}
    prepared: dict[str, tuple[np.ndarray, np.ndarray, dict[str, int]]] = {}
    for name, data in fields.items():
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
        classes = np.unique(y)
        field_texts, field_vectors = [texts[i] for i in rows], vectors[rows]
        folds = list(_folds(config).split(np.zeros(len(y)), y))
        logger.info(
            "%s: %d folds x %d weight(s) x %d C value(s)",
            name,
            len(folds),
            len(weights),
            len(config.Cs),
        )
        parts = Parallel(n_jobs=_jobs(config, len(y)))(
            delayed(_fold_proba)(
                make_features, field_texts, field_vectors, y, tr, te, classes, weights, config
            )
            for tr, te in folds
        )
        merged = {key: np.zeros((len(y), len(classes))) for key in parts[0]}
        for (_, test), part in zip(folds, parts, strict=True):
            for key, proba in part.items():
                merged[key][test] = proba
        oof[name] = merged
        prepared[name] = (kept, y, excluded)

    def best_C(name: str, weight: float) -> tuple[float, float]:
        y = prepared[name][1]
        classes = np.unique(y)
        scored = [
            (_score(y, oof[name][(weight, C)], classes, config.criterion), C) for C in config.Cs
        ]
        score, C = max(scored)
        return C, score

    def weight_score(weight: float) -> float:
        return float(np.mean([best_C(name, weight)[1] for name in fields]))

    weight = max(weights, key=weight_score)
    logger.info(
        "embedding weight %.2f, C %s",
        weight,
        ", ".join(f"{n}={best_C(n, weight)[0]:g}" for n in fields),
    )
    text_features = make_features().fit(texts) if make_features is not None else None
    ngrams = _ngrams(text_features, texts)
    features = _with_embedding(ngrams, vectors, weight)
    heads: dict[str, FittedHead] = {}
    for name, data in fields.items():
        kept, y, excluded = prepared[name]
        C = best_C(name, weight)[0]
        final = _head(config, C)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            final.fit(features[np.asarray(data.rows)[kept]], y)  # type: ignore[index]
        heads[name] = FittedHead(
            estimator=final,
            C=C,
            excluded_classes=excluded,
            cv_labels=y,
            cv_proba=oof[name][(weight, C)],
            kept_rows=kept,
        )
    return weight, text_features, heads
