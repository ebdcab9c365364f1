"""Novelty: which tickets `discover --model` clusters for candidate new categories.

The rule. A ticket is a discovery candidate when the model is unsure of it (`needs_review` on
any field) **or** when it is far from everything the model knows: for some field, its cosine
to the nearest of that field's label prototypes is below the field's *floor*. The floor is the
`FLOOR_PERCENTILE`-th percentile of the same cosine over the tickets the bundle was trained on
that matched their label, i.e. whose nearest prototype is their label's (so one known-topic
ticket in twenty falls under it):

- zero- and few-shot bundles keep each field's refined prototypes and floor in the manifest
  (`FieldManifest.prototypes`); every unlabeled training ticket matched its nearest prototype
  by construction, a labeled one counts when its nearest is its label's;
- other bundles with a similar-ticket index (`train --similar-index`): the prototypes are the
  per-label centroids of the indexed labeled training tickets, the floor comes from those whose
  nearest centroid is their own label's;
- otherwise there is nothing to measure distance to, and candidates are the `needs_review`
  tickets alone (confidence only; `discover` says so).

Measured on the sample export (all-MiniLM-L6-v2, zero-shot, one category held out of the
taxonomy at a time): 27-45 % of the held-out category's tickets fall under the floor and
19-38 % go to review, against 5 % and 8-10 % of the known categories' tickets.
A new topic that already made up more than about 5 % of the training export lowers the floor
(it counts as known); train on an earlier export than the one searched to avoid that.
Off-taxonomy tickets are often predicted confidently (a softmax must pick some label), so
confidence alone misses them; their distance to every prototype does not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from classifier.bundle.manifest import ExcludedPrototypes
from classifier.bundle.store import Bundle

FLOOR_PERCENTILE = 5.0


@dataclass(frozen=True)
class Reference:
    """One field's label prototypes (unit rows) and the floor of a known ticket's cosine."""

    labels: list[str]
    prototypes: np.ndarray
    floor: float
    source: str
    """'prototypes' (kept in the manifest) or 'similar index' (centroids of indexed tickets)."""


@dataclass(frozen=True)
class Novelty:
    candidates: np.ndarray
    """Per ticket: uncertain or far (what discovery clusters)."""
    uncertain: np.ndarray
    far: np.ndarray
    references: dict[str, Reference]

    @property
    def signal(self) -> str:
        """One line saying what the candidates are, for the terminal, the page and the JSON."""
        if not self.references:
            return (
                f"{int(self.uncertain.sum())} tickets the model sends to review (confidence "
                "only: the bundle keeps no label prototypes or similar-ticket index, so tickets "
                "far from every label but predicted confidently are missed)"
            )
        floors = ", ".join(
            f"{f} {r.floor:.3f} ({r.source})" for f, r in sorted(self.references.items())
        )
        return (
            f"{int(self.candidates.sum())} tickets flagged: {int(self.uncertain.sum())} the "
            f"model sends to review, {int(self.far.sum())} far from every label (cosine to the "
            f"nearest label below the {FLOOR_PERCENTILE:g}th percentile of known tickets': "
            f"{floors})"
        )


def _unit(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def floor_of(vectors: np.ndarray, prototypes: np.ndarray, assigned: np.ndarray) -> float | None:
    """The floor from known tickets: `assigned[i]` is the prototype row ticket i matched."""
    if not len(vectors):
        return None
    own = np.einsum("ij,ij->i", _unit(vectors), _unit(prototypes)[assigned])
    return float(np.percentile(own, FLOOR_PERCENTILE))


def prototype_record(
    labels: Sequence[str], prototypes: np.ndarray, vectors: np.ndarray, assigned: np.ndarray
) -> ExcludedPrototypes:
    """A zero-/few-shot field's prototypes and floor, as the manifest keeps them (no class is
    excluded, so predictions are unchanged)."""
    floor = floor_of(vectors, prototypes, assigned)
    return ExcludedPrototypes(
        labels=list(labels),
        excluded=[],
        vectors=np.round(_unit(prototypes), 6).tolist(),
        novelty_floor=None if floor is None else round(floor, 6),
    )


def centroid_reference(vectors: np.ndarray, labels: np.ndarray) -> Reference | None:
    """Per-label centroids of labeled training vectors ('' = unlabeled) and their floor."""
    labels = np.asarray(labels, dtype=str)
    rows = labels != ""
    names = sorted(set(labels[rows].tolist()))
    if len(names) < 2:
        return None
    units = _unit(vectors[rows])
    own = np.searchsorted(names, labels[rows])
    centroids = _unit(np.stack([units[own == j].mean(axis=0) for j in range(len(names))]))
    matched = (units @ centroids.T).argmax(axis=1) == own
    floor = floor_of(units[matched], centroids, own[matched])
    if floor is None:
        return None
    return Reference(names, centroids, floor, "similar index")


def novelty(
    vectors: np.ndarray, uncertain: np.ndarray, references: Mapping[str, Reference]
) -> Novelty:
    """Apply the rule of the module docstring to the export's `vectors`."""
    uncertain = np.asarray(uncertain, dtype=bool)
    far = np.zeros(len(vectors), dtype=bool)
    if len(vectors):
        units = _unit(vectors)
        for reference in references.values():
            far |= (units @ reference.prototypes.T).max(axis=1) < reference.floor
    return Novelty(
        candidates=uncertain | far,
        uncertain=uncertain,
        far=far,
        references=dict(references),
    )


def references_of(bundle: Bundle) -> dict[str, Reference]:
    """Each field's reference: the manifest's prototypes with a floor, else the similar index's
    centroids, else none (see the module docstring)."""
    from classifier.similar import read_index

    found: dict[str, Reference] = {}
    for name, entry in bundle.manifest.fields.items():
        record = entry.prototypes
        if record is not None and record.novelty_floor is not None:
            found[name] = Reference(
                labels=list(record.labels),
                prototypes=_unit(np.asarray(record.vectors)),
                floor=record.novelty_floor,
                source="prototypes",
            )
    missing = [name for name in bundle.manifest.fields if name not in found]
    index = read_index(bundle) if missing else None
    if index is not None:
        for name in missing:
            if name in index.labels:
                reference = centroid_reference(index.vectors, index.labels[name])
                if reference is not None:
                    found[name] = reference
    return found
