"""Static token embeddings for the fast mode: no transformer pass at labeling time.

The static model is distilled at training time (`training.fit.distill`) from the packaged
sentence-transformers model; a text's vector is the mean of its tokens' rows. The distilled files
are copied into each fast bundle, so loading a bundle never distills again.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import itertools
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

from classifier.embedders.base import (
    EmbeddingModelInfo,
)
from classifier.errors import BundleError
from classifier.fast.word_pieces import CachedWordPieces

logger = logging.getLogger(__name__)

STATIC_PREFIX = "static:"
STATIC_DIMENSION = 256
# No window: every token of the text (after the bundle's `max_chars` pre-cut) is averaged, so
# nothing is truncated and `count_tokens` never needs to run.
STATIC_MAX_TOKENS = 1_000_000
# What StaticModel.from_pretrained reads: plain JSON and safetensors, nothing executable.
STATIC_FILES = ("config.json", "model.safetensors", "tokenizer.json")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def folder_checksums(folder: Path) -> dict[str, str]:
    """sha256 of each file a static model needs, by file name."""
    return {name: _sha256(folder / name) for name in STATIC_FILES}


def is_static(model_name: str) -> bool:
    return model_name.startswith(STATIC_PREFIX)


class StaticEmbedder:
    """Mean of distilled static token vectors, L2-normalised, float32."""

    def __init__(self, folder: Path, name: str, checksums: dict[str, str] | None = None) -> None:
        os.environ["HF_HUB_OFFLINE"] = "1"
        from model2vec import StaticModel

        actual = folder_checksums(folder)
        if checksums is not None and actual != checksums:
            changed = sorted(f for f in STATIC_FILES if actual.get(f) != checksums.get(f))
            raise BundleError(
                f"static model files do not match their checksums in the manifest: {changed}",
                file=folder,
            )
        self.folder = folder
        self.checksums = actual
        self._model: Any = StaticModel.from_pretrained(str(folder), force_download=False)
        # The table is stored as float16: converting it on every call cost as much as the product.
        self._vectors = np.asarray(self._model.embedding, dtype=np.float32)
        self._pieces = CachedWordPieces(self._model.tokenizer)
        self._info = EmbeddingModelInfo(
            name=name,
            package="model2vec",
            package_version=importlib.metadata.version("model2vec"),
            weights_sha256=actual["model.safetensors"],
            dimension=int(self._model.dim),
            max_tokens=STATIC_MAX_TOKENS,
            max_windows=1,
        )

    @property
    def info(self) -> EmbeddingModelInfo:
        return self._info

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return mean_token_vectors(self._model, texts, self.token_ids, self._vectors)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(ids) for ids in self.token_ids(texts)]

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """What `StaticModel.tokenize` returns: the tokenizer's ids without the unknown token."""
        ids = self._pieces.ids(texts)
        unknown = self._model.unk_token_id
        if unknown is None:
            return ids
        return [[t for t in row if t != unknown] if unknown in row else row for row in ids]


def mean_token_vectors(
    model: Any,
    texts: Sequence[str],
    tokenize: Callable[[Sequence[str]], list[list[int]]] | None = None,
    vectors: np.ndarray | None = None,
) -> np.ndarray:
    """What `StaticModel.encode(texts, max_length=None)` returns, as one sparse product.

    `tokenize` gives the same ids as `model.tokenize`, which is the default; `vectors` is
    `model.embedding` as float32, when the caller keeps it converted.

    Row i of a (texts × vocabulary) matrix holds each token's weight / the text's token count,
    so the product with the vector table is every text's (weighted) mean token vector at once;
    model2vec's own loop costs a numpy call per text length and was half the fast mode's time.
    """
    if vectors is None:
        vectors = np.asarray(model.embedding, dtype=np.float32)
    if not texts:
        return np.zeros((0, vectors.shape[1]), dtype=np.float32)
    ids = (tokenize or model.tokenize)(list(texts))
    lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    tokens = np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int64, count=lengths.sum())
    share = np.repeat(1.0 / np.maximum(lengths, 1), lengths).astype(np.float32)
    if model.weights is not None:
        share *= np.asarray(model.weights, dtype=np.float32)[tokens]
    columns = tokens if model.token_mapping is None else np.asarray(model.token_mapping)[tokens]
    rows = np.repeat(np.arange(len(ids)), lengths)
    # Duplicate (row, column) pairs are summed: a repeated token counts as often as it occurs.
    spread = csr_matrix((share, (rows, columns)), shape=(len(ids), vectors.shape[0]))
    out = np.asarray(spread @ vectors, dtype=np.float32)
    if model.normalize:
        out /= np.linalg.norm(out, axis=1, keepdims=True) + np.float32(1e-32)
    return out
