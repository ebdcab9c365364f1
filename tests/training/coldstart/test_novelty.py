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


def test_a_candidate_is_a_cluster_of_flagged_tickets_among_flagged_neighbours() -> None:
    """A known topic's flagged strays sit among its unflagged tickets and are dropped; a new
    topic over two weeks is kept; a new topic seen in one week only is a burst, dropped."""
    from datetime import datetime, timedelta

    from classifier.records import Ticket
    from training.coldstart.discover import DiscoverConfig, candidate_clusters, discover

    rng = np.random.default_rng(3)
    known, _ = _topics(rng, 300, 0)
    new, _ = _topics(rng, 40, 3)
    burst, _ = _topics(rng, 40, 5)
    vectors = np.vstack([known, new, burst])
    start = datetime(2026, 3, 2)
    weeks = [i % 4 for i in range(340)] + [0] * 40
    topics = ["known"] * 300 + ["new"] * 40 + ["burst"] * 40
    tickets = [
        Ticket(id=f"{t}-{i}", subject=t, body="", created_at=start + timedelta(days=7 * w))
        for i, (t, w) in enumerate(zip(topics, weeks, strict=True))
    ]
    flagged = np.zeros(380, dtype=bool)
    flagged[rng.choice(300, size=40, replace=False)] = True  # strays: 13 % of the known topic
    flagged[300:] = True
    found = discover(tickets, topics, vectors, DiscoverConfig(min_cluster_size=8))
    candidates = candidate_clusters(found, flagged)
    assert candidates
    members = [r.split("-")[0] for c in candidates for r in c.representatives]
    assert set(members) == {"new"}
    assert sum(c.size for c in candidates) >= 30
    assert all(c.flagged == c.size and c.weeks >= 2 for c in candidates)
    # Without the neighbour test the strays are a candidate too.
    loose = [
        r.split("-")[0]
        for c in candidate_clusters(found, flagged, share=0.0)
        for r in c.representatives
    ]
    assert "known" in loose
    assert candidate_clusters(found, np.zeros(380, dtype=bool)) == []
    # Flagged tickets that are one topic form no cluster of their own (HDBSCAN never returns
    # its root): the export's cluster of them, all flagged, is the candidate.
    alone = np.zeros(380, dtype=bool)
    alone[300:340] = True
    [candidate] = candidate_clusters(found, alone)
    assert (candidate.size, candidate.flagged) == (40, 40)
    assert candidate_clusters(found, alone, min_weeks=5) == []
