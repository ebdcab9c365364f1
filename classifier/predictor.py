"""Classify tickets with a loaded bundle: prepare text, embed once, run every head."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifier.bundle import Bundle, load_bundle
from classifier.cache import CachedEmbedder, EmbeddingCache
from classifier.embedder import (
    Embedder,
    EmbeddingModelInfo,
    SentenceTransformerEmbedder,
    check_same_model,
)
from classifier.features import combine
from classifier.records import FieldPrediction, LabelScore, Prediction, Ticket
from classifier.text import prepare_text

TOP_K = 3
EMPTY = "empty"
LOW_CONFIDENCE = "low_confidence"


def embedder_for(bundle: Bundle, cache_dir: Path | None = None) -> Embedder:
    """The packaged embedding model a bundle names, optionally behind the on-disk cache."""
    record = bundle.manifest.embedding_model
    embedder: Embedder = SentenceTransformerEmbedder(
        record.name, max_tokens=record.max_tokens, max_windows=record.max_windows
    )
    if cache_dir is not None:
        embedder = CachedEmbedder(embedder, EmbeddingCache(cache_dir / "embeddings.sqlite"))
    return embedder


class TicketClassifier:
    """A bundle's heads paired with the embedding model they were trained on."""

    def __init__(self, bundle: Bundle, embedder: Embedder) -> None:
        check_same_model(
            EmbeddingModelInfo(**bundle.manifest.embedding_model.model_dump()), embedder.info
        )
        self.bundle = bundle
        self.embedder = embedder

    @classmethod
    def load(cls, path: Path, *, cache_dir: Path | None = None) -> TicketClassifier:
        bundle = load_bundle(path)
        return cls(bundle, embedder_for(bundle, cache_dir))

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
        truncated = {
            i: n > window
            for i, n in zip(filled, self.embedder.count_tokens(filled_texts), strict=True)
        }
        features = combine(self.bundle.text_features, filled_texts, vectors)
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
        threshold = self.bundle.manifest.fields[name].threshold
        classes = [str(c) for c in head.classes_]
        proba = head.predict_proba(features)
        order = np.argsort(-proba, axis=1)[:, :TOP_K]
        results = []
        for row, best in zip(proba, order, strict=True):
            top = [LabelScore(label=classes[j], confidence=float(row[j])) for j in best]
            confident = top[0].confidence >= threshold
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


def _empty_prediction() -> FieldPrediction:
    return FieldPrediction(
        label=None, confidence=0.0, top=[], needs_review=True, review_reason=EMPTY
    )
