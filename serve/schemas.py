"""Request and response bodies of the HTTP API (parsed into `classifier.Ticket` at the edge)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from classifier.records import MetadataValue, Prediction, Ticket
from serve.edge import check_year, refuse_unencodable
from serve.lenient import DropsUnparsable


def _id_text(value: Any) -> Any:
    # Helpdesks send numeric ids ({"id": 4713}); they are stored as their text, "4713".
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _refuse_bad_text(value: Any) -> Any:
    if isinstance(value, str):
        return refuse_unencodable(value)
    if isinstance(value, dict):
        for key, item in value.items():
            refuse_unencodable(str(key))
            if isinstance(item, str):
                refuse_unencodable(item)
    return value


BATCH_LIMIT = 100
"""Default most tickets per /classify/batch call (setting `batch_limit`)."""


class TicketIn(DropsUnparsable):
    """One ticket to classify; a `created_at` that does not parse is dropped with a warning."""

    model_config = ConfigDict(extra="forbid")
    lenient_dates: ClassVar[tuple[str, ...]] = ("created_at",)

    id: str = Field(min_length=1, max_length=255)
    subject: str = ""
    body: str = ""
    account_id: str | None = Field(default=None, max_length=255)
    created_at: datetime | None = None
    metadata: dict[str, MetadataValue] = Field(default_factory=dict)

    _ids = field_validator("id", "account_id", mode="before")(_id_text)
    _text = field_validator("id", "subject", "body", "account_id", "metadata")(_refuse_bad_text)
    _year = field_validator("created_at")(check_year)

    def to_ticket(self) -> Ticket:
        return Ticket(
            id=self.id,
            subject=self.subject,
            body=self.body,
            account_id=self.account_id,
            created_at=self.created_at,
            metadata=self.metadata,
        )


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tickets: list[TicketIn] = Field(min_length=1)


class LabelScoreOut(BaseModel):
    label: str
    confidence: float


class FieldOut(BaseModel):
    label: str | None
    confidence: float
    top: list[LabelScoreOut]
    """Up to three most likely labels, best first."""
    needs_review: bool
    reason: str | None
    """`empty` (no text) or `low_confidence`; null when the label can be trusted."""


class ClassifyOut(BaseModel):
    ticket_id: str
    model_version: str
    fields: dict[str, FieldOut]
    truncated: bool
    needs_review: bool
    warnings: list[str] = Field(default_factory=list)
    """Optional fields of the ticket that did not parse and were left out."""

    @classmethod
    def from_prediction(cls, prediction: Prediction, warnings: Sequence[str] = ()) -> ClassifyOut:
        return cls.model_validate({**prediction.to_answer(), "warnings": list(warnings)})


class BatchOut(BaseModel):
    predictions: list[ClassifyOut]


class FeedbackIn(BaseModel):
    """An agent's correction: the right label of one field of one ticket."""

    model_config = ConfigDict(extra="forbid")

    ticket_id: str = Field(min_length=1, max_length=255)
    field: str = Field(min_length=1)
    label: str = Field(min_length=1)
    agent: str | None = Field(default=None, max_length=255)

    _ids = field_validator("ticket_id", mode="before")(_id_text)
    _text = field_validator("ticket_id", "field", "label", "agent")(_refuse_bad_text)


class FeedbackOut(BaseModel):
    stored: bool
    ticket_id: str
    field: str
    label: str


class ReloadOut(BaseModel):
    model_version: str
    previous_version: str | None


class CascadeStageOut(BaseModel):
    """One of a cascade's two bundles."""

    version: str
    mode: str
    embedding_model: str
    created_at: datetime


class CascadeOut(BaseModel):
    """The cascade served: its `cascade.json`, its bundles, and what it has answered since start."""

    threshold: float
    """A ticket goes to the accurate bundle when a field's fast confidence is below this."""
    loss_budget: float | None
    expected_accurate_share: float | None
    """Share sent to the accurate bundle on the tickets the threshold was chosen on."""
    fast: CascadeStageOut
    accurate: CascadeStageOut
    answered_fast: int
    answered_accurate: int
    live_accurate_share: float | None
    """Share of the tickets answered since start that the accurate bundle answered."""
