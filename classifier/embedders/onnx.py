"""The packaged sentence-transformers model run by ONNX Runtime: small and quick to load.

Same vectors as `SentenceTransformerEmbedder` (within 1e-4; tests/classifier/test_onnx_embedder.py)
and the same `EmbeddingModelInfo`, so bundles and the embedding cache work with either. Only
onnxruntime, tokenizers and numpy are imported here; the ONNX file is exported from the packaged
weights once per machine, by `classifier.embedders.onnx_export` in a child process.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from classifier.embedders.base import (
    DEFAULT_MAX_TOKENS,
    DEFAULT_MAX_WINDOWS,
    DEFAULT_MODEL,
    EmbeddingModelInfo,
    default_cache_dir,
    encode_windowed,
    locate_packaged_model,
    packaged_model_info,
    split_windows,
    weights_sha256,
)
from classifier.embedders.onnx_export import MODEL_FILE, read_stamp
from classifier.errors import EmbeddingModelError

logger = logging.getLogger(__name__)

EXPORT_TIMEOUT_S = 900


def onnx_model_path(cache_dir: Path, weights_sha256: str) -> Path:
    """Where the export of the weights with this sha256 is kept."""
    return cache_dir / "onnx" / weights_sha256[:16] / MODEL_FILE


def ensure_onnx_model(folder: Path, weights_sha256: str, cache_dir: Path) -> Path:
    """The ONNX file for the model in `folder`, exported first if this machine has none."""
    path = onnx_model_path(cache_dir, weights_sha256)
    stamp = read_stamp(path.parent)
    if stamp is not None and stamp.get("weights_sha256") == weights_sha256:
        return path
    logger.info("exporting %s to ONNX in %s (once per machine, about a minute)", folder, path)
    command = [
        sys.executable,
        "-m",
        "classifier.embedders.onnx_export",
        str(folder),
        str(path.parent),
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    try:
        done = subprocess.run(
            [*command, weights_sha256],
            capture_output=True,
            text=True,
            env=env,
            timeout=EXPORT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EmbeddingModelError(f"ONNX export failed: {exc}", file=path) from exc
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = lines[-1][:400] if lines else f"exit status {done.returncode}"
        raise EmbeddingModelError(
            f"ONNX export failed ({reason}); install the 'serve' extra or use the torch backend",
            file=path,
        )
    return path


def prepare_onnx_model(name: str, cache_dir: Path | None = None) -> Path:
    """Export the packaged model `name` now unless done before (e.g. before a server starts)."""
    folder = locate_packaged_model(name)
    return ensure_onnx_model(folder, weights_sha256(folder), cache_dir or default_cache_dir())


class OnnxEmbedder:
    """A packaged model's transformer in ONNX Runtime, tokenized by its own tokenizer.json."""

    def __init__(
        self,
        name: str = DEFAULT_MODEL,
        *,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        max_windows: int = DEFAULT_MAX_WINDOWS,
        cache_dir: Path | None = None,
        batch_size: int = 32,
        threads: int | None = None,
    ) -> None:
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise EmbeddingModelError(
                f"the onnx backend needs onnxruntime and tokenizers ({exc}): "
                'pip install "ticketlens[serve]", or use the torch backend'
            ) from exc
        folder = locate_packaged_model(name)
        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
        if not pooling.get("pooling_mode_mean_tokens"):
            raise EmbeddingModelError(f"the onnx backend does mean pooling only; {name} does not")
        self._info = packaged_model_info(
            name,
            folder,
            dimension=int(pooling["word_embedding_dimension"]),
            max_tokens=max_tokens,
            max_windows=max_windows,
        )
        path = ensure_onnx_model(
            folder, self._info.weights_sha256, cache_dir or default_cache_dir()
        )
        # Two tokenizers, each configured once: changing one's settings is not thread-safe.
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._untruncated = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._untruncated.no_padding()
        self._untruncated.no_truncation()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or len(os.sched_getaffinity(0))
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Shapes change with every batch: memory patterns would only be planned and dropped.
        options.enable_mem_pattern = False
        # Idle pool threads sleep instead of spinning: on 2 cores a spinning pool takes CPU from
        # the event loop and the tokenizer between batches.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )
        self._batch_size = batch_size
        logger.info("loaded embedding model %s (ONNX Runtime) from %s", name, path)

    @property
    def info(self) -> EmbeddingModelInfo:
        return self._info

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return encode_windowed(texts, self._info, self._windows, self._encode)

    def _windows(self, text: str) -> list[str]:
        spans = self._untruncated.encode(text, add_special_tokens=False).offsets
        return split_windows(text, spans, self._info.max_tokens, self._info.max_windows)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        encoded = [e.ids for e in self._tokenizer.encode_batch(list(texts))]
        # Similar lengths share a batch, so little of each batch is padding.
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        vectors = np.zeros((len(texts), self._info.dimension), dtype=np.float32)
        for start in range(0, len(order), self._batch_size):
            rows = order[start : start + self._batch_size]
            vectors[rows] = self._run([encoded[i] for i in rows])
        return vectors

    def _run(self, batch: list[list[int]]) -> np.ndarray:
        """Mean of the unpadded tokens' states, L2-normalised (the packaged Pooling+Normalize)."""
        width = max(len(ids) for ids in batch)
        ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, tokens in enumerate(batch):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        states: np.ndarray = np.asarray(self._session.run(None, feed)[0])
        weights = mask[:, :, None].astype(np.float32)
        pooled = (states * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        vectors: np.ndarray = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return vectors

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        return [len(e.ids) for e in self._untruncated.encode_batch(list(texts))]
