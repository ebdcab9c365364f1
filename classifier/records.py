"""The records that flow through ticketlens: `Ticket` in, `Prediction` out."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

MetadataValue = str | int | float | bool | None


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
