"""Word n-gram TF-IDF from integer tables equals scikit-learn's own `transform`."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.fast import word_ngrams

TRAIN = [
    "Charged twice for my invoice, charged twice!",
    "login fails after password reset; Login page loops",
    "export to CSV times out after the password reset",
    "invoice shows the wrong VAT on the invoice",
    "Café crème: accents and ÜNICODE wörds in an invoice",
    "error E4021 when the export times out",
]
UNSEEN = [
    "",
    "nothing known here",
    "INVOICE invoice charged twice twice charged",
    "times out times out after after",
    "x y z a",  # one-letter tokens are not tokens
    "Café crème, wörds!",
    "the export to csv times out after the password reset on my invoice " * 5,
]


@pytest.mark.parametrize(
    "settings",
    [
        {"ngram_range": (1, 2), "min_df": 2, "sublinear_tf": True},
        {"ngram_range": (1, 2), "min_df": 1},
        {"ngram_range": (1, 1), "min_df": 1, "norm": None, "use_idf": False},
        {"ngram_range": (1, 2), "max_features": 7, "strip_accents": "unicode"},
    ],
)
def test_equals_the_vectorizers_own_transform(settings: dict[str, object]) -> None:
    vectorizer = TfidfVectorizer(**settings).fit(TRAIN)  # type: ignore[arg-type]
    assert word_ngrams.supported(vectorizer)
    assert word_ngrams.transform(vectorizer, []).shape == (0, len(vectorizer.vocabulary_))
    for texts in (UNSEEN, TRAIN, UNSEEN[:1]):
        ours = word_ngrams.transform(vectorizer, texts)
        theirs = vectorizer.transform(texts)
        assert ours.shape == theirs.shape
        assert ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours.toarray(), theirs.toarray(), rtol=1e-12, atol=0)


def test_other_vectorizers_fall_back_to_scikit_learn() -> None:
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit(TRAIN)
    trigrams = TfidfVectorizer(ngram_range=(1, 3)).fit(TRAIN)
    stop = TfidfVectorizer(stop_words=["the"]).fit(TRAIN)
    for vectorizer in (chars, trigrams, stop):
        assert not word_ngrams.supported(vectorizer)
        np.testing.assert_array_equal(
            word_ngrams.transform(vectorizer, UNSEEN).toarray(),
            vectorizer.transform(UNSEEN).toarray(),
        )
