"""Word 1–2-gram TF-IDF of a fitted `TfidfVectorizer`, computed with array operations.

scikit-learn's `transform` looks every n-gram of every text up in a Python dict; on the fast
path that was a quarter of the labeling time. Here the texts are split with the vectorizer's own
preprocessor and tokenizer, each token is looked up once, and the bigrams are matched as integer
pairs in one sorted array. Where the preprocessor only lower-cases (the default), neither it nor
the token pattern joins anything across whitespace, so each distinct whitespace-separated chunk
of text is tokenized and looked up once and kept. The result equals the vectorizer's
`transform` (tested); vectorizers set up any other way fall back to it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from weakref import WeakKeyDictionary

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

_MAX_CACHED_CHUNKS = 200_000


class WordNgramIndex:
    """The vocabulary of a fitted word 1–2-gram vectorizer as integer tables."""

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        self._vectorizer = vectorizer
        self._preprocess = vectorizer.build_preprocessor()
        self._tokenize = vectorizer.build_tokenizer()
        words: dict[str, int] = {}
        pairs: list[tuple[int, int, int]] = []
        unigram_columns: dict[int, int] = {}
        for term, column in vectorizer.vocabulary_.items():
            parts = [words.setdefault(part, len(words)) for part in term.split(" ")]
            if len(parts) == 1:
                unigram_columns[parts[0]] = column
            else:
                pairs.append((parts[0], parts[1], column))
        self._words = words
        self._unigram = np.full(len(words), -1, dtype=np.int64)
        self._unigram[list(unigram_columns)] = list(unigram_columns.values())
        keys = np.asarray([a * len(words) + b for a, b, _ in pairs], dtype=np.int64)
        order = np.argsort(keys)
        self._bigram_keys = keys[order]
        self._bigram_columns = np.asarray([c for _, _, c in pairs], dtype=np.int64)[order]
        self._n_columns = len(vectorizer.vocabulary_)
        # `str.lower` (and no preprocessing) change nothing across whitespace; accent stripping
        # (NFKD) can turn a character into a space, so it keeps the whole-text path.
        self._by_chunk = vectorizer.preprocessor is None and not vectorizer.strip_accents
        self._chunks: dict[str, list[int]] = {}

    def counts(self, texts: Sequence[str]) -> csr_matrix:
        """Term counts per text, as `CountVectorizer.transform` gives them."""
        lengths, word_ids = self._word_ids(texts)
        doc = np.repeat(np.arange(len(texts)), lengths)
        known = word_ids >= 0
        unigram = np.full(len(word_ids), -1, dtype=np.int64)
        unigram[known] = self._unigram[word_ids[known]]
        rows = [doc[unigram >= 0]]
        columns = [unigram[unigram >= 0]]
        if len(self._bigram_keys) and len(word_ids) > 1:
            first, second = word_ids[:-1], word_ids[1:]
            same_text = doc[:-1] == doc[1:]
            candidate = same_text & (first >= 0) & (second >= 0)
            keys = first[candidate] * len(self._words) + second[candidate]
            slots = np.searchsorted(self._bigram_keys, keys)
            slots[slots == len(self._bigram_keys)] = 0
            found = self._bigram_keys[slots] == keys
            rows.append(doc[:-1][candidate][found])
            columns.append(self._bigram_columns[slots[found]])
        all_rows, all_columns = np.concatenate(rows), np.concatenate(columns)
        matrix = csr_matrix(
            (np.ones(len(all_rows)), (all_rows, all_columns)),
            shape=(len(texts), self._n_columns),
            dtype=self._vectorizer.dtype,
        )
        matrix.sum_duplicates()
        return matrix

    def transform(self, texts: Sequence[str]) -> csr_matrix:
        """What the vectorizer's own `transform` returns (an empty matrix for no texts)."""
        matrix = self.counts(texts)
        if not texts:
            return matrix
        vectorizer = self._vectorizer
        if vectorizer.sublinear_tf:
            np.log(matrix.data, matrix.data)
            matrix.data += 1.0
        if vectorizer.use_idf:
            matrix.data *= vectorizer.idf_[matrix.indices]
        if vectorizer.norm is not None:
            matrix = normalize(matrix, norm=vectorizer.norm, copy=False)
        return matrix

    def _word_ids(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Per text its token count, and every token's word id (-1: not in the vocabulary)."""
        if self._by_chunk:
            per_text = [self._chunk_ids(text.split()) for text in texts]
        else:
            preprocess, tokenize, words = self._preprocess, self._tokenize, self._words
            per_text = [
                list(map(words.get, tokenize(preprocess(text)), itertools.repeat(-1)))
                for text in texts
            ]
        lengths = np.fromiter(map(len, per_text), dtype=np.int64, count=len(per_text))
        ids = np.fromiter(
            itertools.chain.from_iterable(per_text), dtype=np.int64, count=int(lengths.sum())
        )
        return lengths, ids

    def _chunk_ids(self, chunks: list[str]) -> list[int]:
        known = self._chunks
        found = list(map(known.get, chunks))
        if None in found:
            if len(known) >= _MAX_CACHED_CHUNKS:
                known.clear()
            preprocess, tokenize, words = self._preprocess, self._tokenize, self._words
            for index, chunk in enumerate(chunks):
                if found[index] is None:
                    tokens = tokenize(preprocess(chunk))
                    found[index] = known[chunk] = [words.get(t, -1) for t in tokens]
        return list(itertools.chain.from_iterable(found))  # type: ignore[arg-type]  # no None


_DEFAULT_TOKEN_PATTERN = r"(?u)\b\w\w+\b"


def supported(vectorizer: TfidfVectorizer) -> bool:
    """Whether `WordNgramIndex` reproduces this vectorizer's `transform` exactly."""
    low, high = vectorizer.ngram_range
    return (
        isinstance(vectorizer, TfidfVectorizer)
        and vectorizer.analyzer == "word"
        and low == 1
        and high in (1, 2)
        and vectorizer.input == "content"
        and vectorizer.stop_words is None
        and vectorizer.tokenizer is None
        and vectorizer.token_pattern == _DEFAULT_TOKEN_PATTERN  # tokens never hold a space
        and not vectorizer.binary
    )


_indexes: WeakKeyDictionary[TfidfVectorizer, WordNgramIndex] = WeakKeyDictionary()


def transform(vectorizer: TfidfVectorizer, texts: Sequence[str]) -> csr_matrix:
    """`vectorizer.transform(texts)`, through a `WordNgramIndex` where one applies."""
    if not supported(vectorizer):
        return vectorizer.transform(texts)
    index = _indexes.get(vectorizer)
    if index is None:
        index = _indexes[vectorizer] = WordNgramIndex(vectorizer)
    return index.transform(texts)
