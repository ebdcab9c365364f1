"""Which runtime computes a packaged transformer's vectors: torch or ONNX Runtime."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

from classifier.embedders.base import Embedder
from classifier.errors import EmbeddingModelError

Backend = Literal["torch", "onnx"]
BACKENDS: tuple[str, ...] = get_args(Backend)


def transformer_embedder(
    name: str,
    *,
    max_tokens: int,
    max_windows: int,
    backend: str = "torch",
    cache_dir: Path | None = None,
) -> Embedder:
    """The packaged model `name` on `backend`; both give the same vectors and model record.

    `cache_dir` holds the ONNX export (default: the ticketlens cache folder); torch ignores it.
    """
    check_backend(backend)
    if backend == "onnx":
        from classifier.embedders.onnx import OnnxEmbedder

        return OnnxEmbedder(
            name, max_tokens=max_tokens, max_windows=max_windows, cache_dir=cache_dir
        )
    from classifier.embedders.transformer import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(name, max_tokens=max_tokens, max_windows=max_windows)


def check_backend(backend: str) -> None:
    """Refuse a backend name this installation does not know, in one line."""
    if backend not in BACKENDS:
        raise EmbeddingModelError(
            f"unknown backend '{backend}'; choose one of {', '.join(BACKENDS)}"
        )
