"""Choosing C and the embedding weight: rare classes kept, the vocabulary fitted inside folds."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, make_union

from training.fit.folds import FieldData
from training.fit.heads import HeadConfig
from training.fit.selection import fit_heads


def _imbalanced() -> tuple[list[str], np.ndarray, np.ndarray]:
    """Two big classes and a rare one (8 rows) lying close to the first big one."""
    rng = np.random.default_rng(0)
    basis = np.eye(16)
    centers = {"big-a": basis[0], "big-b": basis[1], "rare": 0.9 * basis[0] + 0.4 * basis[2]}
    sizes = {"big-a": 300, "big-b": 300, "rare": 8}
    vectors = np.vstack(
        [centers[c] + rng.normal(0, 0.3, (n, 16)) for c, n in sizes.items()]
    ).astype(np.float32)
    labels = np.asarray([c for c, n in sizes.items() for _ in range(n)], dtype=object)
    return [f"t{i}" for i in range(len(labels))], vectors, labels


def _cold_out_of_fold(vectors: np.ndarray, labels: np.ndarray, C: float, folds: int) -> Any:
    """The reference: scikit-learn's own out-of-fold probabilities, every fit cold at `C` (the
    defaults of HeadConfig: balanced, max_iter 1000, seed 0)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    return cross_val_predict(
        LogisticRegression(C=C, class_weight="balanced", max_iter=1000),
        vectors.astype(np.float32),
        labels.astype(str),
        cv=StratifiedKFold(folds, shuffle=True, random_state=0),
        method="predict_proba",
    )


def _rare_predictions(config: HeadConfig) -> tuple[int, int]:
    texts, vectors, labels = _imbalanced()
    field = {"f": FieldData(list(range(len(labels))), labels)}
    _, _, heads = fit_heads(texts, vectors, field, None, (1.0,), config)
    head = heads["f"]
    predicted = np.asarray(head.classes)[head.cv_proba.argmax(axis=1)]
    return int((predicted == "rare").sum()), int(
        ((predicted == "rare") & (head.cv_labels == "rare")).sum()
    )


def test_the_rare_class_the_old_criterion_never_predicts_is_kept() -> None:
    Cs = (0.1, 1.0, 10.0)
    # The search's own out-of-fold predictions (estimate_below=0: no re-estimate with more folds).
    old = HeadConfig(
        Cs=Cs, class_weight=None, criterion="log_loss", centroid_weights=(0.0,), estimate_below=0
    )
    assert _rare_predictions(old) == (0, 0)
    predicted, right = _rare_predictions(HeadConfig(Cs=Cs, estimate_below=0))
    assert right >= 4 and predicted >= right


def test_the_vocabulary_of_each_fold_never_sees_its_held_out_rows() -> None:
    labels = np.asarray(["x", "y"] * 30, dtype=object)
    # Every text has a term of its own: a fold's vectorizer knows it only if it saw that row.
    texts = [f"{label} common own{i}" for i, label in enumerate(labels)]
    vectors = np.random.default_rng(1).normal(size=(len(texts), 8)).astype(np.float32)
    made: list[FeatureUnion] = []

    def make_features() -> FeatureUnion:
        made.append(make_union(TfidfVectorizer()))
        return made[-1]

    config = HeadConfig(Cs=(1.0,), cv_folds=3)
    field = {"f": FieldData(list(range(len(texts))), labels)}
    fit_heads(texts, vectors, field, make_features, (0.5, 1.0), config)
    assert len(made) == config.cv_folds + 1  # one per fold, then one on all rows
    own = {f"own{i}" for i in range(len(texts))}
    unseen = Counter(
        term for union in made[:-1] for term in own - set(union.transformer_list[0][1].vocabulary_)
    )
    # Each row is held out by exactly one fold, and only that fold lacks its term.
    assert set(unseen) == own and set(unseen.values()) == {1}
    assert own <= set(made[-1].transformer_list[0][1].vocabulary_)


