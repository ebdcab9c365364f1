"""Inference core: records, text preparation, embeddings, heads and model bundles."""

from typing import TYPE_CHECKING

from classifier.extras import lazy_exports

if TYPE_CHECKING:
    from classifier.bundle.manifest import Manifest
    from classifier.bundle.store import Bundle, load_bundle, save_bundle, set_current
    from classifier.embedders.base import DEFAULT_MODEL, Embedder, EmbeddingModelInfo
    from classifier.embedders.cache import CachedEmbedder, EmbeddingCache
    from classifier.embedders.onnx import OnnxEmbedder
    from classifier.embedders.transformer import SentenceTransformerEmbedder
    from classifier.errors import (
        BundleError,
        EmbeddingModelError,
        ExportFormatError,
        TaxonomyError,
        TicketlensError,
    )
    from classifier.predictor import TicketClassifier
    from classifier.records import NO_LABEL, FieldPrediction, LabelScore, Prediction, Ticket
    from classifier.text import prepare_text

# Loaded on first use: `classifier.errors` alone (every CLI module needs it) stays light.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "classifier.bundle.manifest": ("Manifest",),
        "classifier.bundle.store": ("Bundle", "load_bundle", "save_bundle", "set_current"),
        "classifier.embedders.base": ("DEFAULT_MODEL", "Embedder", "EmbeddingModelInfo"),
        "classifier.embedders.cache": ("CachedEmbedder", "EmbeddingCache"),
        "classifier.embedders.onnx": ("OnnxEmbedder",),
        "classifier.embedders.transformer": ("SentenceTransformerEmbedder",),
        "classifier.errors": (
            "BundleError",
            "EmbeddingModelError",
            "ExportFormatError",
            "TaxonomyError",
            "TicketlensError",
        ),
        "classifier.predictor": ("TicketClassifier",),
        "classifier.records": ("NO_LABEL", "FieldPrediction", "LabelScore", "Prediction", "Ticket"),
        "classifier.text": ("prepare_text",),
    },
)

__all__ = [
    "DEFAULT_MODEL",
    "NO_LABEL",
    "Bundle",
    "BundleError",
    "CachedEmbedder",
    "Embedder",
    "EmbeddingCache",
    "EmbeddingModelError",
    "EmbeddingModelInfo",
    "ExportFormatError",
    "FieldPrediction",
    "LabelScore",
    "Manifest",
    "OnnxEmbedder",
    "Prediction",
    "SentenceTransformerEmbedder",
    "TaxonomyError",
    "Ticket",
    "TicketClassifier",
    "TicketlensError",
    "load_bundle",
    "prepare_text",
    "save_bundle",
    "set_current",
]
