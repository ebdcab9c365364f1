"""A small deterministic embedder for fast unit tests (the real model runs in integration tests)."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer

from classifier.embedders.base import EmbeddingModelInfo


class HashingEmbedder:
    """Bag-of-words hashed into a fixed number of dimensions, L2-normalised."""

    def __init__(self, dimension: int = 256, max_tokens: int = 64) -> None:
        self._vectorizer = HashingVectorizer(
            n_features=dimension, alternate_sign=False, norm="l2", ngram_range=(1, 2)
        )
        self._info = EmbeddingModelInfo(
            name="test/hashing",
            package="tests",
            package_version="0",
            weights_sha256="0" * 64,
            dimension=dimension,
            max_tokens=max_tokens,
        )
        self.calls: list[int] = []

    @property
    def info(self) -> EmbeddingModelInfo:
        return self._info

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        matrix = self._vectorizer.transform(list(texts))
        return np.asarray(matrix.toarray(), dtype=np.float32)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) + 2 for t in texts]


class RecordingEmbedder(HashingEmbedder):
    """The fake, remembering every text it was asked to embed (stands in for a transformer a
    test checks was, or was not, reached)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.seen += list(texts)
        return super().encode(texts)


def hashing_embedder_for(bundle: object) -> HashingEmbedder:
    """The fake as an embedder factory a Ray worker can import (any bundle it was trained on)."""
    return HashingEmbedder()


class _SlowRecordingEmbedder(HashingEmbedder):
    def __init__(self, folder: Path, delay_s: float) -> None:
        super().__init__()
        (folder / str(os.getpid())).touch()
        self._delay_s = delay_s

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(self._delay_s)
        return super().encode(texts)


@dataclass(frozen=True)
class RecordingFactory:
    """An embedder factory for Ray workers that names each worker process (a file per pid in
    `folder`) and sleeps `delay_s` per batch, so a test can kill a worker while it works."""

    folder: Path
    delay_s: float

    def __call__(self, bundle: object) -> HashingEmbedder:
        return _SlowRecordingEmbedder(self.folder, self.delay_s)
