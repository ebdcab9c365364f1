"""Classify tickets with a loaded bundle: prepare text, embed once, run every head."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

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
from classifier.metadata import encode_subjects, metadata_block
from classifier.records import Prediction, Ticket
from classifier.scores import LOW_CONFIDENCE, UNKNOWN_CLASS, BatchScores, FieldScores
from classifier.text import prepare_text

TOP_K = 3


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
        return cls.from_bundle(
            load_bundle(path),
            backend=backend,
            cache_dir=cache_dir,
            embedding_cache=embedding_cache,
            embedder_factory=embedder_factory,
        )

    @classmethod
    def from_bundle(
        cls,
        bundle: Bundle,
        *,
        backend: str = "torch",
        cache_dir: Path | None = None,
        embedding_cache: bool = True,
        embedder_factory: EmbedderFactory | None = None,
    ) -> TicketClassifier:
        """A loaded (verified) bundle with its embedding model set up (see `load`)."""
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
        return self.scores(tickets).predictions()

    def predict_columns(self, tickets: Sequence[Ticket]) -> dict[str, list[Any]]:
        """The columns `ticketlens label` adds, one value per ticket: for each ticket what
        `Prediction.to_columns` of its `predict` answer holds, without building the records."""
        return self.scores(tickets).columns()

    def scores(self, tickets: Sequence[Ticket]) -> BatchScores:
        """Every field's answers for `tickets` as arrays (see `classifier.scores`)."""
        texts, filled, features, vectors = self._features(tickets)
        truncated = [False] * len(tickets)
        fields: dict[str, FieldScores]
        if features is None or vectors is None:
            fields = {name: _no_rows(head) for name, head in self.bundle.heads.items()}
        else:
            embedding = self.manifest.embedding_model
            window = embedding.max_tokens * embedding.max_windows
            # A token spans at least one character, plus two special tokens: shorter texts fit
            # the window without being tokenized a second time.
            long_rows = [i for i in filled if len(texts[i]) + 2 > window]
            counts = self.embedder.count_tokens([texts[i] for i in long_rows])
            for i, n in zip(long_rows, counts, strict=True):
                truncated[i] = n > window
            fields = {
                name: self._field_scores(name, features, vectors) for name in self.bundle.heads
            }
        return BatchScores(
            ticket_ids=[ticket.id for ticket in tickets],
            model_version=self.version,
            filled=filled,
            fields=fields,
            truncated=truncated,
        )

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
        record = self.manifest.metadata_features
        filled_tickets = [tickets[i] for i in filled]
        subjects = (
            encode_subjects(self.embedder, filled_tickets)
            if record is not None and record.subject_weight
            else None
        )
        metadata = metadata_block(filled_tickets, record, vectors, subjects)
        features = combine(
            self.bundle.text_features,
            filled_texts,
            vectors,
            self.manifest.embedding_weight,
            metadata,
        )
        return texts, filled, features, vectors

    def _field_scores(
        self, name: str, features: np.ndarray | csr_matrix, vectors: np.ndarray
    ) -> FieldScores:
        head = self.bundle.heads[name]
        entry = self.bundle.manifest.fields[name]
        classes = [str(c) for c in head.classes_]
        proba = with_centroids(entry, head.predict_proba(features), vectors)
        top = np.argsort(-proba, axis=1)[:, :TOP_K]
        confidence = np.take_along_axis(proba, top, axis=1)
        thin = _nearest_excluded(entry, vectors)
        confident = _confident(entry, classes, top[:, 0], confidence[:, 0]) & ~thin
        reason: list[str | None] = [
            UNKNOWN_CLASS if unknown else None if sure else LOW_CONFIDENCE
            for unknown, sure in zip(thin.tolist(), confident.tolist(), strict=True)
        ]
        return FieldScores(
            classes=classes,
            top=top,
            confidence=confidence,
            needs_review=~confident,
            reason=reason,
        )


def _no_rows(head: Any) -> FieldScores:
    width = min(TOP_K, len(head.classes_))
    return FieldScores(
        classes=[str(c) for c in head.classes_],
        top=np.zeros((0, width), dtype=np.int64),
        confidence=np.zeros((0, width)),
        needs_review=np.zeros(0, dtype=bool),
        reason=[],
    )


def _nearest_excluded(entry: FieldManifest, vectors: np.ndarray) -> np.ndarray:
    """Per row: is its embedding nearest (cosine) the mean of a class the head left out?"""
    record = entry.prototypes
    if record is None or not record.excluded:  # no class left out: none can be nearest
        return np.zeros(len(vectors), dtype=bool)
    means = np.asarray(record.vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    nearest = ((vectors / np.where(norms == 0, 1.0, norms)) @ means.T).argmax(axis=1)
    excluded = np.isin(np.asarray(record.labels, dtype=object), record.excluded)
    return np.asarray(excluded[nearest], dtype=bool)


def _confident(
    entry: FieldManifest, classes: list[str], best: np.ndarray, confidence: np.ndarray
) -> np.ndarray:
    """Per row: does its best class's confidence reach that category's own threshold where the
    bundle has one for it (never, where that one was not reached), else the field's?"""
    thresholds = np.full(len(classes), entry.threshold, dtype=np.float64)
    reached = np.ones(len(classes), dtype=bool)
    for index, label in enumerate(classes):
        chosen = entry.class_thresholds.get(label)
        if chosen is not None:
            reached[index] = chosen.reached
            thresholds[index] = chosen.threshold
    return np.asarray(reached[best] & (confidence >= thresholds[best]), dtype=bool)
