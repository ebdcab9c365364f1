"""Similar tickets: an opt-in index of a bundle's training vectors, ids and labels.

Keeping the index is the user's choice (`ticketlens train --similar-index`): it holds each
training ticket's embedding, id and labels, never its text. It is a NumPy archive read without
pickle, verified against the sha256 in the manifest like every other bundle file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifier.bundle.manifest import SimilarIndexRecord
from classifier.bundle.store import MANIFEST_FILE, Bundle
from classifier.errors import BundleError

INDEX_FILE = "similar_index.npz"


@dataclass(frozen=True)
class Neighbour:
    id: str
    score: float
    """Cosine similarity to the query."""
    labels: dict[str, str]


@dataclass(frozen=True)
class SimilarIndex:
    vectors: np.ndarray
    ids: np.ndarray
    labels: dict[str, np.ndarray]
    """Field → label per row ('' where the row had none)."""

    @classmethod
    def build(
        cls, vectors: np.ndarray, ids: Sequence[str], labels: Mapping[str, Sequence[str]]
    ) -> SimilarIndex:
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        units = (vectors / np.where(norms == 0, 1.0, norms)).astype(np.float32)
        return cls(
            vectors=units,
            ids=np.asarray(list(ids), dtype=str),
            labels={f: np.asarray(list(v), dtype=str) for f, v in labels.items()},
        )

    def query(
        self, vectors: np.ndarray, k: int = 5, *, skip_id: str | None = None
    ) -> list[list[Neighbour]]:
        """The `k` nearest indexed tickets of each query row, best first."""
        queries = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        norms = np.linalg.norm(queries, axis=1, keepdims=True)
        scores = (queries / np.where(norms == 0, 1.0, norms)) @ self.vectors.T
        results = []
        for row in scores:
            order = np.argsort(-row, kind="stable")
            found = []
            for j in order:
                if skip_id is not None and self.ids[j] == skip_id:
                    continue
                found.append(
                    Neighbour(
                        id=str(self.ids[j]),
                        score=float(row[j]),
                        labels={f: str(v[j]) for f, v in self.labels.items() if v[j]},
                    )
                )
                if len(found) == k:
                    break
            results.append(found)
        return results

    def vector_of(self, ticket_id: str) -> np.ndarray | None:
        rows = np.flatnonzero(self.ids == ticket_id)
        return self.vectors[rows[0]] if len(rows) else None


def write_index(bundle_path: Path, index: SimilarIndex) -> SimilarIndexRecord:
    """Add the index to a saved bundle and record it (with its checksum) in the manifest."""
    target = bundle_path / INDEX_FILE
    arrays = {"vectors": index.vectors, "ids": index.ids}
    arrays.update({f"label__{f}": v for f, v in index.labels.items()})
    with target.open("wb") as handle:
        np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]
    record = SimilarIndexRecord(
        file=INDEX_FILE,
        sha256=hashlib.sha256(target.read_bytes()).hexdigest(),
        count=len(index.ids),
    )
    manifest_path = bundle_path / MANIFEST_FILE
    raw = json.loads(manifest_path.read_text())
    raw["similar_index"] = record.model_dump()
    manifest_path.write_text(json.dumps(raw, indent=2) + "\n")
    return record


def read_index(bundle: Bundle) -> SimilarIndex | None:
    """The bundle's index, verified; None when the bundle keeps none."""
    record = bundle.manifest.similar_index
    if record is None or bundle.path is None:
        return None
    path = bundle.path / record.file
    if path.parent != bundle.path or not path.is_file():
        raise BundleError("the similar-ticket index is missing", file=path, field="similar_index")
    if hashlib.sha256(path.read_bytes()).hexdigest() != record.sha256:
        raise BundleError(
            "file does not match its checksum in the manifest (corrupted or tampered)",
            file=path,
            field="similar_index",
        )
    with np.load(path, allow_pickle=False) as archive:
        labels = {
            key.removeprefix("label__"): archive[key]
            for key in archive.files
            if key.startswith("label__")
        }
        index = SimilarIndex(vectors=archive["vectors"], ids=archive["ids"], labels=labels)
    if len(index.ids) != record.count or index.vectors.shape[0] != record.count:
        raise BundleError("the similar-ticket index's size differs from the manifest's", file=path)
    return index
