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
    training_shares: dict[str, float]
    """Share (%) of each class in the training data: the default drift reference."""
    target_precision: float | None = None
    class_thresholds: dict[str, ClassThreshold] = Field(default_factory=dict)
    """Per-category thresholds from `target_precision`; they replace `threshold` when set."""


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
    text_features: TextFeaturesRecord | None = None
    """Set for hybrid heads (TF-IDF + embeddings); None when heads see embeddings alone."""
    embedding_weight: float = 1.0
    """Scale of the embedding columns against the TF-IDF blocks (hybrid heads)."""
