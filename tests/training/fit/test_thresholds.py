"""Per-category thresholds from a precision target: a hand-checked case and the predictor's use."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifier.bundle.store import load_bundle
from classifier.predictor import TicketClassifier
from classifier.records import Ticket
from tests.conftest import make_tickets
from tests.fakes import HashingEmbedder
from training.fit.thresholds import per_class_thresholds
from training.fit.train import TrainConfig, train


def _known_case() -> tuple[np.ndarray, np.ndarray]:
    # Top label "a" five times: confidences .95 .9 .8 .7 .6, right, right, wrong, right, wrong.
    # Top label "b" twice, both wrong.
    proba = np.array(
        [[0.95, 0.05], [0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.6, 0.4], [0.3, 0.7], [0.4, 0.6]]
    )
    labels = np.array(["a", "a", "b", "a", "b", "a", "a"], dtype=object)
    return labels, proba


def test_lowest_threshold_that_reaches_the_target_keeps_the_most_tickets() -> None:
    labels, proba = _known_case()
    chosen = per_class_thresholds(labels, proba, ["a", "b"], target_precision=0.75)
    a = chosen["a"]
    # >= .6: 3/5; >= .7: 3/4 = .75 reaches the target with 4 of the 5 kept.
    assert (a.threshold, a.reached, a.precision, a.coverage, a.predicted) == (
        0.7,
        True,
        0.75,
        0.8,
        5,
    )
    stricter = per_class_thresholds(labels, proba, ["a", "b"], target_precision=0.9)["a"]
    # >= .8: 2/3; >= .9: 2/2.
    assert (stricter.threshold, stricter.precision, stricter.coverage) == (0.9, 1.0, 0.4)


def test_a_category_that_cannot_reach_the_target_sends_everything_to_review() -> None:
    labels, proba = _known_case()
    b = per_class_thresholds(labels, proba, ["a", "b"], target_precision=0.75)["b"]
    assert not b.reached
    assert b.coverage == 0.0
    assert b.predicted == 2


def test_target_outside_zero_to_one_is_refused() -> None:
    labels, proba = _known_case()
    with pytest.raises(ValueError, match="target precision"):
        per_class_thresholds(labels, proba, ["a", "b"], target_precision=1.5)


def test_trained_bundle_records_thresholds_and_the_predictor_uses_them(tmp_path: Path) -> None:
    tickets = make_tickets(240)
    # Noise: a fifth of the category labels are shuffled, so confidences spread out.
    for i, ticket in enumerate(tickets[::5]):
        ticket.labels["category"] = ["billing", "login_access", "technical_issue"][i % 3]
    result = train(
        tickets,
        HashingEmbedder(),
        TrainConfig(name="precise", target_precision=0.95),
        models_dir=tmp_path,
        source="unit",
    )
    bundle = load_bundle(result.bundle_path)
    entry = bundle.manifest.fields["category"]
    assert entry.target_precision == 0.95
    assert set(entry.class_thresholds) == set(entry.classes)
    for chosen in entry.class_thresholds.values():
        assert not chosen.reached or chosen.precision >= 0.95

    probe = [Ticket(id=f"P{i}", subject=t.subject, body=t.body) for i, t in enumerate(tickets)]
    for prediction in TicketClassifier(bundle, HashingEmbedder()).predict(probe):
        field = prediction.fields["category"]
        chosen = entry.class_thresholds[field.label or ""]
        expected_review = not chosen.reached or field.confidence < chosen.threshold
        assert field.needs_review is expected_review
