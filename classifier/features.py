"""Word and character n-gram features, used beside the sentence embeddings (the hybrid heads).

Frozen embeddings capture what a ticket is about; exact words and fragments (error codes, product
terms, "feature request", stack-trace tokens) are what TF-IDF keeps. Heads fitted on both beat
either alone on long technical tickets (see docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, make_union

from classifier.fast import word_ngrams


def make_text_features(*, char_ngrams: bool = True) -> FeatureUnion:
    """An unfitted union of word 1–2-gram and (unless `char_ngrams` is off) character 2–5-gram
    TF-IDF. The character n-grams cost most of the time: the fast mode leaves them out."""
    words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    if not char_ngrams:
        return make_union(words)
    return make_union(
        words,
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True),
    )


def n_text_features(text_features: FeatureUnion) -> int:
    return sum(len(vectorizer.vocabulary_) for _, vectorizer in text_features.transformer_list)


def combine(
    text_features: FeatureUnion | None,
    texts: Sequence[str],
    vectors: np.ndarray,
    embedding_weight: float = 1.0,
    metadata: csr_matrix | None = None,
) -> np.ndarray | csr_matrix:
    """The matrix the heads see: TF-IDF columns, embedding columns, then the metadata columns
    (`classifier.metadata`) where the bundle has them; embeddings alone without either.

    Each TF-IDF block and the embedding are unit-length; `embedding_weight` scales the embedding
    against the n-grams (chosen by cross-validation at training time, stored in the manifest).
    """
    if text_features is None:
        if metadata is None:
            return vectors
        return hstack([csr_matrix(vectors), metadata], format="csr")
    dense = csr_matrix(vectors * np.float32(embedding_weight))
    # Each vectorizer directly, not `FeatureUnion.transform`: same columns (the union has no
    # weights), without its per-call joblib set-up, which cost ~2 ms per single-ticket request.
    texts = list(texts)
    blocks = [word_ngrams.transform(vec, texts) for _, vec in text_features.transformer_list]
    extra = [] if metadata is None else [metadata]
    return hstack([*blocks, dense, *extra], format="csr")
