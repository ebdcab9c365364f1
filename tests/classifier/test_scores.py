"""The label columns built in bulk hold exactly what each ticket's `Prediction.to_columns` holds."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from classifier.records import Prediction
from classifier.scores import BatchScores, FieldScores

# Labels json.dumps escapes, and confidences whose rounding to 4 decimals is delicate.
_CLASSES = ["billing", 'say "hi"', "back\\slash", "café", "emoji 🎫", "tab\there", "z"]
_EDGES = [0.0, 1.0, 0.00005, 0.00004999, 0.99995, 0.99994999, 1 / 3, 0.12345, 1e-9, 0.5]


def _field(rng: np.random.Generator, rows: int, classes: list[str], k: int) -> FieldScores:
    confidence = np.sort(rng.random((rows, k)), axis=1)[:, ::-1]
    flat = confidence.ravel()
    flat[: len(_EDGES)] = _EDGES
    top = np.stack([rng.permutation(len(classes))[:k] for _ in range(rows)])
    flags = rng.random(rows) < 0.4
    reasons = rng.choice(np.array([None, "low_confidence", "unknown_class"], dtype=object), rows)
    return FieldScores(
        classes=classes,
        top=top,
        confidence=flat.reshape(rows, k),
        needs_review=flags,
        reason=list(reasons),
    )


def _batch(confidence_of_first: float | None = None) -> BatchScores:
    rng = np.random.default_rng(7)
    tickets = 400
    filled = sorted(rng.choice(tickets, 350, replace=False).tolist())  # 50 without text
    fields = {
        "category": _field(rng, len(filled), _CLASSES, 3),
        "priority": _field(rng, len(filled), ["high", "low"], 2),  # fewer than three classes
    }
    if confidence_of_first is not None:
        fields["category"].confidence[0, 0] = confidence_of_first
    return BatchScores(
        ticket_ids=[f"T-{i}" for i in range(tickets)],
        model_version="unit-1",
        filled=filled,
        fields=fields,
        truncated=(rng.random(tickets) < 0.1).tolist(),
    )


def _per_ticket(predictions: list[Prediction]) -> dict[str, list[Any]]:
    rows = [p.to_columns() for p in predictions]
    return {name: [row[name] for row in rows] for name in rows[0]}


def test_bulk_columns_equal_each_predictions_columns_value_for_value() -> None:
    batch = _batch()
    columns = batch.columns()
    assert columns == _per_ticket(batch.predictions())
    assert list(columns) == list(batch.predictions()[0].to_columns())
    empty = next(i for i in range(400) if i not in batch.filled)
    assert columns["predicted_category"][empty] is None
    assert columns["predicted_category_top3"][empty] == "[]"
    assert columns["predicted_category_review_reason"][empty] == "empty"
    top3 = [json.loads(text) for text in columns["predicted_category_top3"] if text != "[]"]
    assert {len(top) for top in top3} == {3}
    assert {'say "hi"', "café", "emoji 🎫"} <= {s["label"] for top in top3 for s in top}


def test_bulk_columns_make_the_same_frame_as_the_records() -> None:
    batch = _batch()
    bulk = pd.DataFrame(batch.columns())
    records = pd.DataFrame([p.to_columns() for p in batch.predictions()])
    pd.testing.assert_frame_equal(bulk, records, check_exact=True)


def test_a_non_finite_confidence_is_spelled_as_json_spells_it() -> None:
    batch = _batch(confidence_of_first=float("nan"))
    bulk = pd.DataFrame(batch.columns())
    records = pd.DataFrame([p.to_columns() for p in batch.predictions()])
    pd.testing.assert_frame_equal(bulk, records, check_exact=True)
    first = bulk["predicted_category_top3"][batch.filled[0]]
    assert first.startswith('[{"label": ') and '"confidence": NaN}' in first
