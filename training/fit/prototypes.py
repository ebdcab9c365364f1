"""Thin classes kept as an outcome: their mean embeddings, so the model can say "not mine"."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from classifier.bundle.manifest import ExcludedPrototypes


def excluded_prototypes(
    vectors: np.ndarray,
    labels: np.ndarray,
    classes: Sequence[str],
    excluded: Sequence[str],
    *,
    always: bool = False,
) -> ExcludedPrototypes | None:
    """Unit-length mean embedding per class (the head's, then the excluded ones), or None when
    no class was excluded (unless `always`: the head blends in centroid evidence). `vectors`
    and `labels` are one field's labeled rows."""
    if not excluded and not always:
        return None
    names = [*classes, *excluded]
    labels = np.asarray(labels, dtype=object).astype(str)
    means = np.stack([np.asarray(vectors[labels == name]).mean(axis=0) for name in names])
    norms = np.linalg.norm(means, axis=1, keepdims=True)
    means = means / np.where(norms == 0, 1.0, norms)
    return ExcludedPrototypes(
        labels=names,
        excluded=list(excluded),
        vectors=np.round(means, 6).tolist(),
    )
