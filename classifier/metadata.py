"""What the heads see of a ticket's metadata, after its text's columns.

Two kinds of columns, both named in the manifest (`MetadataFeaturesRecord`), so a bundle
predicts from exactly what it was trained on:

- `--feature-column KEY`: one indicator column per value of `Ticket.metadata[KEY]` seen in
  training (channel, tier, repository, …). A value never seen, or none, sets no column.
- `--segment KEY`: per value, an indicator and a copy of the ticket's embedding in that value's
  own block. A linear head on [shared features, segment blocks] has shared weights plus each
  segment's own intercepts and embedding weights: one head per segment where the label mix or
  the wording differs between them, the shared head where a segment has little data
  (feature augmentation, Daumé III 2007). Tickets of an unseen segment use the shared part only.
- `--subject-block`: the subject line embedded on its own, so a strong title is not diluted by
  a long body in the text's one embedding.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from scipy.sparse import csr_matrix, hstack

from classifier.bundle.manifest import MetadataFeaturesRecord
from classifier.embedders.base import Embedder
from classifier.records import Ticket
from classifier.text import prepare_subject


def metadata_value(ticket: Ticket, key: str) -> str | None:
    """The ticket's value for `key` as text; None when missing or blank."""
    value = ticket.metadata.get(key)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def seen_values(tickets: Iterable[Ticket], key: str, min_count: int = 2) -> list[str]:
    """The values of `key` seen at least `min_count` times, sorted: the columns they get."""
    counts = Counter(metadata_value(t, key) for t in tickets)
    return sorted(v for v, n in counts.items() if v is not None and n >= min_count)


def metadata_width(record: MetadataFeaturesRecord | None, dimension: int) -> int:
    """How many columns `metadata_block` adds for embeddings of `dimension`."""
    if record is None:
        return 0
    columns = sum(len(values) for values in record.columns.values())
    segments = len(record.segment_values) * (1 + dimension) if record.segment else 0
    return columns + segments + (dimension if record.subject_weight else 0)


def metadata_block(
    tickets: Sequence[Ticket],
    record: MetadataFeaturesRecord | None,
    vectors: np.ndarray,
    subject_vectors: np.ndarray | None = None,
) -> csr_matrix | None:
    """The metadata columns for `tickets` (row i: `tickets[i]`, its text embedded as
    `vectors[i]`, its subject as `subject_vectors[i]` where the record has a subject block);
    None when the bundle uses none."""
    if record is None or metadata_width(record, vectors.shape[1]) == 0:
        return None
    blocks = [
        _indicators([metadata_value(t, key) for t in tickets], values)
        for key, values in record.columns.items()
    ]
    if record.segment is not None:
        segments = [metadata_value(t, record.segment) for t in tickets]
        blocks.append(_indicators(segments, record.segment_values))
        blocks.append(_segment_copies(segments, record.segment_values, vectors))
    if record.subject_weight:
        if subject_vectors is None:
            raise ValueError("this bundle's heads read the subject's own embedding")
        blocks.append(csr_matrix(subject_vectors * np.float32(record.subject_weight)))
    return hstack(blocks, format="csr", dtype=np.float32)


def encode_subjects(embedder: Embedder, tickets: Sequence[Ticket]) -> np.ndarray:
    """Each ticket's subject line embedded (`prepare_subject`); zeros where it has none."""
    subjects = [prepare_subject(t) for t in tickets]
    filled = [i for i, subject in enumerate(subjects) if subject]
    vectors = np.zeros((len(tickets), embedder.info.dimension), dtype=np.float32)
    if filled:
        vectors[filled] = embedder.encode([subjects[i] for i in filled])
    return vectors


def _positions(cells: Sequence[str | None], values: Sequence[str]) -> np.ndarray:
    index = {value: i for i, value in enumerate(values)}
    return np.asarray([index.get(c, -1) if c is not None else -1 for c in cells], dtype=np.int64)


def _indicators(cells: Sequence[str | None], values: Sequence[str]) -> csr_matrix:
    position = _positions(cells, values)
    rows = np.flatnonzero(position >= 0)
    data = np.ones(len(rows), dtype=np.float32)
    return csr_matrix((data, (rows, position[rows])), shape=(len(cells), len(values)))


def _segment_copies(
    cells: Sequence[str | None], values: Sequence[str], vectors: np.ndarray
) -> csr_matrix:
    """Row i's embedding in the block of its segment (columns s·d … s·d + d − 1)."""
    n, d = vectors.shape
    position = _positions(cells, values)
    rows = np.flatnonzero(position >= 0)
    columns = (position[rows, None] * d + np.arange(d)).ravel()
    data = np.asarray(vectors[rows], dtype=np.float32).ravel()
    return csr_matrix(
        (data, (np.repeat(rows, d), columns)), shape=(n, len(values) * d), dtype=np.float32
    )
