"""The feature matrix the heads see: n-gram blocks then the weighted embedding."""

from __future__ import annotations

import numpy as np

from classifier.features import combine, make_text_features

TEXTS = [
    "Charged twice for my invoice",
    "login fails after password reset",
    "export to CSV times out",
    "invoice shows the wrong VAT",
]


def test_combine_keeps_the_unions_columns_and_scales_only_the_embedding() -> None:
    union = make_text_features().fit(TEXTS * 2)
    vectors = np.random.default_rng(0).normal(size=(len(TEXTS), 5)).astype(np.float32)
    matrix = combine(union, TEXTS, vectors, embedding_weight=0.5).toarray()
    ngrams = union.transform(TEXTS).toarray()
    assert matrix.shape == (len(TEXTS), ngrams.shape[1] + 5)
    np.testing.assert_allclose(matrix[:, : ngrams.shape[1]], ngrams, rtol=1e-6)
    np.testing.assert_allclose(matrix[:, ngrams.shape[1] :], vectors * 0.5, rtol=1e-6)


def test_without_text_features_the_embedding_is_the_matrix() -> None:
    vectors = np.ones((2, 3), dtype=np.float32)
    assert combine(None, TEXTS[:2], vectors) is vectors
