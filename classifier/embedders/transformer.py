"""A packaged sentence-transformers model run offline on the CPU with torch."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Sequence

import numpy as np

from classifier.embedders.base import (
    DEFAULT_MAX_TOKENS,
    DEFAULT_MAX_WINDOWS,
    DEFAULT_MODEL,
    EmbeddingModelInfo,
    encode_windowed,
    locate_packaged_model,
    packaged_model_info,
    split_windows,
)

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """Load a model without transformers' "LOAD REPORT" table and "Loading weights" bar.

    The report lists `embeddings.position_ids`, a buffer the packaged checkpoint carries and
    BertModel rebuilds, so it tells a ticketlens user nothing to act on; real load errors are
    still raised. Only the `transformers` loggers are quietened, and only while loading.
    """
    from transformers.utils import logging as hf_logging

    verbosity, bar = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity(hf_logging.ERROR)
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bar:
            hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]


class SentenceTransformerEmbedder:
    """A packaged sentence-transformers model run offline on the CPU."""

    def __init__(
        self,
        name: str = DEFAULT_MODEL,
        *,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        max_windows: int = DEFAULT_MAX_WINDOWS,
        batch_size: int = 32,
        device: str = "cpu",
    ) -> None:
        # Both must be set before sentence-transformers is imported: nothing may reach a hub.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        from sentence_transformers import SentenceTransformer

        folder = locate_packaged_model(name)
        with quiet_transformers():
            self._model = SentenceTransformer(str(folder), device=device, local_files_only=True)
        self._model.max_seq_length = max_tokens
        # Windows and token counts tokenize whole tickets on purpose (the model itself only ever
        # sees `max_tokens`): transformers' one-time "Token indices sequence length is longer
        # than the specified maximum ... will result in indexing errors" is not true here.
        warned = getattr(self._model.tokenizer, "deprecation_warnings", None)
        if isinstance(warned, dict):
            warned["sequence-length-is-longer-than-the-specified-maximum"] = True
        self._batch_size = batch_size
        self._max_windows = max_windows
        self._info = packaged_model_info(
            name,
            folder,
            dimension=int(self._model.get_embedding_dimension() or 0),
            max_tokens=max_tokens,
            max_windows=max_windows,
        )
        logger.info("loaded embedding model %s from %s", name, folder)

    @property
    def info(self) -> EmbeddingModelInfo:
        return self._info

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return encode_windowed(texts, self._info, self._windows, self._encode)

    def _windows(self, text: str) -> list[str]:
        spans = self._model.tokenizer(
            text, add_special_tokens=False, truncation=False, return_offsets_mapping=True
        )["offset_mapping"]
        return split_windows(text, spans, self._info.max_tokens, self._max_windows)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        encoded = self._model.tokenizer(list(texts), add_special_tokens=True, truncation=False)
        return [len(ids) for ids in encoded["input_ids"]]
