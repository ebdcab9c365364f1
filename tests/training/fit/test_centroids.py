"""Nearest-centroid evidence: chosen on out-of-fold rows, kept in the bundle, applied as kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from classifier.centroids import centroid_proba
from classifier.predictor import TicketClassifier
from tests.conftest import make_tickets
from tests.fakes import HashingEmbedder, hashing_embedder_for
from training.fit.centroids import choose_weight, class_centroids
from training.fit.folds import FieldData
from training.fit.heads import HeadConfig
from training.fit.selection import fit_heads
from training.fit.train import TicketModel, TrainConfig


def _rare_far_away() -> tuple[list[str], np.ndarray, np.ndarray]:
    """Two big classes and a rare one (8 rows) with a direction of its own."""
    rng = np.random.default_rng(0)
    basis = np.eye(16)
    centers = {"big-a": basis[0], "big-b": basis[1], "rare": basis[2]}
    sizes = {"big-a": 300, "big-b": 300, "rare": 8}
    vectors = np.vstack(
        [centers[c] + rng.normal(0, 0.2, (n, 16)) for c, n in sizes.items()]
    ).astype(np.float32)
    labels = np.asarray([c for c, n in sizes.items() for _ in range(n)], dtype=object)
    return [f"t{i}" for i in range(len(labels))], vectors, labels


def _rare_right(config: HeadConfig) -> tuple[float, int]:
    texts, vectors, labels = _rare_far_away()
    field = {"f": FieldData(list(range(len(labels))), labels)}
    head = fit_heads(texts, vectors, field, None, (1.0,), config)[2]["f"]
    predicted = np.asarray(head.classes)[head.cv_proba.argmax(axis=1)]
    assert np.allclose(head.cv_proba.sum(axis=1), 1.0)
    return head.centroid_weight, int(((predicted == "rare") & (head.cv_labels == "rare")).sum())


def test_the_centroid_evidence_keeps_a_rare_class_a_stiff_head_drops() -> None:
    # Heavily regularised and unweighted: the head's argmax is one of the big classes always.
    stiff = HeadConfig(Cs=(1e-4,), class_weight=None, centroid_weights=(0.0,))
    assert _rare_right(stiff) == (0.0, 0)
    weight, right = _rare_right(HeadConfig(Cs=(1e-4,), class_weight=None))
    assert weight > 0 and right == 8


def test_the_weight_is_the_best_scoring_and_the_smaller_on_a_tie() -> None:
    head = np.asarray([[0.6, 0.4], [0.6, 0.4]])
    centroid = np.asarray([[1.0, 0.0], [0.0, 1.0]])
    y = np.asarray(["a", "b"])

    def accuracy(proba: np.ndarray) -> float:
        return float((np.asarray(["a", "b"])[proba.argmax(axis=1)] == y).mean())

    weight, blended = choose_weight(head, centroid, (0.0, 0.3, 0.5, 0.7), accuracy)
    assert weight == 0.3  # 0.3 already puts row 2 on "b" (0.42 + 0 vs 0.28 + 0.3); 0.5, 0.7 tie
    assert np.allclose(blended, 0.7 * head + 0.3 * centroid)
    assert choose_weight(head, head, (0.0, 0.5), accuracy)[0] == 0.0


def test_a_saved_bundle_blends_as_its_manifest_says(tmp_path: Path) -> None:
    tickets = make_tickets(150)
    head = HeadConfig(Cs=(1e-4,), cv_folds=3, class_weight=None, centroid_weights=(0.0, 0.7))
    config = TrainConfig(fields=("category",), head=head, name="blend", text_features=False)
    model = TicketModel(HashingEmbedder(), config).fit(tickets)
    entry = model.classifier_.manifest.fields["category"]
    assert entry.centroid_weight == 0.7 and entry.prototypes is not None
    path = model.save(tmp_path, make_current=False)
    loaded = TicketClassifier.load(path, embedder_factory=hashing_embedder_for)
    new = make_tickets(20, seed=5)
    proba = loaded.predict_proba(new)["category"]
    assert np.allclose(proba, model.predict_proba(new)["category"])
    # By hand: 0.3 x the head's own probabilities + 0.7 x the centroid softmax.
    _, _, features, vectors = loaded._features(new)
    assert vectors is not None
    stored = np.asarray(entry.prototypes.vectors)[: len(entry.classes)]
    trained = loaded._features(tickets)[3]
    assert trained is not None
    labels = np.asarray([t.labels["category"] for t in tickets], dtype=object)
    expected = class_centroids(trained, labels, np.asarray(entry.classes, dtype=object))
    assert np.allclose(stored, expected, atol=1e-5)  # the classes' unit means, kept to 6 places
    by_hand = 0.3 * loaded.bundle.heads["category"].predict_proba(features) + 0.7 * centroid_proba(
        vectors, stored, entry.centroid_temperature
    )
    assert np.allclose(proba, by_hand)
    predicted = [p.fields["category"].label for p in loaded.predict(new)]
    assert predicted == [entry.classes[i] for i in by_hand.argmax(axis=1)]
