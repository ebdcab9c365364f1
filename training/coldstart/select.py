"""Active learning: the tickets whose labels would help most, uncertain and diverse.

With a model, the candidates are the tickets it is least sure of (smallest margin between its
two best labels, over every field); k-means on their embeddings spreads the picks over topics,
one per cluster, so 200 picks are not 200 variants of one confusing ticket. Without a model, the
picks are k-means representatives of the whole export (the ticket nearest each centroid).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans

from classifier.errors import TicketlensError
from training.coldstart.prototypes import margins


@dataclass(frozen=True)
class Pick:
    row: int
    """Index into the tickets given."""
    uncertainty: float
    """1 minus the smallest best-vs-second margin over the fields (1.0 without a model)."""


def _representatives(
    vectors: np.ndarray,
    candidates: np.ndarray,
    n: int,
    seed: int,
    score: np.ndarray | None = None,
) -> list[int]:
    """One row per k-means cluster of the candidates: the most uncertain (by `score`), or
    without scores the one nearest its centroid."""
    if len(candidates) <= n:
        return candidates.tolist()
    km = KMeans(n_clusters=n, n_init=1, random_state=seed).fit(vectors[candidates])
    distance = km.transform(vectors[candidates])
    picked = []
    for cluster in range(n):
        members = np.flatnonzero(km.labels_ == cluster)
        if len(members):
            best = (
                np.argmin(distance[members, cluster])
                if score is None
                else np.argmax(score[candidates[members]])
            )
            picked.append(int(candidates[members[best]]))
    return picked


def select(
    vectors: np.ndarray,
    n: int,
    *,
    proba: Mapping[str, np.ndarray] | None = None,
    uncertain: np.ndarray | None = None,
    exclude: Sequence[int] = (),
    pool_factor: int = 5,
    seed: int = 0,
) -> list[Pick]:
    """Up to `n` rows to label, most uncertain first.

    `proba` holds each field's probabilities (rows × classes); `uncertain` marks the rows the
    model sends to review (default: every row). Rows in `exclude` (already labeled) are skipped.
    Raises when the model leaves nothing uncertain.
    """
    allowed = np.ones(len(vectors), dtype=bool)
    allowed[list(exclude)] = False
    if proba is None:
        rows = _representatives(vectors, np.flatnonzero(allowed), n, seed)
        return [Pick(row=r, uncertainty=1.0) for r in rows]
    margin = np.min(np.vstack([margins(p) for p in proba.values()]), axis=0)
    score = 1.0 - margin
    if uncertain is not None:
        allowed &= uncertain
    candidates = np.flatnonzero(allowed)
    if not len(candidates):
        raise TicketlensError(
            "nothing uncertain left: the model is confident on every unlabeled ticket "
            "(raise the bundle's threshold with `ticketlens train --threshold`, or label a "
            "random sample to check it)"
        )
    pool = candidates[np.argsort(-score[candidates], kind="stable")[: n * pool_factor]]
    rows = _representatives(vectors, pool, n, seed, score)
    rows.sort(key=lambda r: -score[r])
    return [Pick(row=r, uncertainty=float(score[r])) for r in rows]
