"""An `Embedder` whose vectors are computed on a Ray cluster, for training on a large export.

`ticketlens train --engine ray` hands this to `training.fit.train` in place of the local model:
the texts go to a Ray Data actor pool (each actor loads the embedding model once), the vectors
come back to the driver in the texts' order, and the heads are fitted on the driver as usual.
This module imports Ray; only the `--engine ray` code path imports it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import ray
import ray.data

from classifier.embedders.base import (
    DEFAULT_MAX_TOKENS,
    DEFAULT_MAX_WINDOWS,
    DEFAULT_MODEL,
    Embedder,
    EmbeddingModelInfo,
)
from classifier.embedders.transformer import SentenceTransformerEmbedder
from training.labeling.ray.cluster import RayOptions, connect, pool_size


@dataclass(frozen=True)
class EmbeddingSpec:
    """Which embedding model to load, as `ticketlens train` chooses it."""

    name: str = DEFAULT_MODEL
    max_tokens: int = DEFAULT_MAX_TOKENS
    max_windows: int = DEFAULT_MAX_WINDOWS


def packaged_embedder(spec: EmbeddingSpec) -> Embedder:
    """The packaged sentence-transformers model a spec names (the default worker factory)."""
    return SentenceTransformerEmbedder(
        spec.name, max_tokens=spec.max_tokens, max_windows=spec.max_windows
    )


SpecFactory = Callable[[EmbeddingSpec], Embedder]


class _EmbedWorker:
    """A Ray actor holding one embedder; embeds one batch of texts per call."""

    def __init__(self, factory: SpecFactory, spec: EmbeddingSpec, cpus: float) -> None:
        self._embedder = factory(spec)
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(max(1, int(cpus)))

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        vectors = self._embedder.encode(batch["text"].tolist())
        return pd.DataFrame({"row": batch["row"], "vector": list(vectors)})


@ray.remote(num_cpus=0.25)
def _model_info(factory: SpecFactory, spec: EmbeddingSpec) -> EmbeddingModelInfo:
    return factory(spec).info


class RayEmbedder:
    """Embeds on the cluster; the same vectors, in the same order, as `factory(spec)` locally."""

    def __init__(
        self,
        spec: EmbeddingSpec,
        options: RayOptions,
        *,
        factory: SpecFactory = packaged_embedder,
        batch_rows: int = 256,
    ) -> None:
        self.spec = spec
        self.options = options
        self.factory = factory
        self.batch_rows = batch_rows
        self._info: EmbeddingModelInfo | None = None
        self._local: Embedder | None = None

    @property
    def info(self) -> EmbeddingModelInfo:
        if self._info is None:
            connect(self.options.address)
            self._info = ray.get(_model_info.remote(self.factory, self.spec))
        return self._info

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.info.dimension), dtype=np.float32)
        connect(self.options.address)
        frame = pd.DataFrame({"row": np.arange(len(texts)), "text": list(texts)})
        blocks = [
            frame.iloc[i : i + self.batch_rows] for i in range(0, len(frame), self.batch_rows)
        ]
        mapped = ray.data.from_pandas(blocks).map_batches(
            _EmbedWorker,
            fn_constructor_args=(self.factory, self.spec, self.options.cpus_per_actor),
            batch_size=self.batch_rows,
            batch_format="pandas",
            compute=ray.data.ActorPoolStrategy(size=min(pool_size(self.options), len(blocks))),
            num_cpus=self.options.cpus_per_actor,
        )
        matrix = np.zeros((len(texts), self.info.dimension), dtype=np.float32)
        for batch in mapped.iter_batches(batch_format="pandas", batch_size=None):
            matrix[np.asarray(batch["row"])] = np.stack(list(batch["vector"]))
        return matrix

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Counted on the driver (training never asks; a tokenizer pass is cheap)."""
        if self._local is None:
            self._local = self.factory(self.spec)
        return self._local.count_tokens(texts)
