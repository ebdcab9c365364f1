"""Inference core: records, text preparation, embeddings, heads and model bundles."""

from classifier.bundle import Bundle, load_bundle, save_bundle, set_current
from classifier.cache import CachedEmbedder, EmbeddingCache
from classifier.embedder import (
    DEFAULT_MODEL,
    Embedder,
    EmbeddingModelInfo,
    SentenceTransformerEmbedder,
)
from classifier.errors import (
    BundleError,
    EmbeddingModelError,
    ExportFormatError,
    TaxonomyError,
    TicketlensError,
)
from classifier.heads import FittedHead, HeadConfig, fit_head
from classifier.manifest import Manifest
from classifier.onnx_embedder import OnnxEmbedder
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
    "FittedHead",
    "HeadConfig",
    "LabelScore",
    "Manifest",
    "OnnxEmbedder",
    "Prediction",
    "SentenceTransformerEmbedder",
    "TaxonomyError",
    "Ticket",
    "TicketClassifier",
    "TicketlensError",
    "fit_head",
    "load_bundle",
    "prepare_text",
    "save_bundle",
    "set_current",
]
