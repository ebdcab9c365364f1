"""Classify tickets with a loaded bundle: prepare text, embed once, run every head."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifier.bundle.manifest import FieldManifest
from classifier.bundle.store import STATIC_MODEL_DIR, Bundle, load_bundle
from classifier.embedders.backends import transformer_embedder
from classifier.embedders.base import Embedder, EmbeddingModelInfo, check_same_model
from classifier.embedders.cache import CachedEmbedder, EmbeddingCache
from classifier.embedders.static import StaticEmbedder
from classifier.features import combine
from classifier.records import FieldPrediction, LabelScore, Prediction, Ticket
from classifier.text import prepare_text

TOP_K = 3
EMPTY = "empty"
LOW_CONFIDENCE = "low_confidence"


def embedder_for(
    bundle: Bundle, cache_dir: Path | None = None, *, backend: str = "torch"
) -> Embedder:
    """The embedding model a bundle names, optionally behind the on-disk cache.

    A fast bundle carries its static model; its vectors cost less to compute than to look up.
    `backend` runs the transformer on torch or ONNX Runtime (same vectors); the ONNX export is
    kept in `cache_dir`, or the default cache folder.
    """
    record = bundle.manifest.embedding_model
    if record.files is not None:
        return StaticEmbedder(bundle.path / STATIC_MODEL_DIR, record.name, record.files)
    embedder = transformer_embedder(
        record.name,
        max_tokens=record.max_tokens,
        max_windows=record.max_windows,
        backend=backend,
        cache_dir=cache_dir,
    )
    if cache_dir is not None:
        embedder = CachedEmbedder(embedder, EmbeddingCache(cache_dir / "embeddings.sqlite"))
    return embedder


class TicketClassifier:
    """A bundle's heads paired with the embedding model they were trained on."""

    def __init__(self, bundle: Bundle, embedder: Embedder) -> None:
        check_same_model(
            EmbeddingModelInfo(**bundle.manifest.embedding_model.model_dump(exclude={"files"})),
            embedder.info,
        )
        self.bundle = bundle
        self.embedder = embedder

    @classmethod
    def load(
        cls, path: Path, *, cache_dir: Path | None = None, backend: str = "torch"
    ) -> TicketClassifier:
        bundle = load_bundle(path)
        return cls(bundle, embedder_for(bundle, cache_dir, backend=backend))

    @property
    def version(self) -> str:
        return self.bundle.version

    @property
    def fields(self) -> list[str]:
        return list(self.bundle.heads)

    def predict(self, tickets: Sequence[Ticket]) -> list[Prediction]:
        """One `Prediction` per ticket, in order. Empty tickets are never sent to the model."""
        manifest = self.bundle.manifest
        texts = [prepare_text(t, manifest.max_chars).text for t in tickets]
        filled = [i for i, text in enumerate(texts) if text]
        filled_texts = [texts[i] for i in filled]
        if not filled_texts:
            return [self._empty(ticket) for ticket in tickets]
        vectors = self.embedder.encode(filled_texts)
        window = manifest.embedding_model.max_tokens * manifest.embedding_model.max_windows
        # A token spans at least one character, plus two special tokens: shorter texts fit
        # the window without being tokenized a second time.
        long_rows = [i for i in filled if len(texts[i]) + 2 > window]
        counts = self.embedder.count_tokens([texts[i] for i in long_rows])
        truncated = {i: n > window for i, n in zip(long_rows, counts, strict=True)}
        features = combine(
            self.bundle.text_features, filled_texts, vectors, manifest.embedding_weight
        )
        per_field = {name: self._field_predictions(name, features) for name in self.bundle.heads}
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

    def _empty(self, ticket: Ticket) -> Prediction:
        fields = {name: _empty_prediction() for name in self.bundle.heads}
        return Prediction(ticket_id=ticket.id, model_version=self.version, fields=fields)

    def _field_predictions(self, name: str, features: Any) -> list[FieldPrediction]:
        head = self.bundle.heads[name]
        entry = self.bundle.manifest.fields[name]
        classes = [str(c) for c in head.classes_]
        proba = head.predict_proba(features)
        order = np.argsort(-proba, axis=1)[:, :TOP_K]
        results = []
        for row, best in zip(proba, order, strict=True):
            top = [LabelScore(label=classes[j], confidence=float(row[j])) for j in best]
            confident = _is_confident(entry, top[0])
            results.append(
                FieldPrediction(
                    label=top[0].label,
                    confidence=top[0].confidence,
                    top=top,
                    needs_review=not confident,
                    review_reason=None if confident else LOW_CONFIDENCE,
                )
            )
        return results


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
