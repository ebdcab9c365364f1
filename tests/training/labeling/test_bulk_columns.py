"""`label` writes the same bytes with the bulk columns as with a record per ticket."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pytest

from classifier.bundle.store import Bundle
from classifier.loading import Model
from classifier.predictor import TicketClassifier
from classifier.records import Prediction, Ticket
from tests.conftest import make_tickets, tickets_frame
from tests.fakes import HashingEmbedder
from training.labeling import local
from training.labeling.local import label_export


def records_frame(predictions: Sequence[Prediction], index: pd.Index) -> pd.DataFrame:
    """The prediction columns flattened ticket by ticket (`Prediction.to_columns`)."""
    return pd.DataFrame([p.to_columns() for p in predictions], index=index)


class _PerTicket:
    """The label path before the bulk columns: one `Prediction` per ticket, then its columns."""

    def __init__(self) -> None:
        self.chunks = 0

    def __call__(
        self, classifier: Model, tickets: Sequence[Ticket], index: pd.Index
    ) -> pd.DataFrame:
        self.chunks += 1
        return records_frame(classifier.predict(tickets), index)


@pytest.fixture
def export(tmp_path: Path) -> Path:
    frame = tickets_frame(make_tickets(90, seed=4))
    frame.loc[5, ["subject", "body"]] = ""  # no text: no label, reason "empty"
    frame.loc[7, "body"] = "refund invoice " * 100  # longer than the fake's window
    frame.loc[9, "subject"] = 'a "quoted", subject; café'
    frame.loc[40:, ["subject", "body"]] = ""  # a whole chunk without text
    path = tmp_path / "export.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_bulk_and_per_ticket_labeling_write_identical_files(
    tmp_path: Path,
    export: Path,
    trained_bundle: Bundle,
    suffix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    classifier = TicketClassifier(trained_bundle, HashingEmbedder(max_tokens=64))
    bulk = tmp_path / f"bulk{suffix}"
    label_export(export, bulk, classifier, chunk_rows=32)
    per_ticket_path = _PerTicket()
    monkeypatch.setattr(local, "prediction_frame", per_ticket_path)
    per_ticket = tmp_path / f"per-ticket{suffix}"
    label_export(export, per_ticket, classifier, chunk_rows=32)
    assert per_ticket_path.chunks == 3
    assert bulk.read_bytes() == per_ticket.read_bytes()
    if suffix == ".csv":
        labeled = pd.read_csv(bulk, dtype=str, keep_default_na=False)
        assert labeled.loc[5, "predicted_category_review_reason"] == "empty"
        assert labeled.loc[7, "truncated"] == "True"
        assert set(labeled.loc[40:, "predicted_category"]) == {""}
