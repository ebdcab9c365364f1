"""The readable manifest that describes a model bundle."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FORMAT_VERSION = 1


class ClassThreshold(BaseModel):
    """The threshold picked for one category and what it achieved on cross-validated rows."""

    model_config = ConfigDict(extra="forbid")

    threshold: float
    reached: bool
    """False when no threshold reaches the target: every prediction of it goes to review."""
    precision: float
    """Precision of the auto-accepted predictions (those at or above the threshold)."""
    coverage: float
    """Share of the predictions of this category that are auto-accepted."""
    predicted: int
    """How many cross-validated rows had this category as their top label."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EmbeddingModelRecord(_Strict):
    name: str
    package: str
    package_version: str
    weights_sha256: str
    dimension: int
    max_tokens: int
    max_windows: int = 1
    files: dict[str, str] | None = None
    """Fast mode: sha256 of the static model's files, kept in the bundle's `static_model/`."""


class CategoryMetrics(_Strict):
    precision: float
    recall: float
    f1: float
    support: int


class FieldManifest(_Strict):
    """One label field's head: its classes, where it is stored and how well it did in CV."""

    classes: list[str]
    excluded_classes: dict[str, int] = Field(default_factory=dict)
    threshold: float
    regularization_C: float
    head_file: str
    head_sha256: str
    rows_trained: int
    rows_unlabeled: int
    cv_accuracy: float
    cv_macro_f1: float
    cv_per_category: dict[str, CategoryMetrics]
    cv_folds: int | None = None
    """Folds the cv_* figures come from (more than the search's on small classes); None in
    bundles from before it was recorded."""
    training_shares: dict[str, float]
    """Share (%) of each class in the training data: the default drift reference."""
    target_precision: float | None = None
    class_thresholds: dict[str, ClassThreshold] = Field(default_factory=dict)
    """Per-category thresholds from `target_precision`; they replace `threshold` when set."""
    prototypes: ExcludedPrototypes | None = None
    centroid_weight: float = 0.0
    """Share of the nearest-centroid evidence in the field's probabilities, chosen on
    out-of-fold predictions (`classifier.centroids`); 0: the head alone."""
    centroid_temperature: float = 0.05


class TextHashesRecord(_Strict):
    """The file listing a hash of every prepared text the heads were fitted on, one per line."""

    file: str
    sha256: str
    count: int


class TrainingData(_Strict):
    source: str
    rows: int
    fingerprint: str
    """sha256 over the prepared texts and labels, in row order."""
    text_hashes: TextHashesRecord | None = None
    """Which texts the model saw, so `retrain` can score it only on others (None: not kept)."""


class TextFeaturesRecord(_Strict):
    """The fitted TF-IDF union of a hybrid bundle."""

    file: str
    sha256: str
    n_features: int


class MetadataFeaturesRecord(_Strict):
    """What the heads see beside the text's columns: metadata, segments, the subject line on
    its own (`classifier.metadata`)."""

    columns: dict[str, list[str]] = Field(default_factory=dict)
    """`--feature-column`: metadata key → the values seen in training, one column each."""
    segment: str | None = None
    """`--segment`: metadata key whose values each get their own intercepts and embedding
    weights on top of the shared ones; None when cross-validation kept the shared head."""
    segment_values: list[str] = Field(default_factory=list)
    segment_tried: str | None = None
    """`--segment`'s key, whichever head cross-validation kept."""
    segment_choice: dict[str, float] = Field(default_factory=dict)
    """`--segment`: mean out-of-fold macro-F1 over the fields, `shared` and `per_segment`."""
    subject_weight: float = 0.0
    """`--subject-block`: the subject line's own embedding, at this weight, after the other
    columns; 0: the subject is read only as the start of the text."""
    subject_choice: dict[str, float] = Field(default_factory=dict)
    """`--subject-block`: mean out-of-fold macro-F1 over the fields, `without` and `with`."""

    def read_keys(self) -> list[str]:
        """The `Ticket.metadata` keys the heads read (a ticket lacking one is answered as if
        its value were never seen)."""
        return [*self.columns, *([self.segment] if self.segment else [])]


class SimilarIndexRecord(_Strict):
    """Opt-in: the training tickets' vectors and ids (never their text), for similar tickets."""

    file: str
    sha256: str
    count: int


class ColumnMappingRecord(_Strict):
    """Which export columns `train` read (names only, never data), for the commands that read
    the next export of the same helpdesk: `label`, `evaluate`, `drift` and `report`."""

    preset: str | None = None
    columns: dict[str, str | None] = Field(default_factory=dict)
    """Ticket field (id, subject, body, text, created_at, account_id) → column; None: none."""
    labels: dict[str, str] = Field(default_factory=dict)
    metadata: dict[str, str] = Field(default_factory=dict)
    date_format: str | None = None
    """day-first, month-first or a strftime format, as settled on the training export."""


class ExcludedPrototypes(_Strict):
    """Classes with too few examples for the head: tickets nearest one of their mean embeddings
    (among every class's) are flagged for review as `unknown_class` instead of labeled."""

    labels: list[str]
    """The head's classes, then the excluded ones: the rows of `vectors`."""
    excluded: list[str]
    vectors: list[list[float]]
    """Unit-length mean embedding of each class in `labels` (kept when some class is excluded
    or the field blends in centroid evidence, `FieldManifest.centroid_weight`)."""
    novelty_floor: float | None = None
    """Cosine to the nearest row of `vectors` below which a ticket is far from every label
    (`ticketlens discover --model`); zero-/few-shot bundles keep their refined prototypes here
    with no excluded class. None: not measured."""


class Manifest(_Strict):
    format_version: int = FORMAT_VERSION
    name: str
    mode: Literal["accurate", "fast"] = "accurate"
    """accurate: transformer embeddings + word and character TF-IDF; fast: static embeddings +
    word TF-IDF, no transformer pass."""
    created_at: datetime
    embedding_model: EmbeddingModelRecord
    training_data: TrainingData
    fields: dict[str, FieldManifest]
    libraries: dict[str, str]
    max_chars: int
    """Pre-cut applied to prepared text before tokenisation."""
    text_structure: bool = False
    """Code, traces, logs and templates stripped from bodies (`prepare_text(structure=)`); False
    for bundles made before the option existed, which prepared text without it."""
    text_features: TextFeaturesRecord | None = None
    """Set for hybrid heads (TF-IDF + embeddings); None when heads see embeddings alone."""
    embedding_weight: float = 1.0
    """Scale of the embedding columns against the TF-IDF blocks (hybrid heads)."""
    metadata_features: MetadataFeaturesRecord | None = None
    """Metadata columns and segments the heads see after the embedding; None: text only."""
    training_kind: Literal["supervised", "zero_shot", "few_shot"] = "supervised"
    """zero_shot: no labels, heads from the taxonomy's descriptions refined on the unlabeled
    export; few_shot: a few labels with the same; for both, the fields' cv_* figures measure
    agreement with the export's pseudo-labels, not accuracy."""
    similar_index: SimilarIndexRecord | None = None
    column_mapping: ColumnMappingRecord | None = None
    """None in bundles from before the mapping was recorded: the next export is detected anew."""