def test_the_out_of_fold_figures_are_those_of_the_C_the_head_is_fitted_with() -> None:
    """A warm start from the previous C's solution passes lbfgs' tolerance at once and scores the
    old C again; the reported out-of-fold probabilities must be a cold fit at the chosen C."""

    texts, vectors, labels = _imbalanced()
    config = HeadConfig(Cs=(0.01, 0.1, 1.0, 10.0, 100.0), estimate_below=0)
    field = {"f": FieldData(list(range(len(labels))), labels)}
    progress: list[tuple[int, int]] = []
    _, _, heads = fit_heads(
        texts,
        vectors,
        field,
        None,
        (1.0,),
        config,
        lambda done, planned: progress.append((done, planned)),
    )
    head = heads["f"]
    cold = _cold_out_of_fold(vectors, labels, head.C, config.cv_folds)
    np.testing.assert_allclose(head.cv_proba, cold, atol=1e-5)
    assert progress[-1][0] == progress[-1][1] >= 2 * config.cv_folds


def test_a_large_field_is_screened_on_one_fold_and_completed_beside_the_final_fit() -> None:
    """Above `large_rows`: each candidate costs one fit instead of one per fold, yet the head's
    out-of-fold probabilities still cover every row, as a cold 2-fold fit at the chosen C."""

    texts, vectors, labels = _imbalanced()
    field = {"f": FieldData(list(range(len(labels))), labels)}

    def planned(config: HeadConfig) -> tuple[int, Any]:
        progress: list[tuple[int, int]] = []
        _, _, heads = fit_heads(
            texts, vectors, field, None, (1.0,), config, lambda d, p: progress.append((d, p))
        )
        assert progress[-1][0] == progress[-1][1]
        return progress[-1][1], heads["f"]

    Cs = (0.1, 1.0, 10.0)
    everywhere, _ = planned(HeadConfig(Cs=Cs, cv_folds=2, large_rows=None, estimate_below=0))
    screened, head = planned(HeadConfig(Cs=Cs, large_rows=100, large_cv_folds=2))
    # 3 candidates x 2 folds + the final fit, against 3 candidates x 1 fold + 1 fold + final.
    assert (everywhere, screened) == (7, 5)
    cold = _cold_out_of_fold(vectors, labels, head.C, 2)
    np.testing.assert_allclose(head.cv_proba, cold, atol=1e-5)


@pytest.mark.filterwarnings("ignore:The least populated class")  # the cold reference's folds
def test_a_field_with_a_small_class_reports_figures_from_more_folds() -> None:
    """The rare class has 8 rows: with 3 folds each fold learns it from 5 or 6, so the reported
    figures come from `estimate_folds` folds of the chosen head instead — a cold 5-fold
    cross-validation at its C; the head itself (C, coefficients) is the 3-fold search's."""

    texts, vectors, labels = _imbalanced()
    field = {"f": FieldData(list(range(len(labels))), labels)}
    config = HeadConfig(Cs=(0.1, 1.0, 10.0), centroid_weights=(0.0,))
    _, _, heads = fit_heads(texts, vectors, field, None, (1.0,), config)
    _, _, searched = fit_heads(
        texts,
        vectors,
        field,
        None,
        (1.0,),
        HeadConfig(Cs=config.Cs, centroid_weights=(0.0,), estimate_below=0),
    )
    head = heads["f"]
    assert (head.cv_folds, searched["f"].cv_folds) == (config.estimate_folds, config.cv_folds)
    assert head.C == searched["f"].C
    np.testing.assert_allclose(head.estimator.coef_, searched["f"].estimator.coef_)
    cold = _cold_out_of_fold(vectors, labels, head.C, config.estimate_folds)
    np.testing.assert_allclose(head.cv_proba, cold, atol=1e-5)
    assert not np.allclose(head.cv_proba, searched["f"].cv_proba, atol=1e-3)
