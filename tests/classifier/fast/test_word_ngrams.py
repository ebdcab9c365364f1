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


# Case that depends on context (final sigma, dotted I) and every kind of whitespace: splitting at
# whitespace first must give the tokens the whole text gives.
WHITESPACE_AND_CASE = [
    "ΟΔΟΣ ΟΔΟΣ. ΣΟΦΙΑ Σ invoice",
    "İstanbul invoice ΣΑΣ\u00a0charged twice",
    "charged\x1ctwice\x1finvoice\x85reset\u2028password\u3000reset",
    "tab\tcharged\r\ntwice\x0bvertical\x0cfeed",
    "  leading and trailing   spaces  ",
    "snake_case_token invoice_2024 password-reset E4021!",
]


@pytest.mark.parametrize("strip_accents", [None, "unicode"])
def test_chunk_by_chunk_equals_the_whole_text_exactly(strip_accents: str | None) -> None:
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2), min_df=1, sublinear_tf=True, strip_accents=strip_accents
    ).fit(TRAIN + WHITESPACE_AND_CASE[:2])
    texts = WHITESPACE_AND_CASE + UNSEEN + TRAIN
    for _ in range(2):  # the second time from the chunk cache
        ours = word_ngrams.transform(vectorizer, texts)
        theirs = vectorizer.transform(texts)
        np.testing.assert_array_equal(ours.toarray(), theirs.toarray())
    assert {"οδος", "σοφια", "charged twice"} <= set(vectorizer.vocabulary_)


def test_a_full_chunk_cache_starts_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(word_ngrams, "_MAX_CACHED_CHUNKS", 3)
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=1).fit(TRAIN)
    texts = UNSEEN + TRAIN + WHITESPACE_AND_CASE
    ours = word_ngrams.WordNgramIndex(vectorizer).transform(texts)
    np.testing.assert_array_equal(ours.toarray(), vectorizer.transform(texts).toarray())
