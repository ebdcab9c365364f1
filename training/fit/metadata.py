"""Fit the heads with a ticket's metadata beside its text (`--feature-column`, `--segment`).

With `--segment KEY` the heads are fitted twice, with the shared columns only and with each
segment's own block (`classifier.metadata`), and the one with the better mean out-of-fold
macro-F1 over the fields is kept (the larger one only by `MIN_GAIN` or more); the manifest
records both figures. `--subject-block` is decided the same way, after the segments. A segment
value needs `MIN_SEGMENT_ROWS` tickets for a block of its own; rarer ones use the shared weights.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from sklearn.metrics import f1_score
from sklearn.pipeline import FeatureUnion

from classifier.bundle.manifest import MetadataFeaturesRecord
from classifier.errors import TicketlensError
from classifier.metadata import metadata_block, seen_values
from classifier.records import Ticket
from training.fit.folds import FieldData, MakeFeatures
from training.fit.heads import FittedHead, HeadConfig
from training.fit.selection import Progress, fit_heads

logger = logging.getLogger(__name__)

MIN_SEGMENT_ROWS = 30
MIN_GAIN = 0.005
"""Out-of-fold macro-F1 the larger head must gain to be kept: smaller gains are within the
folds' noise (nlbse24's 1,500 issues: +0.2 point per segment in CV, −1.2 on the test split)."""


class MetadataError(TicketlensError):
    """A metadata column named for the heads that the tickets cannot feed."""


@dataclass(frozen=True)
class MetadataFit:
    """`fit_heads`' result, plus the metadata record the heads were fitted with."""

    weight: float
    text_features: FeatureUnion | None
    heads: dict[str, FittedHead]
    record: MetadataFeaturesRecord | None


def candidates(
    tickets: Sequence[Ticket], feature_columns: Sequence[str], segment: str | None
) -> list[MetadataFeaturesRecord | None]:
    """The records to fit with: the shared columns, then (with `segment`) the same plus the
    segment blocks. Raises `MetadataError` for a column no ticket fills."""
    columns = {}
    for key in feature_columns:
        values = seen_values(tickets, key)
        if not values:
            raise MetadataError(
                f"metadata column '{key}' has no value seen twice among the training tickets",
                field=key,
            )
        columns[key] = values
    shared = MetadataFeaturesRecord(columns=columns) if columns else None
    if segment is None:
        return [shared]
    values = seen_values(tickets, segment, MIN_SEGMENT_ROWS)
    if not values:
        raise MetadataError(
            f"segment column '{segment}' has no value on {MIN_SEGMENT_ROWS}+ training tickets "
            "(train without --segment, or on an export with more tickets per value)",
            field=segment,
        )
    return [shared, MetadataFeaturesRecord(columns=columns, segment=segment, segment_values=values)]


def mean_cv_macro_f1(heads: dict[str, FittedHead]) -> float:
    """Mean over the fields of the out-of-fold macro-F1 the bundle reports."""
    scores = [
        f1_score(fitted.cv_labels, fitted.cv_predicted, average="macro", zero_division=0)
        for fitted in heads.values()
    ]
    return float(np.mean(scores))


def fit_with_metadata(
    tickets: Sequence[Ticket],
    texts: Sequence[str],
    vectors: np.ndarray,
    fields: dict[str, FieldData],
    make_features: MakeFeatures | None,
    weights: Sequence[float],
    config: HeadConfig,
    *,
    feature_columns: Sequence[str] = (),
    segment: str | None = None,
    subject_vectors: np.ndarray | None = None,
    progress: Progress | None = None,
) -> MetadataFit:
    """`fit_heads` over `tickets` (row-aligned with `texts` and `vectors`) with the shared
    metadata columns, then, where asked, with segment blocks and with the subject block
    (`subject_vectors`: the subjects' embeddings), each kept only where it raises the mean
    out-of-fold macro-F1 over the fields."""

    def fit(record: MetadataFeaturesRecord | None) -> tuple[MetadataFit, float]:
        block = metadata_block(tickets, record, vectors, subject_vectors)
        weight, union, heads = fit_heads(
            texts, vectors, fields, make_features, weights, config, progress, block
        )
        return MetadataFit(weight, union, heads, record), mean_cv_macro_f1(heads)

    shared, *per_segment = candidates(tickets, feature_columns, segment)
    best, score = fit(shared)
    if per_segment:
        tried, tried_score = fit(per_segment[0])
        choice = {"shared": score, "per_segment": tried_score}
        wins = tried_score > score + MIN_GAIN
        _say(f"segment {segment}", choice, wins)
        if wins:
            best, score = tried, tried_score
        best = replace(
            best, record=_updated(best.record, segment_tried=segment, segment_choice=choice)
        )
    if subject_vectors is not None:
        tried, tried_score = fit(_updated(best.record, subject_weight=1.0))
        choice = {"without": score, "with": tried_score}
        wins = tried_score > score + MIN_GAIN
        _say("subject block", choice, wins)
        if wins:
            best = tried
        best = replace(best, record=_updated(best.record, subject_choice=choice))
    return best


def _updated(record: MetadataFeaturesRecord | None, **changes: object) -> MetadataFeaturesRecord:
    return (record or MetadataFeaturesRecord()).model_copy(update=changes)


def _say(what: str, choice: dict[str, float], second_kept: bool) -> None:
    (first, a), (second, b) = choice.items()
    logger.info(
        "%s: out-of-fold macro-F1 %.4f %s, %.4f %s: %s kept",
        what,
        a,
        first,
        b,
        second,
        second if second_kept else first,
    )
