"""Classify tickets with a loaded bundle: prepare text, embed once, run every head."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix

from classifier.bundle.manifest import FieldManifest, Manifest
from classifier.bundle.store import STATIC_MODEL_DIR, Bundle, load_bundle, save_bundle
from classifier.centroids import with_centroids
from classifier.embedders.backends import transformer_embedder
from classifier.embedders.base import Embedder, EmbeddingModelInfo, check_same_model
from classifier.embedders.cache import CachedEmbedder, EmbeddingCache
from classifier.embedders.static import StaticEmbedder
from classifier.errors import BundleError
from classifier.features import combine
from classifier.records import FieldPrediction, LabelScore, Prediction, Ticket
from classifier.text import prepare_text

TOP_K = 3
EMPTY = "empty"
LOW_CONFIDENCE = "low_confidence"
UNKNOWN_CLASS = "unknown_class"
"""Nearest to a class the head left out for too few examples: a person should decide."""


EmbedderFactory = Callable[[Bundle], Embedder]


def bundle_embedder(
    bundle: Bundle,
    *,
    backend: str = "torch",
    cache_dir: Path | None = None,
    embedding_cache: bool = True,
) -> Embedder:
    """The embedding model a bundle names, set up exactly as its manifest records.

    A fast bundle carries its static model; its vectors cost less to compute than to look up.
    `backend` runs the transformer on torch or ONNX Runtime (same vectors). `cache_dir` holds the
    ONNX export (default: the ticketlens cache folder) and, with `embedding_cache`, the
    embeddings already computed.
    """
    record = bundle.manifest.embedding_model
    if record.files is not None:
        if bundle.path is None:
            raise BundleError("a fast bundle's static model is read from its saved folder")
        return StaticEmbedder(bundle.path / STATIC_MODEL_DIR, record.name, record.files)
    embedder = transformer_embedder(
        record.name,
        max_tokens=record.max_tokens,
        max_windows=record.max_windows,
        backend=backend,
        cache_dir=cache_dir,
    )
    if cache_dir is not None and embedding_cache:
        embedder = CachedEmbedder(embedder, EmbeddingCache(cache_dir / "embeddings.sqlite"))
    return embedder


class TicketClassifier:
    """The fitted model: a bundle's heads paired with the embedding model they were trained on.

    `TicketClassifier.load` is the one way to build one from a saved bundle (the CLI, the server,
    Ray workers and benchmarks all use it); `training.fit.TicketModel.fit` builds one in memory.
    """

    def __init__(self, bundle: Bundle, embedder: Embedder) -> None:
        check_same_model(
            EmbeddingModelInfo(**bundle.manifest.embedding_model.model_dump(exclude={"files"})),
            embedder.info,
        )
        self.bundle = bundle
        self.embedder = embedder

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        backend: str = "torch",
        cache_dir: Path | None = None,
        embedding_cache: bool = True,
        embedder_factory: EmbedderFactory | None = None,
    ) -> TicketClassifier:
        """Load and verify the bundle at `path` and set up its embedding model.

        `embedder_factory` replaces the packaged model (Ray workers and tests pass their own).
        """
        bundle = load_bundle(path)
        if embedder_factory is not None:
            return cls(bundle, embedder_factory(bundle))
        embedder = bundle_embedder(
            bundle, backend=backend, cache_dir=cache_dir, embedding_cache=embedding_cache
        )
        return cls(bundle, embedder)

    def save(self, models_dir: Path, *, make_current: bool = True) -> Path:
        """Write the bundle under `models_dir/<name>` (see `save_bundle`) and return its path."""
        static = self.embedder if isinstance(self.embedder, StaticEmbedder) else None
        self.bundle = save_bundle(
            models_dir,
            self.bundle.manifest,
            self.bundle.heads,
            text_features=self.bundle.text_features,
            static_model=static.folder if static else None,
            training_text_hashes=self.bundle.training_text_hashes,
            make_current=make_current,
        )
        assert self.bundle.path is not None
        return self.bundle.path

    @property
    def version(self) -> str:
        return self.bundle.version

    @property
    def fields(self) -> list[str]:
        return list(self.bundle.heads)

    @property
    def manifest(self) -> Manifest:
        return self.bundle.manifest

    def predict_proba(self, tickets: Sequence[Ticket]) -> dict[str, np.ndarray]:
        """Per field, a (tickets × classes) array in the manifest's class order; a ticket with
        no text gets a row of zeros (it is never sent to the model)."""
        _, filled, features, vectors = self._features(tickets)
        result = {}
        for name, head in self.bundle.heads.items():
            proba = np.zeros((len(tickets), len(head.classes_)))
            if features is not None and vectors is not None:
                entry = self.manifest.fields[name]
                proba[filled] = with_centroids(entry, head.predict_proba(features), vectors)
            result[name] = proba
        return result

    def predict(self, tickets: Sequence[Ticket]) -> list[Prediction]:
        """One `Prediction` per ticket, in order. Empty tickets are never sent to the model."""
        texts, filled, features, vectors = self._features(tickets)
        if features is None or vectors is None:
            return [self._empty(ticket) for ticket in tickets]
        embedding = self.manifest.embedding_model
        window = embedding.max_tokens * embedding.max_windows
        # A token spans at least one character, plus two special tokens: shorter texts fit
        # the window without being tokenized a second time.
        long_rows = [i for i in filled if len(texts[i]) + 2 > window]
        counts = self.embedder.count_tokens([texts[i] for i in long_rows])
        truncated = {i: n > window for i, n in zip(long_rows, counts, strict=True)}
        per_field = {
            name: self._field_predictions(name, features, vectors) for name in self.bundle.heads
        }
        row_of = {ticket_index: row for row, ticket_index in enumerate(filled)}
        predictions = []
        for i, ticket in enumerate(tickets):
            row = row_of.get(i)
            fields = {
                name: (_empty_prediction() if row is None else preds[row])
                for name, preds in per_field.items()
            }
            predictions.append(
                Prediction(
                    ticket_id=ticket.id,
                    model_version=self.version,
                    fields=fields,
                    truncated=truncated.get(i, False),
                )
            )
        return predictions

    def _features(
        self, tickets: Sequence[Ticket]
    ) -> tuple[list[str], list[int], np.ndarray | csr_matrix | None, np.ndarray | None]:
        """Prepared texts, the indices of those with text, the heads' matrix for those and their
        embeddings."""
        texts = [
            prepare_text(t, self.manifest.max_chars, self.manifest.text_structure).text
            for t in tickets
        ]
        filled = [i for i, text in enumerate(texts) if text]
        if not filled:
            return texts, filled, None, None
        filled_texts = [texts[i] for i in filled]
        vectors = self.embedder.encode(filled_texts)
        features = combine(
            self.bundle.text_features, filled_texts, vectors, self.manifest.embedding_weight
        )
        return texts, filled, features, vectors

    def _empty(self, ticket: Ticket) -> Prediction:
        fields = {name: _empty_prediction() for name in self.bundle.heads}
        return Prediction(ticket_id=ticket.id, model_version=self.version, fields=fields)

    def _field_predictions(
        self, name: str, features: np.ndarray | csr_matrix, vectors: np.ndarray
    ) -> list[FieldPrediction]:
        head = self.bundle.heads[name]
        entry = self.bundle.manifest.fields[name]
        classes = [str(c) for c in head.classes_]
        proba = with_centroids(entry, head.predict_proba(features), vectors)
        order = np.argsort(-proba, axis=1)[:, :TOP_K]
        unknown = _nearest_excluded(entry, vectors)
        results = []
        for row, best, thin in zip(proba, order, unknown, strict=True):
            top = [LabelScore(label=classes[j], confidence=float(row[j])) for j in best]
            confident = _is_confident(entry, top[0]) and not thin
            reason = UNKNOWN_CLASS if thin else None if confident else LOW_CONFIDENCE
            results.append(
                FieldPrediction(
                    label=top[0].label,
                    confidence=top[0].confidence,
                    top=top,
                    needs_review=not confident,
                    review_reason=reason,
                )
            )
        return results


def _nearest_excluded(entry: FieldManifest, vectors: np.ndarray) -> np.ndarray:
    """Per row: is its embedding nearest (cosine) the mean of a class the head left out?"""
    record = entry.prototypes
    if record is None:
        return np.zeros(len(vectors), dtype=bool)
    means = np.asarray(record.vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    nearest = ((vectors / np.where(norms == 0, 1.0, norms)) @ means.T).argmax(axis=1)
    excluded = np.isin(np.asarray(record.labels, dtype=object), record.excluded)
    return np.asarray(excluded[nearest], dtype=bool)


def _is_confident(entry: FieldManifest, best: LabelScore) -> bool:
    """The category's own threshold when the bundle has per-category ones, else the field's."""
    chosen = entry.class_thresholds.get(best.label) if entry.class_thresholds else None
    if chosen is None:
        return best.confidence >= entry.threshold
    return chosen.reached and best.confidence >= chosen.threshold


def _empty_prediction() -> FieldPrediction:
    return FieldPrediction(
        label=None, confidence=0.0, top=[], needs_review=True, review_reason=EMPTY
    )
