"""Zero- and few-shot bundles: heads fitted on description prototypes, pseudo-labels and labels.

The result is an ordinary bundle (one LogisticRegression per field on the embeddings), so
`label`, `serve`, `evaluate` and `report` take it unchanged; its manifest says how it was trained.
"""

from __future__ import annotations

import logging
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from classifier.bundle.manifest import (
    CategoryMetrics,
    EmbeddingModelRecord,
    ExcludedPrototypes,
    FieldManifest,
    Manifest,
    TrainingData,
)
from classifier.bundle.store import Bundle, text_hash
from classifier.embedders.base import Embedder
from classifier.errors import TicketlensError
from classifier.predictor import TicketClassifier
from classifier.records import Ticket
from classifier.text import prepare_text
from training.coldstart.novelty import prototype_record
from training.coldstart.prototypes import (
    confident_rows,
    description_prototypes,
    margins,
    refine,
)
from training.fit.provenance import library_versions, training_fingerprint
from training.io.taxonomy import Taxonomy

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ColdStartConfig:
    """How the prototypes are refined and the heads fitted (defaults measured in
    docs/benchmarks.md, section "Cold start")."""

    fields: tuple[str, ...] = ("category", "feature")
    iterations: int = 5
    """Refinement rounds of the prototypes on the export (0: descriptions only)."""
    keep: float = 0.5
    """Share of each label's matched tickets, widest margin first, used as pseudo-labels."""
    self_training: bool = True
    """Fit the head on pseudo-labels (else on the prototypes and labels alone)."""
    C: float = 4.0
    label_weight: float = 4.0
    """Weight of a labeled ticket against a pseudo-labeled one."""
    threshold: float = 0.5
    max_chars: int = 4000
    name: str | None = None
    make_current: bool = True


@dataclass(frozen=True)
class FieldReport:
    labeled: int
    pseudo_labeled: int
    agreement: float
    """Share of the export where the head agrees with the refined prototypes."""


def _head(C: float) -> LogisticRegression:
    return LogisticRegression(C=C, class_weight="balanced", max_iter=1000)


@dataclass(frozen=True)
class FieldFit:
    head: LogisticRegression
    pseudo: np.ndarray
    """The refined prototypes' label index per row."""
    used: int
    """Pseudo-labeled rows the head was fitted on."""
    prototypes: ExcludedPrototypes
    """The refined prototypes and the novelty floor of the matched rows (training.coldstart
    .novelty), kept in the field's manifest for `discover --model`."""


def fit_field(
    prototypes: np.ndarray,
    labels: Sequence[str],
    vectors: np.ndarray,
    known: dict[int, int],
    config: ColdStartConfig,
) -> tuple[LogisticRegression, np.ndarray, int]:
    """One field's head, the refined prototypes' pseudo-label per row, and how many were used.

    `known` maps a row of `vectors` to the index of its label (the few-shot labels).
    """
    fitted = fit_field_detail(prototypes, labels, vectors, known, config)
    return fitted.head, fitted.pseudo, fitted.used


def fit_field_detail(
    prototypes: np.ndarray,
    labels: Sequence[str],
    vectors: np.ndarray,
    known: dict[int, int],
    config: ColdStartConfig,
) -> FieldFit:
    """`fit_field` with the refined prototypes and their novelty floor."""
    seeds = None
    if known:
        seeds = np.zeros_like(prototypes)
        for row, j in known.items():
            seeds[j] += vectors[row]
    refined = refine(
        prototypes, vectors, seeds=seeds, iterations=config.iterations, keep=config.keep
    )
    scores = vectors @ refined.T
    pseudo = scores.argmax(axis=1)
    chosen = confident_rows(pseudo, margins(scores), len(labels), config.keep)
    if not config.self_training:
        chosen[:] = False
    chosen[list(known)] = False
    names = np.asarray(labels, dtype=object)
    known_rows = np.asarray(list(known), dtype=int)
    X = np.vstack([prototypes, refined, vectors[chosen], vectors[known_rows]])
    y = np.concatenate([names, names, names[pseudo[chosen]], names[[known[r] for r in known_rows]]])
    weight = np.concatenate(
        [np.ones(2 * len(labels) + int(chosen.sum())), np.full(len(known), config.label_weight)]
    )
    head = _head(config.C)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        head.fit(X.astype(np.float32), y, sample_weight=weight)
    own = pseudo.copy()
    own[known_rows] = [known[r] for r in known_rows]
    matched = own == pseudo
    record = prototype_record(labels, refined, vectors[matched], own[matched])
    return FieldFit(head, pseudo, int(chosen.sum()), record)


