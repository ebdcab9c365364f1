"""A model folder → the classifier it holds: a bundle, or a cascade of two (`cascade.json`).

The one place that tells the two apart; `label`, `serve` and `evaluate` load through it.
"""

from __future__ import annotations

from pathlib import Path

from classifier.bundle.store import Bundle, load_bundle
from classifier.cascade import CascadeClassifier, cascade_version, is_cascade, read_cascade
from classifier.predictor import EmbedderFactory, TicketClassifier

Model = TicketClassifier | CascadeClassifier


def load_model(
    path: Path,
    *,
    backend: str = "torch",
    cache_dir: Path | None = None,
    embedder_factory: EmbedderFactory | None = None,
) -> Model:
    """The classifier saved at `path`, every bundle in it verified."""
    if is_cascade(path):
        return CascadeClassifier.load(
            path, backend=backend, cache_dir=cache_dir, embedder_factory=embedder_factory
        )
    return TicketClassifier.load(
        path, backend=backend, cache_dir=cache_dir, embedder_factory=embedder_factory
    )


def model_bundles(path: Path) -> list[Bundle]:
    """The bundles `load_model(path)` would load, each verified, without setting up their
    embedding models (a check that is quick to fail before a server starts)."""
    if is_cascade(path):
        return list(read_cascade(path)[1])
    return [load_bundle(path)]


def model_version(path: Path) -> str:
    """The `version` the model saved at `path` answers with, every bundle in it verified,
    without setting up an embedding model."""
    if is_cascade(path):
        record = read_cascade(path)[0]
        return cascade_version(record.fast_version, record.accurate_version)
    return load_bundle(path).version


__all__ = ["Model", "load_model", "model_bundles", "model_version"]
