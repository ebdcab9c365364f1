"""Inference core: records, text preparation, embeddings, heads and model bundles."""

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
from classifier.records import FieldPrediction, LabelScore, Prediction, Ticket
from classifier.text import prepare_text

__all__ = [
    "DEFAULT_MODEL",
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
