"""Fit the heads with a ticket's metadata beside its text (`--feature-column`, `--segment`).

With `--segment KEY` the heads are fitted twice, with the shared columns only and with each
segment's own block (`classifier.metadata`), and the one with the better mean out-of-fold
macro-F1 over the fields is kept; the manifest records both figures. A segment value needs
`MIN_SEGMENT_ROWS` tickets for a block of its own; rarer ones use the shared weights.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import f1_score
from sklearn.pipeline import FeatureUnion

from classifier.bundle.manifest import MetadataFeaturesRecord
from classifier.errors import TicketlensError
from classifier.metadata import metadata_block, metadata_value, seen_values
from classifier.records import Ticket
from training.fit.folds import FieldData, MakeFeatures
from training.fit.heads import FittedHead, HeadConfig
from training.fit.selection import Progress, fit_heads

logger = logging.getLogger(__name__)

MIN_SEGMENT_ROWS = 30


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
    counts = Counter(metadata_value(t, segment) for t in tickets)
    values = sorted(v for v, n in counts.items() if v is not None and n >= MIN_SEGMENT_ROWS)
    if not values:
        raise MetadataError(
            f"segment column '{segment}' has no value on {MIN_SEGMENT_ROWS}+ training tickets "
            "(train without --segment, or on an export with more tickets per value)",
            field=segment,
        )
    return [shared, MetadataFeaturesRecord(columns=columns, segment=segment, segment_values=values)]


def mean_cv_macro_f1(heads: dict[str, FittedHead]) -> float:
    """Mean over the fields of the out-of-fold macro-F1 the bundle reports."""
    scores = []
    for fitted in heads.values():
        predicted = np.asarray(fitted.classes, dtype=object)[fitted.cv_proba.argmax(axis=1)]
        scores.append(f1_score(fitted.cv_labels, predicted, average="macro", zero_division=0))
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
    progress: Progress | None = None,
) -> MetadataFit:
    """`fit_heads` over `tickets` (row-aligned with `texts` and `vectors`) with each candidate
    metadata record; the best by mean out-of-fold macro-F1 is returned."""
    fits: list[MetadataFit] = []
    scores: list[float] = []
    for record in candidates(tickets, feature_columns, segment):
        block = metadata_block(tickets, record, vectors)
        weight, union, heads = fit_heads(
            texts, vectors, fields, make_features, weights, config, progress, block
        )
        fits.append(MetadataFit(weight, union, heads, record))
        scores.append(mean_cv_macro_f1(heads))
    if len(fits) == 1:
        return fits[0]
    best = int(np.argmax(scores))
    logger.info(
        "segment '%s': out-of-fold macro-F1 %.4f shared, %.4f per segment: %s kept",
        segment,
        scores[0],
        scores[1],
        "per segment" if best else "shared",
    )
    assert segment is not None
    chosen = fits[best].record or MetadataFeaturesRecord()
    kept = chosen if best else chosen.model_copy(update={"segment": None, "segment_values": []})
    record = kept.model_copy(
        update={
            "segment_tried": segment,
            "segment_choice": {"shared": scores[0], "per_segment": scores[1]},
        }
    )
    return MetadataFit(fits[best].weight, fits[best].text_features, fits[best].heads, record)
