"""One flattening of `Prediction`: label columns, API answer and log row say the same thing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from classifier.bundle.store import Bundle
from classifier.predictor import TicketClassifier
from classifier.predlog import PredictionStore, predictions_table
from classifier.records import Prediction, Ticket
from serve.schemas import ClassifyOut
from tests.fakes import HashingEmbedder

TICKETS = [
    Ticket(id="T-1", subject="Refund", body="I was charged twice for my invoice this month"),
    Ticket(id="T-2"),  # no text at all
]


@pytest.fixture
def predictions(trained_bundle: Bundle) -> list[Prediction]:
    return TicketClassifier(trained_bundle, HashingEmbedder()).predict(TICKETS)


def _logged(tmp_path: Path, predictions: list[Prediction]) -> dict[str, dict[str, dict]]:
    store = PredictionStore(f"sqlite:///{tmp_path / 'log.db'}")
    store.create_tables()
    store.record_predictions(TICKETS, predictions)
    table = predictions_table
    with store.engine.connect() as connection:
        rows = connection.execute(sa.select(table.c.ticket_id, table.c.labels)).all()
    store.dispose()
    return {ticket_id: labels for ticket_id, labels in rows}


def test_columns_answer_and_log_row_agree_for_a_ticket_and_an_empty_one(
    tmp_path: Path, predictions: list[Prediction]
) -> None:
    logged = _logged(tmp_path, predictions)
    empty_seen = False
    for prediction in predictions:
        columns = prediction.to_columns()
        answer = ClassifyOut.from_prediction(prediction).model_dump()
        log = logged[prediction.ticket_id]
        assert columns["model_version"] == answer["model_version"] == prediction.model_version
        assert columns["truncated"] == answer["truncated"] == prediction.truncated
        assert answer["needs_review"] == any(f["needs_review"] for f in answer["fields"].values())
        assert set(answer["fields"]) == set(log) == set(prediction.fields)
        for name, api in answer["fields"].items():
            assert columns[f"predicted_{name}"] == api["label"] == log[name]["label"]
            assert columns[f"predicted_{name}_needs_review"] == api["needs_review"]
            assert api["needs_review"] == log[name]["needs_review"]
            assert columns[f"predicted_{name}_review_reason"] == api["reason"]
            assert api["reason"] == log[name]["review_reason"]
            assert columns[f"predicted_{name}_confidence"] == round(api["confidence"], 4)
            assert log[name]["confidence"] == pytest.approx(api["confidence"])
            top3 = json.loads(columns[f"predicted_{name}_top3"])
            assert [s["label"] for s in top3] == [s["label"] for s in api["top"]]
            if api["label"] is None:
                empty_seen = True
                assert api["reason"] == "empty" and api["needs_review"] and top3 == []
    assert empty_seen, "the ticket without text should have no label"


def test_label_file_and_api_names_stay_as_clients_know_them(
    predictions: list[Prediction],
) -> None:
    prediction = predictions[0]
    columns = list(prediction.to_columns())
    expected = [
        f"predicted_{name}{suffix}"
        for name in prediction.fields
        for suffix in ("", "_confidence", "_top3", "_needs_review", "_review_reason")
    ]
    assert columns == [*expected, "truncated", "model_version"]
    answer = ClassifyOut.from_prediction(prediction).model_dump()
    # `warnings` was added beside the fields clients know (optional inputs dropped at the edge).
    assert set(answer) == {
        "ticket_id",
        "model_version",
        "fields",
        "truncated",
        "needs_review",
        "warnings",
    }
    field = next(iter(answer["fields"].values()))
    assert set(field) == {"label", "confidence", "top", "needs_review", "reason"}
