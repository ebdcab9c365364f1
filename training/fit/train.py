"""Train a bundle: prepare and embed ticket text once, fit one head per label field, save."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Literal

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from classifier.bundle.manifest import (
    CategoryMetrics,
    ColumnMappingRecord,
    EmbeddingModelRecord,
    FieldManifest,
    Manifest,
    TrainingData,
)
from classifier.bundle.store import Bundle, text_hash
from classifier.embedders.base import Embedder
from classifier.embedders.static import StaticEmbedder
from classifier.features import make_text_features
from classifier.metadata import encode_subjects
from classifier.predictor import TicketClassifier
from classifier.records import Prediction, Ticket
from classifier.text import prepare_text
from training.fit.folds import FieldData
from training.fit.heads import FittedHead, HeadConfig
from training.fit.metadata import fit_with_metadata
from training.fit.prototypes import excluded_prototypes
from training.fit.provenance import library_versions, training_fingerprint
from training.fit.selection import Progress
from training.fit.thresholds import per_class_thresholds

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """Everything `train` needs besides the tickets and the embedder."""

    fields: tuple[str, ...] = ("category", "feature")
    head: HeadConfig = field(default_factory=HeadConfig)
    threshold: float = 0.5
    text_features: bool = True
    """Hybrid heads: TF-IDF n-grams beside the embeddings."""
    mode: Literal["accurate", "fast"] = "accurate"
    """fast: pair with a `StaticEmbedder`; the TF-IDF part keeps word n-grams only."""
    target_precision: float | None = None
    """Pick a confidence threshold per category so its precision reaches this, where it can."""
    embedding_weights: tuple[float, ...] = (0.5, 1.0)
    """Hybrid heads: weights of the embedding against the n-grams, chosen by cross-validation."""
    max_chars: int = 4000
    text_structure: bool = False
    """Strip code, traces, logs and templates from bodies (`prepare_text(structure=)`)."""
    name: str | None = None
    make_current: bool = True
    column_mapping: ColumnMappingRecord | None = None
    """The export columns read (names only), recorded in the manifest for the next export."""
    feature_columns: tuple[str, ...] = ()
    """`Ticket.metadata` keys the heads see as indicator columns (`classifier.metadata`)."""
    segment: str | None = None
    """A `Ticket.metadata` key whose values may get heads of their own, kept where
    cross-validation says so (`training.fit.metadata`)."""
    subject_block: bool = False
    """Try the subject line's own embedding beside the text's; kept where cross-validation
    says so."""


@dataclass(frozen=True)
class TrainResult:
    bundle_path: Path
    manifest: Manifest
    rows_without_text: int
    confusions: dict[str, dict[str, tuple[str, int]]] = field(default_factory=dict)
    """Per field, each class's most frequent wrong out-of-fold prediction and how often."""


def top_confusions(fitted: FittedHead) -> dict[str, tuple[str, int]]:
    """Each class's most frequent wrong out-of-fold prediction, with its count."""
    predicted = fitted.cv_predicted
    wrong = Counter(
        (str(t), str(p)) for t, p in zip(fitted.cv_labels, predicted, strict=True) if t != p
    )
    top: dict[str, tuple[str, int]] = {}
    for (truth, guess), count in wrong.most_common():
        top.setdefault(truth, (guess, count))
    return top


def _field_manifest(fitted: FittedHead, config: TrainConfig, unlabeled: int) -> FieldManifest:
    classes = fitted.classes
    predicted = fitted.cv_predicted
    precision, recall, f1, support = precision_recall_fscore_support(
        fitted.cv_labels, predicted, labels=classes, zero_division=0
    )
    counts = Counter(fitted.cv_labels.tolist())
    total = sum(counts.values())
    return FieldManifest(
        classes=classes,
        excluded_classes=fitted.excluded_classes,
        threshold=config.threshold,
        regularization_C=fitted.C,
        head_file="",
        head_sha256="",
        rows_trained=total,
        rows_unlabeled=unlabeled,
        cv_accuracy=float(accuracy_score(fitted.cv_labels, predicted)),
        cv_macro_f1=float(f1_score(fitted.cv_labels, predicted, average="macro", zero_division=0)),
        cv_folds=fitted.cv_folds,
        cv_per_category={
            c: CategoryMetrics(precision=float(p), recall=float(r), f1=float(f), support=int(s))
            for c, p, r, f, s in zip(classes, precision, recall, f1, support, strict=True)
        },
        training_shares={c: 100.0 * counts[c] / total for c in classes},
        target_precision=config.target_precision,
        class_thresholds=(
            {}
            if config.target_precision is None
            else per_class_thresholds(
                fitted.cv_labels, fitted.cv_proba, classes, config.target_precision
            )
        ),
    )