def _field_manifest(
    head: LogisticRegression,
    vectors: np.ndarray,
    reference: np.ndarray,
    config: ColdStartConfig,
    prototypes: ExcludedPrototypes | None = None,
) -> FieldManifest:
    classes = [str(c) for c in head.classes_]
    predicted = head.predict(vectors.astype(np.float32)) if len(vectors) else np.array([])
    precision, recall, f1, support = precision_recall_fscore_support(
        reference, predicted, labels=classes, zero_division=0
    )
    shares = Counter(predicted.tolist())
    total = max(1, len(predicted))
    return FieldManifest(
        classes=classes,
        threshold=config.threshold,
        regularization_C=config.C,
        head_file="",
        head_sha256="",
        rows_trained=len(reference),
        rows_unlabeled=len(reference),
        cv_accuracy=float(accuracy_score(reference, predicted)) if len(reference) else 0.0,
        cv_macro_f1=(
            float(f1_score(reference, predicted, average="macro", zero_division=0))
            if len(reference)
            else 0.0
        ),
        cv_per_category={
            c: CategoryMetrics(precision=float(p), recall=float(r), f1=float(f), support=int(s))
            for c, p, r, f, s in zip(classes, precision, recall, f1, support, strict=True)
        },
        training_shares={c: 100.0 * shares[c] / total for c in classes},
        prototypes=prototypes,
    )


class ColdStartModel:
    """`ColdStartModel(embedder, taxonomy, config).fit(tickets)`: a bundle from the taxonomy's
    descriptions and the export's unlabeled tickets, plus whatever labels the tickets carry
    (none: zero-shot; a few per class: few-shot). The fitted `classifier_` predicts and saves."""

    def __init__(
        self, embedder: Embedder, taxonomy: Taxonomy, config: ColdStartConfig | None = None
    ) -> None:
        self.embedder = embedder
        self.taxonomy = taxonomy
        self.config = config or ColdStartConfig()

    def fit(self, tickets: Sequence[Ticket], *, source: str = "in-memory") -> ColdStartModel:
        config = self.config
        texts = [prepare_text(t, config.max_chars).text for t in tickets]
        usable = [i for i, text in enumerate(texts) if text]
        usable_tickets = [tickets[i] for i in usable]
        usable_texts = [texts[i] for i in usable]
        vectors = (
            np.asarray(self.embedder.encode(usable_texts), dtype=np.float64)
            if usable_texts
            else np.zeros((0, self.embedder.info.dimension))
        )
        heads, fields, reports = {}, {}, {}
        any_labels = False
        for name in config.fields:
            labels, prototypes = description_prototypes(
                self.embedder, self.taxonomy, name, source=source
            )
            index = {label: j for j, label in enumerate(labels)}
            known = {}
            for row, ticket in enumerate(usable_tickets):
                label = ticket.labels.get(name)
                if label is not None:
                    if label not in index:
                        raise TicketlensError(
                            f"label '{label}' is not in the taxonomy (fix it or add it there)",
                            file=source,
                            row=usable[row] + 1,
                            field=name,
                        )
                    known[row] = index[label]
            any_labels = any_labels or bool(known)
            fitted = fit_field_detail(prototypes, labels, vectors, known, config)
            head, pseudo, used = fitted.head, fitted.pseudo, fitted.used
            reference = np.asarray(labels, dtype=object)[pseudo]
            for row, j in known.items():
                reference[row] = labels[j]
            heads[name] = head
            fields[name] = _field_manifest(head, vectors, reference, config, fitted.prototypes)
            agreement = fields[name].cv_accuracy
            reports[name] = FieldReport(len(known), used, agreement)
        created = datetime.now(UTC)
        manifest = Manifest(
            name=config.name or f"ticketlens-{created:%Y%m%d-%H%M%S}",
            created_at=created,
            embedding_model=EmbeddingModelRecord(**self.embedder.info.to_dict()),
            training_data=TrainingData(
                source=source,
                rows=len(tickets),
                fingerprint=training_fingerprint(usable_texts, usable_tickets, config.fields),
            ),
            fields=fields,
            libraries=library_versions(),
            max_chars=config.max_chars,
            training_kind="few_shot" if any_labels else "zero_shot",
        )
        bundle = Bundle(
            path=None,
            manifest=manifest,
            heads=heads,
            training_text_hashes=frozenset(text_hash(t) for t in usable_texts),
        )
        self.classifier_ = TicketClassifier(bundle, self.embedder)
        self.report_ = reports
        self.vectors_ = vectors
        self.ticket_ids_ = [t.id for t in usable_tickets]
        return self
