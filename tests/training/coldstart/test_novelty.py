from pathlib import Path

import numpy as np
import pytest

from classifier.errors import TicketlensError
from training.coldstart.candidates import read_candidates
from training.coldstart.novelty import (
    FLOOR_PERCENTILE,
    Reference,
    centroid_reference,
    floor_of,
    novelty,
)


def _topics(rng: np.random.Generator, n: int, *axes: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` noisy unit vectors around each basis axis in `axes`, and their axis index."""
    rows = [np.eye(8)[a] + rng.normal(scale=0.15, size=(n, 8)) for a in axes]
    return np.vstack(rows), np.repeat(np.arange(len(axes)), n)


def test_the_floor_is_a_low_percentile_of_known_tickets_own_similarity() -> None:
    rng = np.random.default_rng(0)
    vectors, own = _topics(rng, 200, 0, 1)
    prototypes = np.eye(8)[:2]
    units = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    similarity = np.einsum("ij,ij->i", units, prototypes[own])
    floor = floor_of(vectors, prototypes, own)
    assert floor is not None
    assert (similarity < floor).mean() == pytest.approx(FLOOR_PERCENTILE / 100, abs=0.01)


def test_a_ticket_is_flagged_when_unsure_or_far_from_every_label() -> None:
    rng = np.random.default_rng(1)
    known, _ = _topics(rng, 50, 0, 1)
    new, _ = _topics(rng, 20, 5)
    vectors = np.vstack([known, new])
    vectors[3] = np.eye(8)[0]  # on a label, but the model is unsure of it
    uncertain = np.zeros(len(vectors), dtype=bool)
    uncertain[3] = True
    reference = Reference(["a", "b"], np.eye(8)[:2], 0.8, "prototypes")
    found = novelty(vectors, uncertain, {"category": reference})
    assert found.far[100:].all() and found.far[:100].mean() < 0.1
    assert found.candidates[3] and not found.far[3]
    assert "far from every label" in found.signal


def test_without_prototypes_the_signal_is_confidence_only_and_says_so() -> None:
    uncertain = np.array([True, False, False])
    found = novelty(np.eye(3), uncertain, {})
    assert found.candidates.tolist() == [True, False, False]
    assert "confidence only" in found.signal


def test_similar_index_centroids_flag_a_new_topic_but_few_known_tickets() -> None:
    rng = np.random.default_rng(2)
    vectors, own = _topics(rng, 100, 0, 1, 2)
    labels = np.asarray(["a", "b", "c"])[own]
    labels[:10] = ""  # unlabeled rows are left out of the centroids
    reference = centroid_reference(vectors, labels)
    assert reference is not None and reference.labels == ["a", "b", "c"]
    new, _ = _topics(rng, 30, 6)
    found = novelty(np.vstack([vectors, new]), np.zeros(330, dtype=bool), {"f": reference})
    assert found.far[300:].all()
    assert found.far[:300].mean() < 0.1


def test_reading_candidates_refuses_a_file_discover_wrote_without_a_model(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text('{"format": "ticketlens-discover/1", "candidate_new_categories": null}')
    with pytest.raises(TicketlensError, match="--model"):
        read_candidates(path)
    path.write_text("[1, 2]")
    with pytest.raises(TicketlensError, match="not a discover JSON file"):
        read_candidates(path)


def test_a_candidate_category_is_a_cluster_a_third_flagged_and_seen_in_two_weeks() -> None:
    from training.coldstart.discover import Cluster, Discovery, candidate_clusters

    def cluster(i: int, weekly: dict[str, int]) -> Cluster:
        return Cluster(i, 10, 25.0, [], [], [], weekly, 1, f"c{i}")

    two_weeks = {"2026-W10": 5, "2026-W11": 5}
    clusters = [cluster(0, two_weeks), cluster(1, two_weeks), cluster(2, {"2026-W10": 10})]
    labels = np.repeat([0, 1, 2, -1], 10)
    flagged = np.zeros(40, dtype=bool)
    flagged[0:4] = True  # 40 % of cluster 0
    flagged[10:12] = True  # 20 % of cluster 1
    flagged[20:30] = True  # all of cluster 2, but one week only
    flagged[30:40] = True  # noise
    found = candidate_clusters(Discovery(clusters, labels, 10), flagged)
    assert [(c.name, c.flagged) for c in found] == [("c0", 4)]