class TicketModel:
    """The estimator: `TicketModel(embedder, config).fit(tickets)` fits one head per field in
    memory; the fitted `classifier_` predicts and saves (scikit-learn's contract: `__init__`
    stores, `fit` returns self, saving is separate)."""

    def __init__(self, embedder: Embedder, config: TrainConfig | None = None) -> None:
        self.embedder = embedder
        self.config = config or TrainConfig()

    def fit(
        self,
        tickets: Sequence[Ticket],
        *,
        source: str = "in-memory",
        progress: Progress | None = None,
    ) -> TicketModel:
        """Prepare and embed the tickets' text once, fit every field's head, keep the result.
        `progress` is told (fits done, fits planned) during the cross-validated search."""
        config, embedder = self.config, self.embedder
        if (config.mode == "fast") != isinstance(embedder, StaticEmbedder):
            raise ValueError(
                "the fast mode takes a StaticEmbedder, the accurate mode a transformer"
            )
        texts = [prepare_text(t, config.max_chars, config.text_structure).text for t in tickets]
        usable = [i for i, text in enumerate(texts) if text]
        if len(usable) < len(tickets):
            logger.warning("%d ticket(s) have no text and are left out", len(tickets) - len(usable))
        usable_tickets = [tickets[i] for i in usable]
        usable_texts = [texts[i] for i in usable]
        logger.info("embedding %d tickets", len(usable_texts))
        vectors = embedder.encode(usable_texts)
        rows: dict[str, list[int]] = {}
        labels: dict[str, np.ndarray] = {}
        for name in config.fields:
            rows[name] = [i for i, t in enumerate(usable_tickets) if name in t.labels]
            unlabeled = len(usable_tickets) - len(rows[name])
            if unlabeled:  # the CLI's summary table shows these counts
                logger.info("%d row(s) have no '%s' label and are skipped for it", unlabeled, name)
            labels[name] = np.asarray(
                [usable_tickets[i].labels[name] for i in rows[name]], dtype=object
            )

        make_features = (
            partial(make_text_features, char_ngrams=config.mode == "accurate")
            if config.text_features
            else None
        )
        # Each fold fits its own vocabulary: the CV metrics carry no leak from held-out rows.
        fit = fit_with_metadata(
            usable_tickets,
            usable_texts,
            vectors,
            {name: FieldData(rows[name], labels[name]) for name in rows},
            make_features,
            config.embedding_weights,
            config.head,
            feature_columns=config.feature_columns,
            segment=config.segment,
            subject_vectors=(
                encode_subjects(embedder, usable_tickets) if config.subject_block else None
            ),
            progress=progress,
        )
        weight, text_features, fitted_heads = fit.weight, fit.text_features, fit.heads
        fields = {
            name: _field_manifest(fitted, config, len(usable_tickets) - len(rows[name])).model_copy(
                update={
                    "prototypes": excluded_prototypes(
                        vectors[rows[name]],
                        labels[name],
                        fitted.classes,
                        list(fitted.excluded_classes),
                        always=fitted.centroid_weight > 0,
                    ),
                    "centroid_weight": fitted.centroid_weight,
                    "centroid_temperature": config.head.centroid_temperature,
                }
            )
            for name, fitted in fitted_heads.items()
        }
        created = datetime.now(UTC)
        static = embedder if isinstance(embedder, StaticEmbedder) else None
        manifest = Manifest(
            name=config.name or f"ticketlens-{created:%Y%m%d-%H%M%S}",
            created_at=created,
            mode=config.mode,
            embedding_model=EmbeddingModelRecord(
                **embedder.info.to_dict(), files=static.checksums if static else None
            ),
            training_data=TrainingData(
                source=source,
                rows=len(tickets),
                fingerprint=training_fingerprint(usable_texts, usable_tickets, config.fields),
            ),
            fields=fields,
            libraries=library_versions(),
            max_chars=config.max_chars,
            text_structure=config.text_structure,
            embedding_weight=weight,
            metadata_features=fit.record,
            column_mapping=config.column_mapping,
        )
        heads = {name: fitted.estimator for name, fitted in fitted_heads.items()}
        bundle = Bundle(
            path=None,
            manifest=manifest,
            heads=heads,
            text_features=text_features,
            training_text_hashes=frozenset(text_hash(text) for text in usable_texts),
        )
        self.classifier_ = TicketClassifier(bundle, embedder)
        self.fitted_heads_ = fitted_heads
        self.ticket_rows_ = {
            name: np.asarray(usable, dtype=int)[np.asarray(rows[name], dtype=int)][f.kept_rows]
            for name, f in fitted_heads.items()
        }
        """Per field, the index into `tickets` of each out-of-fold row (`cv_labels` order)."""
        self.rows_without_text_ = len(tickets) - len(usable)
        return self

    def _fitted(self) -> TicketClassifier:
        if not hasattr(self, "classifier_"):
            raise NotFittedError("call fit() before predicting or saving")
        return self.classifier_

    def predict(self, tickets: Sequence[Ticket]) -> list[Prediction]:
        return self._fitted().predict(tickets)

    def predict_proba(self, tickets: Sequence[Ticket]) -> dict[str, np.ndarray]:
        return self._fitted().predict_proba(tickets)

    def save(self, models_dir: Path, *, make_current: bool | None = None) -> Path:
        """Save the fitted bundle; `make_current` defaults to the config's."""
        current = self.config.make_current if make_current is None else make_current
        return self._fitted().save(models_dir, make_current=current)


def train(
    tickets: Sequence[Ticket],
    embedder: Embedder,
    config: TrainConfig,
    *,
    models_dir: Path,
    source: str,
    progress: Progress | None = None,
) -> TrainResult:
    """Fit one head per field in `config.fields` and save the bundle under `models_dir`."""
    model = TicketModel(embedder, config).fit(tickets, source=source, progress=progress)
    path = model.save(models_dir)
    return TrainResult(
        bundle_path=path,
        manifest=model.classifier_.manifest,
        rows_without_text=model.rows_without_text_,
        confusions={name: top_confusions(f) for name, f in model.fitted_heads_.items()},
    )
