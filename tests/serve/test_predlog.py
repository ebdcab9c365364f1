"""The prediction log on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from classifier.predlog import (
    PredictionLogError,
    PredictionStore,
    read_corrections,
    read_predictions,
)
from classifier.records import FieldPrediction, LabelScore, Prediction, Ticket

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _prediction(ticket_id: str, version: str, label: str | None, confidence: float) -> Prediction:
    field = FieldPrediction(
        label=label,
        confidence=confidence,
        top=[LabelScore(label=label, confidence=confidence)] if label else [],
        needs_review=confidence < 0.5,
        review_reason=None if confidence >= 0.5 else ("low_confidence" if label else "empty"),
    )
    return Prediction(ticket_id=ticket_id, model_version=version, fields={"category": field})


TICKETS = [
    Ticket(id="A", subject="s", created_at=datetime(2026, 1, 5, 12, tzinfo=UTC), account_id="X"),
    Ticket(id="B", body="b"),
]
PREDICTIONS = [_prediction("A", "v1", "billing", 0.9), _prediction("B", "v1", "login", 0.3)]
RECEIVED = datetime(2026, 1, 6, 8, tzinfo=UTC)


def _exercise(url: str) -> None:
    store = PredictionStore(url)
    store.create_tables()
    store.create_tables()  # idempotent at startup
    assert store.record_predictions(TICKETS, PREDICTIONS, received_at=RECEIVED) == 2
    assert store.record_predictions(TICKETS, PREDICTIONS, received_at=RECEIVED) == 0
    assert store.record_predictions(TICKETS[:1], [_prediction("A", "v2", "bug", 0.8)]) == 1
    store.record_feedback("A", "category", "login", agent="ana", received_at=RECEIVED)
    store.record_feedback("A", "category", "billing", received_at=datetime(2026, 1, 7, tzinfo=UTC))
    store.record_feedback("B", "feature", "api")
    store.dispose()

    frame = read_predictions(url)
    assert list(frame.columns) == [
        "ticket_id",
        "created_at",
        "account_id",
        "model_version",
        "predicted_category",
        "predicted_category_confidence",
        "predicted_category_needs_review",
    ]
    assert len(frame) == 3
    assert isinstance(frame["created_at"].dtype, pd.DatetimeTZDtype)
    assert str(frame["created_at"].dt.tz) == "UTC"
    b = frame[frame["ticket_id"] == "B"].iloc[0]
    assert b["created_at"] == RECEIVED  # no created_at from the helpdesk: when it was received
    assert bool(b["predicted_category_needs_review"]) is True
    a1 = frame[(frame["ticket_id"] == "A") & (frame["model_version"] == "v1")].iloc[0]
    assert a1["created_at"] == datetime(2026, 1, 5, 12, tzinfo=UTC)
    assert a1["account_id"] == "X"
    assert a1["predicted_category"] == "billing"
    assert a1["predicted_category_confidence"] == pytest.approx(0.9)
    assert read_corrections(url) == {"A": {"category": "billing"}, "B": {"feature": "api"}}


def test_sqlite_log_is_idempotent_and_readable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'log.db'}"
    _exercise(url)
    with sa.create_engine(url).connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    assert PredictionStore(url) and mode == "wal"


def test_reading_a_database_without_the_log_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PredictionLogError, match="no 'predictions' table"):
        read_predictions(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(PredictionLogError, match="not a database URL"):
        read_predictions("not a url")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema on the local server, found through the connection's search_path."""
    admin = sa.create_engine(POSTGRES)
    try:
        with admin.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.skip(f"no PostgreSQL server answers at {POSTGRES}: {exc.orig}")
    schema = f"ticketlens_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_postgresql_log_is_idempotent_and_readable(postgres_url: str) -> None:
    _exercise(postgres_url)
    engine = sa.create_engine(postgres_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT count(*) FROM predictions")).scalar()
        schema = connection.execute(sa.text("SELECT current_schema()")).scalar()
    engine.dispose()
    assert rows == 3
    assert schema.startswith("ticketlens_test_")
