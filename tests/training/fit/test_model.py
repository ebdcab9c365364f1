"""The model object: fit in memory, predict and predict_proba, save and load apart from fitting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from classifier.predictor import TicketClassifier
from classifier.records import Ticket
from tests.conftest import make_tickets
from tests.fakes import HashingEmbedder
from training.fit.train import TicketModel, TrainConfig


def test_fit_in_memory_predicts_without_writing_anything(tmp_path: Path) -> None:
    model = TicketModel(HashingEmbedder(), TrainConfig(name="mem"))
    assert model.fit(make_tickets(120), source="unit") is model
    probe = make_tickets(20, seed=3)
    predictions = model.predict(probe)
    accuracy = np.mean(
        [
            p.fields["category"].label == t.labels["category"]
            for p, t in zip(predictions, probe, strict=True)
        ]
    )
    assert accuracy >= 0.9
    assert model.classifier_.bundle.path is None
    assert list(tmp_path.iterdir()) == []


def test_predict_proba_follows_the_classes_and_agrees_with_predict() -> None:
    model = TicketModel(HashingEmbedder(), TrainConfig(name="p")).fit(make_tickets(120))
    probe = [*make_tickets(10, seed=5), Ticket(id="empty")]
    proba = model.predict_proba(probe)
    predictions = model.predict(probe)
    for name, matrix in proba.items():
        classes = model.classifier_.manifest.fields[name].classes
        assert matrix.shape == (len(probe), len(classes))
        np.testing.assert_allclose(matrix[:-1].sum(axis=1), 1.0)
        assert not matrix[-1].any()  # no text: never sent to the model
        for row, prediction in zip(matrix[:-1], predictions[:-1], strict=True):
            assert classes[int(row.argmax())] == prediction.fields[name].label
            assert row.max() == pytest.approx(prediction.fields[name].confidence)


def test_saved_then_loaded_predicts_exactly_like_the_fitted_model(tmp_path: Path) -> None:
    model = TicketModel(HashingEmbedder(), TrainConfig(name="round")).fit(make_tickets(120))
    probe = make_tickets(15, seed=9)
    in_memory = model.predict(probe)
    path = model.save(tmp_path / "models")
    assert (tmp_path / "models" / "current").resolve() == path
    loaded = TicketClassifier.load(path, embedder_factory=lambda bundle: HashingEmbedder())
    assert loaded.predict(probe) == in_memory
    assert loaded.manifest.fields["category"].head_sha256  # the checksums were filled on save


def test_an_unfitted_model_refuses_to_predict_or_save(tmp_path: Path) -> None:
    model = TicketModel(HashingEmbedder())
    with pytest.raises(NotFittedError):
        model.predict(make_tickets(2))
    with pytest.raises(NotFittedError):
        model.save(tmp_path)
