"""A batch's answers as arrays, and the two ways out of them: records, or label columns in bulk.

`TicketClassifier.scores` computes each field's best labels, their confidences and the review
flags of a whole batch with array operations. `BatchScores.predictions` makes one `Prediction` per
ticket (single tickets, the API, the log); `BatchScores.columns` makes the columns `ticketlens
label` adds, equal value for value to `Prediction.to_columns` of each ticket, but built column by
column: on the fast path the per-ticket records and their JSON cost a third of labeling.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from classifier.records import FieldPrediction, LabelScore, Prediction

EMPTY = "empty"
"""Why a field needs review: the ticket has no text (it was never sent to the model)."""
LOW_CONFIDENCE = "low_confidence"
UNKNOWN_CLASS = "unknown_class"
"""Nearest to a class the head left out for too few examples: a person should decide."""


@dataclass(frozen=True, eq=False)  # arrays: no element-wise ==
class FieldScores:
    """One field's answers for the tickets with text (rows in ticket order)."""

    classes: list[str]
    top: np.ndarray
    """(rows × k) class indices, best first (k = three, or fewer classes)."""
    confidence: np.ndarray
    """(rows × k) the probabilities of those classes."""
    needs_review: np.ndarray
    """(rows,) bool."""
    reason: list[str | None]
    """Per row, why a person should look (None: confident)."""


@dataclass(frozen=True, eq=False)
class BatchScores:
    """Every field's answers for a batch of tickets; tickets without text have no row."""

    ticket_ids: list[str]
    model_version: str
    filled: list[int]
    """The positions (in `ticket_ids`) of the tickets with text: the rows of each field."""
    fields: dict[str, FieldScores]
    truncated: list[bool]
    """Per ticket: was its text longer than the embedding model's window?"""

    def predictions(self) -> list[Prediction]:
        """One `Prediction` per ticket, in order."""
        per_field = {name: _field_predictions(scores) for name, scores in self.fields.items()}
        row_of = dict(zip(self.filled, range(len(self.filled)), strict=True))
        predictions = []
        for i, ticket_id in enumerate(self.ticket_ids):
            row = row_of.get(i)
            fields = {
                name: (empty_prediction() if row is None else answers[row])
                for name, answers in per_field.items()
            }
            predictions.append(
                Prediction(
                    ticket_id=ticket_id,
                    model_version=self.model_version,
                    fields=fields,
                    truncated=self.truncated[i],
                )
            )
        return predictions

    def columns(self) -> dict[str, list[Any]]:
        """Column name → one value per ticket: what `Prediction.to_columns` gives each ticket."""
        count = len(self.ticket_ids)
        columns: dict[str, list[Any]] = {}
        for name, scores in self.fields.items():
            labels: list[Any] = [None] * count
            confidences = [0.0] * count
            top3 = ["[]"] * count
            review = [True] * count
            reasons: list[str | None] = [EMPTY] * count
            classes = scores.classes
            rounded = _rounded(scores.confidence.ravel().tolist())
            for i, index, confidence, text, flag, reason in zip(
                self.filled,
                scores.top[:, 0].tolist(),
                rounded[:: max(scores.top.shape[1], 1)],
                _top_json(scores, rounded),
                scores.needs_review.tolist(),
                scores.reason,
                strict=True,
            ):
                labels[i] = classes[index]
                confidences[i] = confidence
                top3[i] = text
                review[i] = flag
                reasons[i] = reason
            columns[f"predicted_{name}"] = labels
            columns[f"predicted_{name}_confidence"] = confidences
            columns[f"predicted_{name}_top3"] = top3
            columns[f"predicted_{name}_needs_review"] = review
            columns[f"predicted_{name}_review_reason"] = reasons
        columns["truncated"] = list(self.truncated)
        columns["model_version"] = [self.model_version] * count
        return columns


def empty_prediction() -> FieldPrediction:
    """A field's answer for a ticket without text."""
    return FieldPrediction(
        label=None, confidence=0.0, top=[], needs_review=True, review_reason=EMPTY
    )


def _field_predictions(scores: FieldScores) -> list[FieldPrediction]:
    classes = scores.classes
    results = []
    for best, confidences, flag, reason in zip(
        scores.top.tolist(),
        scores.confidence.tolist(),
        scores.needs_review.tolist(),
        scores.reason,
        strict=True,
    ):
        top = [
            LabelScore(label=classes[j], confidence=c)
            for j, c in zip(best, confidences, strict=True)
        ]
        results.append(
            FieldPrediction(
                label=top[0].label,
                confidence=top[0].confidence,
                top=top,
                needs_review=flag,
                review_reason=reason,
            )
        )
    return results


def _rounded(values: list[float]) -> list[float]:
    """`round(value, 4)` of each, as `to_columns` rounds confidences."""
    return [round(value, 4) for value in values]


def _top_json(scores: FieldScores, rounded: list[float]) -> list[str]:
    """Per row, `json.dumps` of its top labels as `to_columns` writes them, spelled directly
    (`rounded`: the confidences rounded, row after row).

    `json.dumps` writes a finite float as `float.__repr__` and a string as `json.dumps` of it
    (computed once per class here); a batch holding a non-finite confidence spells every number
    with `json.dumps` itself.
    """
    rows, width = scores.top.shape
    if not rows:
        return []
    finite = bool(np.isfinite(scores.confidence).all())
    spell: Callable[[float], str] = float.__repr__ if finite else json.dumps
    names = [json.dumps(label) for label in scores.classes]
    items = [
        f'{{"label": {names[j]}, "confidence": {spell(c)}}}'
        for j, c in zip(scores.top.ravel().tolist(), rounded, strict=True)
    ]
    return ["[" + ", ".join(items[i : i + width]) + "]" for i in range(0, len(items), width)]
