"""The records that flow through ticketlens: `Ticket` in, `Prediction` out."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MetadataValue = str | int | float | bool | None

NO_LABEL = "(none)"
"""How a missing label (`FieldPrediction.label` None: a ticket without text, or an empty label
cell of an export) is shown and counted everywhere: label summaries, analytics, drift, metrics."""


class Ticket(BaseModel):
    """One support ticket, parsed once at the edge from an export row or a webhook body."""

    model_config = ConfigDict(frozen=True)

    id: str
    subject: str = ""
    body: str = ""
    created_at: datetime | None = None
    account_id: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    """Known labels per field (e.g. {"category": "billing"}); empty when unlabeled."""
    metadata: dict[str, MetadataValue] = Field(default_factory=dict)
    """Everything else worth keeping: tier, channel, csat, resolution_hours, …"""


class LabelScore(BaseModel):
    """A candidate label and its probability."""

    model_config = ConfigDict(frozen=True)

    label: str
    confidence: float


class FieldPrediction(BaseModel):
    """The prediction for one label field (category, feature, …) of one ticket."""

    model_config = ConfigDict(frozen=True)

    label: str | None
    confidence: float
    top: list[LabelScore]
    """The three most likely labels, best first (fewer if the field has fewer classes)."""
    needs_review: bool
    review_reason: str | None = None
    """Why a person should look: `empty` (no text) or `low_confidence`."""


class Prediction(BaseModel):
    """Everything ticketlens says about one ticket."""

    model_config = ConfigDict(frozen=True)

    ticket_id: str
    model_version: str
    fields: dict[str, FieldPrediction]
    truncated: bool = False
    """True when the text was longer than the embedding model's window and was cut."""

    @property
    def needs_review(self) -> bool:
        return any(field.needs_review for field in self.fields.values())

    def to_columns(self) -> dict[str, Any]:
        """The columns `ticketlens label` adds to an export row (confidences to 4 decimals)."""
        row: dict[str, Any] = {}
        for name, field in self.fields.items():
            row[f"predicted_{name}"] = field.label
            row[f"predicted_{name}_confidence"] = round(field.confidence, 4)
            row[f"predicted_{name}_top3"] = json.dumps(
                [{"label": s.label, "confidence": round(s.confidence, 4)} for s in field.top]
            )
            row[f"predicted_{name}_needs_review"] = field.needs_review
            row[f"predicted_{name}_review_reason"] = field.review_reason
        row["truncated"] = self.truncated
        row["model_version"] = self.model_version
        return row

    def to_answer(self) -> dict[str, Any]:
        """The HTTP API's answer: the record's own fields, `review_reason` spelled `reason`."""
        return {
            "ticket_id": self.ticket_id,
            "model_version": self.model_version,
            "fields": {
                name: {**field.model_dump(exclude={"review_reason"}), "reason": field.review_reason}
                for name, field in self.fields.items()
            },
            "truncated": self.truncated,
            "needs_review": self.needs_review,
        }

    def to_log_labels(self) -> dict[str, dict[str, Any]]:
        """What the prediction log stores per field: everything but the top three, plus its
        `margin` (best minus second-best confidence, 4 decimals; None with one label), which the
        review queue's suggestions need at a tenth of the top three's bytes."""
        return {
            name: {
                **field.model_dump(exclude={"top"}),
                "margin": round(field.top[0].confidence - field.top[1].confidence, 4)
                if len(field.top) >= 2
                else None,
            }
            for name, field in self.fields.items()
        }
