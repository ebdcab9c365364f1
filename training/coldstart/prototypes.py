"""Label prototypes from a taxonomy's descriptions, refined on unlabeled tickets.

A prototype is the mean embedding of a label's description (with its readable name) and any
example phrases the taxonomy lists. On an export, the prototypes are refined like seeded k-means:
each ticket goes to its nearest prototype, and each prototype moves to its description plus the
mean of the tickets it matches most clearly (the anchor keeps a label from drifting to a
neighbour's topic).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from classifier.embedders.base import Embedder
from classifier.errors import TaxonomyError
from training.io.taxonomy import Taxonomy


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def label_texts(label: str, description: str, examples: Sequence[str] = ()) -> list[str]:
    """What a label's prototype is embedded from: `name: description`, then its examples."""
    name = label.replace("_", " ").replace("-", " ").strip()
    return [f"{name}: {description}".strip() if description else name, *examples]


def description_prototypes(
    embedder: Embedder, taxonomy: Taxonomy, field: str, *, source: str
) -> tuple[list[str], np.ndarray]:
    """The field's labels (sorted) and one unit prototype row per label."""
    if field not in taxonomy.fields:
        raise TaxonomyError(
            f"the taxonomy has no field '{field}' (it has: {', '.join(taxonomy.fields)}; "
            "pick one with --label)",
            file=source,
        )
    labels = sorted(taxonomy.labels(field))
    examples = taxonomy.examples.get(field, {})
    bare = [
        label
        for label in labels
        if not taxonomy.fields[field][label].strip() and not examples.get(label)
    ]
    if bare:
        raise TaxonomyError(
            f"no description for {', '.join(repr(b) for b in bare)}: --zero-shot builds each "
            "label from its description (add one, or a list under 'examples:')",
            file=source,
            field=field,
        )
    texts = [label_texts(lb, taxonomy.fields[field][lb], examples.get(lb, ())) for lb in labels]
    flat = [text for group in texts for text in group]
    vectors = _unit(np.asarray(embedder.encode(flat), dtype=np.float64))
    rows, start = [], 0
    for group in texts:
        rows.append(vectors[start : start + len(group)].mean(axis=0))
        start += len(group)
    return labels, _unit(np.vstack(rows))


def margins(scores: np.ndarray) -> np.ndarray:
    """Best minus second-best score per row (how clearly a row matches its best label)."""
    if scores.shape[1] < 2:
        return np.ones(len(scores))
    top = np.sort(scores, axis=1)[:, -2:]
    return top[:, 1] - top[:, 0]


def confident_rows(
    assigned: np.ndarray, margin: np.ndarray, n_labels: int, keep: float
) -> np.ndarray:
    """Per label, the `keep` share of its rows with the widest margin (at least one)."""
    chosen = np.zeros(len(assigned), dtype=bool)
    for j in range(n_labels):
        rows = np.flatnonzero(assigned == j)
        if len(rows):
            count = max(1, round(keep * len(rows)))
            chosen[rows[np.argsort(-margin[rows])[:count]]] = True
    return chosen


def refine(
    prototypes: np.ndarray,
    vectors: np.ndarray,
    *,
    seeds: np.ndarray | None = None,
    iterations: int = 5,
    keep: float = 0.5,
) -> np.ndarray:
    """Prototypes moved towards the tickets they match clearly (see the module docstring).

    `seeds` (labels × dimension, zero rows where a label has no labeled tickets) is the mean of
    each label's labeled tickets; it joins the anchor when given.
    """
    anchor = prototypes if seeds is None else _unit(prototypes + _unit(seeds))
    current = anchor.copy()
    units = _unit(np.asarray(vectors, dtype=np.float64))
    for _ in range(iterations if len(units) else 0):
        scores = units @ current.T
        assigned = scores.argmax(axis=1)
        chosen = confident_rows(assigned, margins(scores), len(current), keep)
        moved = anchor.copy()
        for j in range(len(current)):
            rows = chosen & (assigned == j)
            if rows.any():
                moved[j] = anchor[j] + _unit(units[rows].mean(axis=0))
        current = _unit(moved)
    return current
